import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WATCHDOG_NAME } from '../../infra/temporal-dev-server';
import { freePort } from '../../support/ports';

/** `npm start` as a user runs it, in a child process, for the tests of test/service/. */

export const projectRoot = path.resolve(__dirname, '../..');

export interface ServicePorts {
  api: number;
  temporal: number;
  ui: number;
}

export interface ServiceRun {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  temporalAddress: string;
  uiUrl: string;
  dataDir: string;
  ports: ServicePorts;
  exited: Promise<number | null>;
}

export function startScript(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts.start as string;
}

export async function freeServicePorts(): Promise<ServicePorts> {
  return { api: await freePort(), temporal: await freePort(), ui: await freePort() };
}

export interface BootOptions {
  env?: Record<string, string>;
  /** A restart passes the data folder and ports of the run it follows. */
  dataDir?: string;
  ports?: ServicePorts;
}

/** `npm start` in a child process, on free ports and a temporary data folder unless given. */
export async function bootService(options: BootOptions = {}): Promise<ServiceRun> {
  const ports = options.ports ?? (await freeServicePorts());
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'invoice-service-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_CLI: process.env.TEMPORAL_CLI,
    PORT: String(ports.api),
    TEMPORAL_DEV_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    DATA_DIR: dataDir,
    LOG_FORMAT: 'json',
    OCR_CONCURRENCY: '1',
    ...options.env,
  };
  // The command `npm start` runs (npm itself dies of the Ctrl-C and reports no exit code of the service). Its own
  // process group, like a command in a terminal, so that Ctrl-C (or kill -9) can be sent the way a terminal sends it.
  const [command, ...args] = startScript().split(' ');
  const child = spawn(command as string, args, {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    uiUrl: `http://127.0.0.1:${ports.ui}`,
    dataDir,
    ports,
    exited,
  };
}

export async function waitForReady(run: ServiceRun, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: unknown } = { status: 0, body: undefined };
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited early:\n${run.output()}`);
    try {
      const res = await fetch(`${run.apiUrl}/ready`);
      last = { status: res.status, body: await res.json() };
      if (res.status === 200) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`/ready never answered 200 (last: ${JSON.stringify(last)}):\n${run.output()}`);
}

/** Ctrl-C in a terminal sends SIGINT to the whole foreground process group (npm, the shell, tsx, node). */
export async function stopWithCtrlC(run: ServiceRun): Promise<number | null> {
  process.kill(-(run.child.pid as number), 'SIGINT');
  const timer = setTimeout(() => process.kill(-(run.child.pid as number), 'SIGKILL'), 60_000);
  const code = await run.exited;
  clearTimeout(timer);
  return code;
}

/** `kill -9` of the whole process group: nothing of the start gets to run any code. */
export async function killGroup(run: ServiceRun): Promise<void> {
  process.kill(-(run.child.pid as number), 'SIGKILL');
  await run.exited;
}

/** The demo tokens the first start prints once, by role. */
export function demoTokens(output: string): Record<'admin' | 'validator' | 'cfa', string> {
  const tokens: Record<string, string> = {};
  for (const [, role, token] of output.matchAll(
    /^\s+(admin|validator|cfa)\s+\S+\s+Authorization: Bearer (\S{43})$/gm,
  )) {
    tokens[role as string] = token as string;
  }
  if (!tokens.admin || !tokens.validator || !tokens.cfa) throw new Error(`no demo tokens in the output:\n${output}`);
  return tokens as Record<'admin' | 'validator' | 'cfa', string>;
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by init) still answers signal 0 but has no command line any more.
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The dev server the start of this data folder recorded in its pid file. */
export function devServerPid(dataDir: string): number {
  return Number(fs.readFileSync(path.join(dataDir, 'temporal.sqlite.pid'), 'utf8').trim());
}

/** The watchdog shell of a dev server: `sh -c <script> temporal-dev-server-watchdog <server pid>`. */
export function watchdogPid(serverPid: number): number | undefined {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  const line = lines.find((l) => l.trimEnd().endsWith(`${WATCHDOG_NAME} ${serverPid}`));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}
