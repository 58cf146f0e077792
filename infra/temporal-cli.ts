import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The Temporal CLI is a Go program. v1.5.1 is the last release `go install` can build (later ones carry a
 * `replace` directive in their go.mod), and it embeds server v1.29.1 with Updates enabled by default.
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

const execFileAsync = promisify(execFile);

export interface CliLookup {
  /** TEMPORAL_CLI from the configuration. */
  configuredPath?: string;
  env?: NodeJS.ProcessEnv;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

async function goBinDir(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const go = onPath('go', env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (env.GOBIN) return env.GOBIN;
  if (go) {
    try {
      const { stdout } = await execFileAsync(go, ['env', 'GOBIN', 'GOPATH'], { env });
      const [gobin, gopath] = stdout.split('\n').map((s) => s.trim());
      if (gobin) return gobin;
      if (gopath) return path.join(gopath.split(path.delimiter)[0] as string, 'bin');
    } catch {
      // fall through to the default GOPATH
    }
  }
  return path.join(env.HOME ?? os.homedir(), 'go', 'bin');
}

/** TEMPORAL_CLI, else `temporal` on the PATH, else the Go bin folder. Undefined when none is there. */
export async function findTemporalCli({ configuredPath, env = process.env }: CliLookup = {}): Promise<
  string | undefined
> {
  if (configuredPath) {
    if (!isExecutable(configuredPath)) throw new Error(`TEMPORAL_CLI=${configuredPath} is not an executable file`);
    return configuredPath;
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;
  const bin = await goBinDir(env);
  const fromGo = bin && path.join(bin, 'temporal');
  return fromGo && isExecutable(fromGo) ? fromGo : undefined;
}

/** Finds the CLI, or builds it with `go install` (minutes the first time; Go caches the build). */
export async function ensureTemporalCli(
  lookup: CliLookup = {},
  say: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<string> {
  const found = await findTemporalCli(lookup);
  if (found) return found;
  const env = lookup.env ?? process.env;
  const go = onPath('go', env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'The Temporal CLI is not installed and Go is not available to build it. Install Go, or set TEMPORAL_CLI ' +
        'to a temporal binary, or TEMPORAL_ADDRESS to an existing Temporal server.',
    );
  }
  say(`Temporal CLI not found: installing it with "go install ${TEMPORAL_CLI_MODULE}".`);
  say('The first build takes several minutes (Go caches it afterwards)...');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with code ${code}`))));
  });
  const installed = await findTemporalCli({ env });
  if (!installed) throw new Error('go install finished but the temporal binary was not found in the Go bin folder');
  say(`Temporal CLI installed: ${installed}`);
  return installed;
}
