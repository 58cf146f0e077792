import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { Connection } from '@temporalio/client';
import { CLI_TYPE_NAME, type SearchAttributeDefinition } from './temporal';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Undefined: headless (no Temporal UI). */
  uiPort?: number;
  /** SQLite file; undefined keeps everything in memory (tests). */
  dbFile?: string;
  namespace: string;
  searchAttributes: readonly SearchAttributeDefinition[];
  logger: Logger;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs `temporal server start-dev` as a child process and waits until its frontend answers.
 * The child is killed when this process exits, however it exits, so no dev server is left behind.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cliPath, port, uiPort, dbFile, namespace, logger } = options;
  for (const [what, p] of [
    ['TEMPORAL_DEV_PORT', port],
    ['TEMPORAL_UI_PORT', uiPort],
  ] as const) {
    if (p !== undefined && (await portInUse(p))) {
      throw new Error(
        `Port ${p} (${what}) is already in use: another Temporal server may be running. Stop it, choose another ` +
          `port with ${what}, or use that server with TEMPORAL_ADDRESS=127.0.0.1:${port}.`,
      );
    }
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-format', 'json', '--log-level', 'warn');
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (dbFile) {
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  for (const key of options.searchAttributes) args.push('--search-attribute', `${key.name}=${CLI_TYPE_NAME[key.type]}`);

  const pidFile = dbFile ? `${dbFile}.pid` : undefined;
  if (pidFile) await stopLeftover(pidFile, logger);
  // Its own process group: a terminal's Ctrl-C reaches this process, which stops the dev server last, after the
  // workers have drained, instead of the server dying under them.
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (pidFile && child.pid) fs.writeFileSync(pidFile, String(child.pid));
  const log = logger.child({ component: 'temporal-dev-server' });
  const tail: string[] = [];
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log.debug(line);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(address, child, exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw new Error(`Temporal dev server did not start: ${(error as Error).message}\n${tail.join('\n')}`);
  }
  log.info({ address, pid: child.pid }, 'Temporal dev server ready');

  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    pid: child.pid as number,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (pidFile) fs.rmSync(pidFile, { force: true });
    },
  };
}

async function waitUntilReady(
  address: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the process exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`not ready after ${timeoutMs} ms (${String(lastError)})`);
}

/**
 * A dev server left running by a process that was killed outright (SIGKILL leaves no chance to stop it) still holds
 * the ports and the SQLite file: stop it if its pid file names a live `temporal server start-dev` on this file.
 */
async function stopLeftover(pidFile: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    // No such process (or no /proc): nothing to stop.
  }
  if (Number.isInteger(pid) && pid > 0 && cmdline.includes('start-dev') && cmdline.includes(pidFile.slice(0, -4))) {
    logger.warn({ pid }, 'stopping a Temporal dev server left running by an earlier start');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(pidFile, { force: true });
}
