import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startDevServer, type DevServerOptions } from '../../infra/temporal-dev-server';
import { freePort } from '../../support/ports';
import { isAlive } from './service-process';

async function options(dbFile: string): Promise<DevServerOptions> {
  return {
    cliPath: process.env.TEMPORAL_CLI as string,
    port: await freePort(),
    dbFile,
    namespace: 'default',
    searchAttributes: [],
    logger: pino({ level: 'silent' }),
  };
}

describe('the dev server of npm start', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-server-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('never stops a process that merely reuses the pid of a stale pid file', async () => {
    const dbFile = path.join(dataDir, 'temporal.sqlite');
    const unrelated = spawn('sleep', ['300'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => unrelated.once('exit', resolve));
    try {
      fs.writeFileSync(`${dbFile}.pid`, String(unrelated.pid));
      const server = await startDevServer(await options(dbFile));
      try {
        expect(isAlive(unrelated.pid as number)).toBe(true);
        expect(fs.readFileSync(`${dbFile}.pid`, 'utf8')).toBe(String(server.pid));
      } finally {
        await server.stop();
      }
      expect(fs.existsSync(`${dbFile}.pid`)).toBe(false);
      expect(isAlive(unrelated.pid as number)).toBe(true);
    } finally {
      unrelated.kill('SIGKILL');
      await exited;
    }
  });

  it('refuses to stop the dev server of a start that is still running on the same database file', async () => {
    const dbFile = path.join(dataDir, 'temporal.sqlite');
    const running = await startDevServer(await options(dbFile));
    try {
      await expect(startDevServer(await options(dbFile))).rejects.toThrow(
        `belongs to a start that is still running (pid ${process.pid})`,
      );
      expect(isAlive(running.pid)).toBe(true);
    } finally {
      await running.stop();
    }
  });
});
