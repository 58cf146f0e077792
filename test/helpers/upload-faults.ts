import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { textPdf } from '../extraction/fixtures';
import { invoiceLines, type InvoiceValues } from './invoices';
import { freePort } from '../../support/ports';

/** What the fault tests of uploads share: large invoices, raw multipart bodies, an API process, the store's state. */

const projectRoot = path.resolve(__dirname, '../..');

/**
 * A text-layer invoice of about `bytes` bytes: the invoice page plus an embedded annex of random bytes (a valid PDF,
 * accepted by the intake checks, and unique: every call gives another SHA-256).
 */
export function largeInvoicePdf(values: InvoiceValues, bytes: number): Buffer {
  return textPdf(invoiceLines(values), {
    attachments: [{ name: 'annexe.bin', content: crypto.randomBytes(bytes) }],
  });
}

export function sha256(content: Uint8Array): string {
  return crypto.createHash('sha256').update(content).digest('hex');
}

export interface MultipartBody {
  contentType: string;
  body: Buffer;
}

/** A multipart/form-data body with the one part the API accepts: the file, in the field `file`. */
export function multipartBody(fileName: string, content: Buffer, mimeType = 'application/pdf'): MultipartBody {
  const boundary = `----fault-test-${crypto.randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      `Content-Type: ${mimeType}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat([head, content, tail]) };
}

export interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface UploadTarget {
  url: string;
  token: string;
  idempotencyKey?: string;
}

function uploadRequest(target: UploadTarget, multipart: MultipartBody): http.ClientRequest {
  const headers: http.OutgoingHttpHeaders = {
    authorization: `Bearer ${target.token}`,
    'content-type': multipart.contentType,
    'content-length': multipart.body.length,
  };
  if (target.idempotencyKey) headers['idempotency-key'] = target.idempotencyKey;
  // A connection of its own (no keep-alive pool): the test decides when it ends.
  return http.request(target.url, { method: 'POST', headers, agent: false });
}

function answerOf(req: http.ClientRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
  });
}

/** The whole upload, sent at once. */
export function upload(target: UploadTarget, multipart: MultipartBody): Promise<RawAnswer> {
  const req = uploadRequest(target, multipart);
  const answer = answerOf(req);
  req.end(multipart.body);
  return answer;
}

export interface PartialUpload {
  /** Bytes handed to the connection so far. */
  sent: number;
  /** Whether the server has answered (it should not have: it still waits for the rest of the body). */
  answered(): boolean;
  /** Settles when the connection ends: an error once the server is killed. */
  outcome: Promise<RawAnswer | Error>;
}

/**
 * Sends the headers (with the full Content-Length) and the first `bytes` bytes of the body, in 64 KiB chunks, and
 * resolves once the kernel has taken them: the server is then in the middle of reading the body, and waits for the
 * rest, which never comes.
 */
export async function partialUpload(
  target: UploadTarget,
  multipart: MultipartBody,
  bytes: number,
): Promise<PartialUpload> {
  const req = uploadRequest(target, multipart);
  let answered = false;
  const outcome = answerOf(req).then(
    (answer) => {
      answered = true;
      return answer;
    },
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  let sent = 0;
  const chunk = 64 * 1024;
  while (sent < bytes) {
    const piece = multipart.body.subarray(sent, Math.min(bytes, sent + chunk));
    await new Promise<void>((resolve, reject) => req.write(piece, (error) => (error ? reject(error) : resolve())));
    sent += piece.length;
  }
  return { sent, answered: () => answered, outcome };
}

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** `kill -9` of the process (its own group: nothing of it gets to run any code). */
  kill(): Promise<void>;
}

export interface ApiProcessOptions {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  ocrTaskQueue: string;
  storageDir: string;
  dataDir: string;
  env?: Record<string, string>;
}

/** `npm run api` (bin/api.ts) in a child process on a free port, against the test's database and Temporal. */
export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'bin/api.ts'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      STORAGE_DIR: options.storageDir,
      DATABASE_URL: options.databaseUrl,
      DATABASE_POOL_SIZE: '3',
      DEMO_DATA: 'false',
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: options.taskQueue,
      OCR_TASK_QUEUE: options.ocrTaskQueue,
      TEMPORAL_CALL_TIMEOUT: '20s',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const api: ApiProcess = {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-(child.pid as number), 'SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited early:\n${output}`);
    try {
      const res = await fetch(`${api.url}/ready`);
      if (res.status === 200) return api;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await api.kill();
      throw new Error(`the API process never became ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface StoreContent {
  /** Every file under the store's root, relative to it. */
  files: string[];
  /** Files that are not a complete, content-addressed document (`ab/abcdef…` whose bytes hash to its name). */
  defects: string[];
}

/** Lists the store's directory and checks every file in it against its name. */
export function inspectStore(root: string): StoreContent {
  const files: string[] = [];
  const defects: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      const relative = path.relative(root, full);
      files.push(relative);
      const complete =
        entry.isFile() &&
        /^[0-9a-f]{64}$/.test(entry.name) &&
        path.dirname(relative) === entry.name.slice(0, 2) &&
        sha256(fs.readFileSync(full)) === entry.name;
      if (!complete) defects.push(relative);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return { files: files.sort(), defects };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
