import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import {
  bootService,
  devServerPid,
  projectRoot,
  startScript,
  stopWithCtrlC,
  waitForReady,
  watchdogPid,
} from './service-process';

const execFileAsync = promisify(execFile);

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
    let devServer: number | undefined;
    try {
      const ready = await waitForReady(booted, 180_000);
      devServer = devServerPid(booted.dataDir);
      expect(watchdogPid(devServer)).toBeDefined();
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
      // The web pages, served by the same process: any page address answers the single page; a demo token signs in
      // and the session links to the embedded Temporal UI.
      const page = await fetch(`${booted.apiUrl}/connexion`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root"></div>');
      const adminToken = /admin\s+admin@opco-demo\.example\s+Authorization: Bearer (\S{43})/.exec(booted.output())?.[1];
      const session = await fetch(`${booted.apiUrl}/api/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: adminToken }),
      });
      expect(session.status).toBe(201);
      expect(await session.json()).toMatchObject({ temporalUiUrl: booted.uiUrl, temporalNamespace: 'default' });
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
    // Stopped before the dev server, so that it never signals a pid the server no longer holds.
    expect(watchdogPid(devServer as number)).toBeUndefined();
    const { stdout } = await execFileAsync('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(booted.dataDir))).toEqual([]);
    fs.rmSync(booted.dataDir, { recursive: true, force: true });
  });

  describe('with DATABASE_URL', () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await createTestDatabase({ migrate: false });
    });
    afterEach(() => database.drop());

    it('uses PostgreSQL, migrates it and, with DEMO_DATA=true, loads the demo data once across restarts', async () => {
      for (const round of [1, 2]) {
        const booted = await bootService({ env: { DATABASE_URL: database.url, DEMO_DATA: 'true' } });
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

    it('loads no demo data without DEMO_DATA, prints no token and says why in its log', async () => {
      const booted = await bootService({ env: { DATABASE_URL: database.url } });
      try {
        await waitForReady(booted, 180_000);
        expect(booted.output()).toContain('demo data not loaded: DATABASE_URL is set; set DEMO_DATA=true to load it');
        expect(booted.output()).not.toContain('Authorization: Bearer');
      } finally {
        expect(await stopWithCtrlC(booted)).toBe(0);
        fs.rmSync(booted.dataDir, { recursive: true, force: true });
      }
      // Migrated (the tables are there) yet empty: nothing of the demo was written.
      expect(await database.db.selectFrom('cfas').select('id').execute()).toEqual([]);
      expect(await database.db.selectFrom('users').select('id').execute()).toEqual([]);
      expect(await database.db.selectFrom('installments').select('id').execute()).toEqual([]);
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
