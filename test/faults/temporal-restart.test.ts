import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startDevServer, type DevServer, type DevServerOptions } from '../../infra/temporal-dev-server';
import { PRO_FORMA_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { Progress, expectEveryLifeOnce, mixedPlans, prepareLives, runLives, timeline } from '../helpers/faults';
import { startStack, type Stack } from '../helpers/stack';
import { freePort } from '../../support/ports';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    // A zombie still answers signal 0: its state in /proc tells it apart.
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A Temporal dev server of this test's own (not the run's shared one), on a SQLite file, is killed with SIGKILL
 * while 20 pro formas are in flight, then started again on the same file and port. The workers and the client of
 * this process are kept: they reconnect by themselves.
 */
describe('the Temporal server killed (SIGKILL) and restarted on its database file while pro formas run', () => {
  jest.setTimeout(260_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-'));
  let options: DevServerOptions;
  let server: DevServer | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    const cliPath = process.env.TEMPORAL_CLI;
    if (!cliPath) throw new Error('TEMPORAL_CLI is unset: run the tests through jest (globalSetup installs it)');
    options = {
      cliPath,
      port: await freePort(),
      dbFile: path.join(dir, 'temporal.sqlite'),
      namespace: 'default',
      searchAttributes: PRO_FORMA_SEARCH_ATTRIBUTES,
      logger: pino({ level: 'silent' }),
      readyTimeoutMs: 30_000,
    };
    server = await startDevServer(options);
  });

  afterAll(async () => {
    await stack?.teardown();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('completes every life once the server is back, and doubles nothing', async () => {
    const deadline = Date.now() + 230_000;
    const trace = timeline('temporal-restart');
    const first = server as DevServer;
    stack = await startStack({ address: first.address });
    const lives = await prepareLives(stack, mixedPlans(20));

    trace.mark('lives prepared');
    const progress = new Progress(stack, lives);
    progress.start();
    try {
      const running = runLives(stack, lives, progress, deadline);
      running.catch(() => undefined);
      await progress.until('a third of the transitions', deadline, () => progress.fraction() >= 0.3);
      const unfinishedAtKill = progress.unfinished();
      trace.mark(`kill at ${progress.fraction().toFixed(2)}, ${unfinishedAtKill} lives unfinished`);
      process.kill(first.pid, 'SIGKILL');
      await progress.until(`the dev server (pid ${first.pid}) to die`, Date.now() + 10_000, () => !alive(first.pid));
      await first.stop();
      server = undefined;
      await sleep(1000);
      server = await startDevServer(options);
      expect(server.address).toBe(first.address);
      expect(server.pid).not.toBe(first.pid);
      trace.mark('server restarted');

      const finals = await running;
      trace.mark('every life done');
      expect(unfinishedAtKill).toBeGreaterThanOrEqual(5);
      await expectEveryLifeOnce(stack, lives, finals, deadline);
      // The same workers went on after the restart.
      for (const worker of stack.workers) expect(worker.getState()).toBe('RUNNING');
    } finally {
      progress.stop();
      trace.mark('checked');
      trace.print();
    }
  });
});
