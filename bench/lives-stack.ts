import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '../support/ports';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { ensureTemporalCli } from '../infra/temporal-cli';
import { startDevServer, type DevServer } from '../infra/temporal-dev-server';
import { PRO_FORMA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/**
 * The processes of bench/lives.ts: Temporal dev servers (file-backed, as `npm start` runs its own), a PostgreSQL
 * database of its own, and the service's parts as subprocesses (`npm run worker`, `npm run api`, and the bare
 * workflow's worker), each started and stopped by pid.
 */

export const projectRoot = path.resolve(__dirname, '..');
const quiet = pino({ level: 'silent' });

/** A file-backed dev server on free ports, headless, with the service's search attributes. */
export async function devServer(dbFile: string, extraArgs: readonly string[] = []): Promise<DevServer> {
  const cliPath = await ensureTemporalCli({ configuredPath: process.env['TEMPORAL_CLI'] || undefined });
  return startDevServer({
    cliPath,
    port: await freePort(),
    dbFile,
    namespace: 'default',
    searchAttributes: PRO_FORMA_SEARCH_ATTRIBUTES,
    logger: quiet,
    extraArgs,
  });
}

const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(name: string): Promise<BenchDatabase> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface Subprocess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** SIGTERM (the service drains), SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** `node --require tsx/cjs <script>`, as the package scripts run it; its output is kept (the last 200 lines). */
export function startScript(script: string, env: Record<string, string>, args: readonly string[] = []): Subprocess {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', script, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    child,
    pid: child.pid as number,
    output: () => lines.join('\n'),
    stop: async (graceMs = 30_000) => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Waits until `ready` holds, or the process exits (its output then says why), or the time is up. */
export async function waitFor(
  what: string,
  proc: Subprocess,
  ready: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited early:\n${proc.output()}`);
    try {
      if (await ready()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${proc.output()}`);
}

/** Waits until the process's output holds `text`. */
export function waitForOutput(what: string, proc: Subprocess, text: string, timeoutMs = 120_000): Promise<void> {
  return waitFor(what, proc, async () => proc.output().includes(text), timeoutMs);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), prefix));
}
