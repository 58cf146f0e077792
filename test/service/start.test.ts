import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { freePort } from '../helpers/ports';

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(__dirname, '../..');

interface Booted {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  temporalAddress: string;
  uiUrl: string;
  dataDir: string;
  exited: Promise<number | null>;
}

function startScript(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts.start as string;
}

/** `npm start` in a child process, on free ports and a temporary data folder, as a user runs it. */
async function bootService(extraEnv: Record<string, string> = {}): Promise<Booted> {
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'invoice-service-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_CLI: process.env.TEMPORAL_CLI,
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    DATA_DIR: dataDir,
    LOG_FORMAT: 'json',
    OCR_CONCURRENCY: '1',
    ...extraEnv,
  };
  // The command `npm start` runs (npm itself dies of the Ctrl-C and reports no exit code of the service). Its own
  // process group, like a command in a terminal, so that Ctrl-C can be sent the way a terminal sends it.
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
    apiUrl: `http://127.0.0.1:${port}`,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    dataDir,
    exited,
  };
}

async function waitForReady(booted: Booted, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: unknown } = { status: 0, body: undefined };
  while (Date.now() < deadline) {
    if (booted.child.exitCode !== null) throw new Error(`npm start exited early:\n${booted.output()}`);
    try {
      const res = await fetch(`${booted.apiUrl}/ready`);
      last = { status: res.status, body: await res.json() };
      if (res.status === 200) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`/ready never answered 200 (last: ${JSON.stringify(last)}):\n${booted.output()}`);
}

function portOpen(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Ctrl-C in a terminal sends SIGINT to the whole foreground process group (npm, the shell, tsx, node). */
async function stopWithCtrlC(booted: Booted): Promise<number | null> {
  process.kill(-(booted.child.pid as number), 'SIGINT');
  const timer = setTimeout(() => process.kill(-(booted.child.pid as number), 'SIGKILL'), 60_000);
  const code = await booted.exited;
  clearTimeout(timer);
  return code;
}

async function listSearchAttributes(address: string): Promise<Record<string, string>> {
  const cli = process.env.TEMPORAL_CLI as string;
  const { stdout } = await execFileAsync(cli, [
    'operator',
    'search-attribute',
    'list',
    '--address',
    address,
    '-o',
    'json',
  ]);
  const parsed = JSON.parse(stdout) as { customAttributes?: Record<string, string> };
  return parsed.customAttributes ?? {};
}

describe('npm start', () => {
  jest.setTimeout(240_000);

  it('runs the start command these tests run', () => {
    expect(startScript()).toBe('node --require tsx/cjs bin/start.ts');
  });

  it('boots the whole service on the embedded database: /ready is 200, the search attributes exist, Ctrl-C stops everything', async () => {
    const booted = await bootService();
    try {
      const ready = await waitForReady(booted, 180_000);
      expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
      expect(await (await fetch(`${booted.apiUrl}/health`)).json()).toEqual({ status: 'ok' });

      const attributes = await listSearchAttributes(booted.temporalAddress);
      expect(attributes).toMatchObject({
        ProFormaNumber: 'INDEXED_VALUE_TYPE_KEYWORD',
        ProFormaStatus: 'INDEXED_VALUE_TYPE_KEYWORD',
        CfaSiret: 'INDEXED_VALUE_TYPE_KEYWORD',
        CostNature: 'INDEXED_VALUE_TYPE_KEYWORD',
        InvoiceNumber: 'INDEXED_VALUE_TYPE_KEYWORD',
        TotalCents: 'INDEXED_VALUE_TYPE_INT',
      });
      expect((await fetch(booted.uiUrl)).status).toBe(200);
      expect(booted.output()).toContain(`Temporal UI:  ${booted.uiUrl}`);
      expect(booted.output()).toContain('embedded PGlite');
      expect(booted.output()).toMatch(/admin\s+admin@opco-demo\.example\s+Authorization: Bearer \S{43}/);
      expect(fs.existsSync(path.join(booted.dataDir, 'pglite'))).toBe(true);
      expect(fs.existsSync(path.join(booted.dataDir, 'temporal.sqlite'))).toBe(true);
    } finally {
      const code = await stopWithCtrlC(booted);
      expect(code).toBe(0);
    }
    expect(await portOpen(booted.temporalAddress)).toBe(false);
    const { stdout } = await execFileAsync('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(booted.dataDir))).toEqual([]);
    fs.rmSync(booted.dataDir, { recursive: true, force: true });
  });

  describe('with DATABASE_URL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase({ migrate: false });
    });
    afterAll(() => database.drop());

    it('uses PostgreSQL, migrates it and loads the demo data once across restarts', async () => {
      for (const round of [1, 2]) {
        const booted = await bootService({ DATABASE_URL: database.url });
        try {
          await waitForReady(booted, 180_000);
          expect(booted.output()).toContain('PostgreSQL (DATABASE_URL)');
          expect(booted.output().includes('Authorization: Bearer')).toBe(round === 1);
        } finally {
          expect(await stopWithCtrlC(booted)).toBe(0);
          fs.rmSync(booted.dataDir, { recursive: true, force: true });
        }
      }
      const cfas = await database.db.selectFrom('cfas').select('siret').execute();
      expect(cfas).toEqual([{ siret: '84123450300016' }]);
      const natures = await database.db.selectFrom('installments').select('nature').distinct().execute();
      expect(natures.map((n) => n.nature).sort()).toEqual([
        'FRAIS_ANNEXES',
        'MOBILITE',
        'PEDAGOGIE',
        'PREMIER_EQUIPEMENT',
      ]);
      const negative = await database.db
        .selectFrom('installments')
        .select('id')
        .where('amount_cents', '<', 0)
        .execute();
      expect(negative.length).toBeGreaterThan(0);
      const roles = await database.db.selectFrom('users').select('role').orderBy('role').execute();
      expect(roles.map((r) => r.role)).toEqual(['admin', 'cfa', 'validator']);
    });
  });

  it('refuses to start with a bad configuration value and names the variable', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('npm', ['start', '--silent'], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: 'eighty' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain('PORT');
  });
});
