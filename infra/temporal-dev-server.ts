import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { Connection } from '@temporalio/client';
import { CLI_TYPE_NAME, type SearchAttributeDefinition } from './temporal';

/**
 * SQLite settings of the dev server's file: write-ahead log, synced at checkpoints rather than at every commit.
 * Measured by `npm run bench:lives` against the CLI's defaults, and proven durable across a Ctrl-C and a SIGKILL of
 * the server by test/service/sqlite-pragmas.test.ts (a SIGKILL leaves the written pages in the OS cache; only a crash
 * of the machine itself may lose the last commits, which a development server accepts).
 */
export const SQLITE_WAL_PRAGMAS: readonly string[] = [
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=normal',
];

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
  /** More `temporal server start-dev` flags, appended as given (e.g. `['--sqlite-pragma', 'journal_mode=wal']`). */
  extraArgs?: readonly string[];
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
 * Runs `temporal server start-dev` as a child process and waits until its frontend answers. The dev server dies with
 * this process however it ends: on `process.exit` it is killed here, and when this process is killed outright
 * (SIGKILL, OOM killer, a closed terminal) a watchdog stops it. A server left by an older start is stopped first.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cliPath, port, uiPort, dbFile, namespace, logger } = options;
  const log = logger.child({ component: 'temporal-dev-server' });
  const pidFile = dbFile ? `${dbFile}.pid` : undefined;
  // Before the port check: a server left by a killed start holds these very ports.
  const stopped = dbFile ? await stopLeftovers(dbFile, log) : 0;
  for (const [what, p] of [
    ['TEMPORAL_DEV_PORT', port],
    ['TEMPORAL_UI_PORT', uiPort],
  ] as const) {
    // An exiting process loses its command line (its memory is released) a moment before its sockets are closed.
    if (p !== undefined && stopped > 0) await waitForPortFree(p, 5_000);
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
  if (options.extraArgs) args.push(...options.extraArgs);

  // Its own process group: a terminal's Ctrl-C reaches this process, which stops the dev server last, after the
  // workers have drained, instead of the server dying under them.
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (pidFile && child.pid) fs.writeFileSync(pidFile, String(child.pid));
  const watchdog = child.pid ? startWatchdog(child.pid) : undefined;
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
  const killOnExit = () => {
    watchdog?.kill('SIGKILL');
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      // Once the server is gone its pid may be reused: the watchdog must not outlive it.
      watchdog?.kill('SIGKILL');
      resolve(code);
    }),
  );
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(address, child, exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    if (pidFile) fs.rmSync(pidFile, { force: true });
    throw new Error(`Temporal dev server did not start: ${(error as Error).message}\n${tail.join('\n')}`);
  }
  log.info({ address, pid: child.pid }, 'Temporal dev server ready');

  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    pid: child.pid as number,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      // First, or the watchdog would see this process exit and signal a pid that may belong to another process.
      watchdog?.kill('SIGKILL');
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

/**
 * SIGKILL gives this process no chance to stop its dev server, and the server, in a process group of its own, does
 * not receive the signal sent to ours. So a shell in its own session holds the read end of a pipe whose only writer
 * is this process: when this process dies, however it dies, the kernel closes the pipe, the shell reads end of file
 * and stops the server (SIGTERM, SIGKILL after 10 s). No polling, and no pid of ours to be reused: the server's pid
 * cannot be reused while the server runs, and the watchdog is killed as soon as the server exits.
 */
const WATCHDOG_SCRIPT = [
  'while read -r _; do :; done',
  'kill -TERM "$1" 2>/dev/null || exit 0',
  'i=0',
  'while [ "$i" -lt 10 ] && kill -0 "$1" 2>/dev/null; do sleep 1; i=$((i + 1)); done',
  'kill -KILL "$1" 2>/dev/null',
].join('\n');

export const WATCHDOG_NAME = 'temporal-dev-server-watchdog';

function startWatchdog(serverPid: number): ChildProcess {
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, WATCHDOG_NAME, String(serverPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as net.Socket | null)?.unref();
  watchdog.once('error', () => undefined);
  return watchdog;
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
  // Only raises a flag for the loop below, which must keep polling meanwhile; `exited` never rejects.
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

/** The arguments of a running process; undefined once it is gone (or a zombie, whose command line is empty). */
function processArgs(pid: number): string[] | undefined {
  if (process.platform === 'linux') {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      return args.length > 0 ? args : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    // Elsewhere (macOS) `ps` joins the arguments with spaces; isDevServerOf joins them again before comparing.
    const line = execFileSync('ps', ['-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return line ? line.split(' ') : undefined;
  } catch {
    return undefined;
  }
}

/** Every process of this machine, with its arguments (`/proc` on Linux, `ps` elsewhere). */
function listProcesses(): { pid: number; args: string[] }[] {
  if (process.platform === 'linux') {
    return fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map((name) => ({ pid: Number(name), args: processArgs(Number(name)) ?? [] }));
  }
  try {
    return execFileSync('ps', ['-ax', '-ww', '-o', 'pid=,command='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), args: (m[2] as string).split(' ') }));
  } catch {
    return [];
  }
}

/** Only `<temporal> server start-dev … --db-filename <our file>`: a pid reused by any other process never matches. */
function isDevServerOf(args: readonly string[] | undefined, dbFile: string): boolean {
  if (!args || args[1] !== 'server' || args[2] !== 'start-dev') return false;
  return ` ${args.join(' ')} `.includes(` --db-filename ${dbFile} `);
}

/** A process that is already gone is what was wanted. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntilGone(pid: number, dbFile: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isDevServerOf(processArgs(pid), dbFile)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** The parent of a running process (`/proc` on Linux, `ps` elsewhere); undefined once it is gone. */
function parentPid(pid: number): number | undefined {
  try {
    const ppid =
      process.platform === 'linux'
        ? // The command name, in parentheses, may hold spaces: the fields that follow it are counted from its end.
          fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]
        : execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return ppid ? Number(ppid) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A dev server still run by a live start has that start's Node.js process as its parent; a left one has been
 * handed to init (or a subreaper such as `systemd --user`), which is not Node.js. So two starts on one DATA_DIR
 * never stop each other's server: the second one is refused, before it opens the embedded database.
 */
function runningStartOf(serverPid: number): number | undefined {
  const parent = parentPid(serverPid);
  if (parent === undefined || parent <= 1) return undefined;
  const executable = processArgs(parent)?.[0];
  return executable && (executable === process.execPath || path.basename(executable).startsWith('node'))
    ? parent
    : undefined;
}

/**
 * A start killed outright (SIGKILL of its process group before its watchdog could act, or with the watchdog killed
 * too) leaves its dev server holding the ports and the SQLite file. The processes stopped are those whose command
 * line is a dev server on this very database file (a pid reused by another process never matches) and whose start
 * is gone: the pid file names the last one, the process table finds one whose pid file was lost (`./data` deleted).
 */
async function stopLeftovers(dbFile: string, log: Logger): Promise<number> {
  const pidFile = `${dbFile}.pid`;
  const pids = new Set<number>();
  const recorded = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : NaN);
  if (Number.isInteger(recorded) && recorded > 0 && isDevServerOf(processArgs(recorded), dbFile)) pids.add(recorded);
  for (const { pid, args } of listProcesses()) if (isDevServerOf(args, dbFile)) pids.add(pid);
  for (const pid of pids) {
    const owner = runningStartOf(pid);
    if (owner !== undefined) {
      throw new Error(
        `The Temporal dev server on ${dbFile} (pid ${pid}) belongs to a start that is still running (pid ${owner}): ` +
          'stop that one first (Ctrl-C), or give this one another DATA_DIR.',
      );
    }
    log.warn({ pid, dbFile }, 'stopping a Temporal dev server left running by an earlier start');
    signal(pid, 'SIGTERM');
    if (!(await waitUntilGone(pid, dbFile, 10_000))) {
      signal(pid, 'SIGKILL');
      if (!(await waitUntilGone(pid, dbFile, 5_000))) {
        throw new Error(`The Temporal dev server left by an earlier start (pid ${pid}) did not stop.`);
      }
    }
  }
  fs.rmSync(pidFile, { force: true });
  return pids.size;
}

async function waitForPortFree(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await portInUse(port)) && Date.now() < deadline) await sleep(100);
}
