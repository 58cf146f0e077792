import { spawn } from 'node:child_process';

/**
 * XML Schema validation by libxml2's `xmllint` (Debian package libxml2-utils): the reference validator, run as a
 * child process with a deadline, the document on its standard input.
 */

export interface SchemaVerdict {
  valid: boolean;
  /** xmllint's messages, without the file name it gives standard input. */
  errors: string[];
}

export class XmllintUnavailableError extends Error {
  constructor(cause: unknown) {
    super('xmllint is not installed (Debian package libxml2-utils)', { cause });
    this.name = 'XmllintUnavailableError';
  }
}

export async function validateAgainstSchema(
  xml: string,
  schemaPath: string,
  timeoutMs = 30_000,
): Promise<SchemaVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', ['--noout', '--nonet', '--schema', schemaPath, '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 100_000) stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new XmllintUnavailableError(error) : error),
    );
    child.on('close', (code, signal) => {
      if (signal) return reject(new Error(`xmllint stopped by ${signal} (deadline ${timeoutMs} ms)`));
      const errors = stderr
        .split('\n')
        .map((line) => line.replace(/^-:/, 'ligne ').trim())
        .filter((line) => line !== '' && !/ validates$/.test(line) && !/ fails to validate$/.test(line));
      resolve({ valid: code === 0, errors });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(xml);
  });
}
