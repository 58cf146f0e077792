import {
  Progress,
  expectEveryLifeOnce,
  mixedPlans,
  prepareLives,
  removeWorkflowBundleFile,
  runLives,
  spawnMainWorker,
  terminateConnections,
  timeline,
  type WorkerProcess,
} from '../helpers/faults';
import { startStack, type Stack } from '../helpers/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every connection to the test database is terminated (pg_terminate_backend), several times, while 20 pro formas
 * are in flight: the activities that were using one fail and are retried, the pools open new connections. The worker
 * of the pro-formas queue runs in a process of its own (test/helpers/fault-worker.ts, over a db/connect.ts pool):
 * it must live through the cuts.
 * The PostgreSQL server itself keeps running (other test files use it).
 */
describe('PostgreSQL connections killed while 20 pro formas are in flight', () => {
  jest.setTimeout(220_000);
  let stack: Stack | undefined;
  let worker: WorkerProcess | undefined;

  afterAll(async () => {
    await worker?.kill();
    await stack?.teardown();
    await removeWorkflowBundleFile();
  });

  it('retries the activities, completes every life and doubles nothing', async () => {
    const deadline = Date.now() + 190_000;
    const trace = timeline('postgres-connections');
    stack = await startStack({ mainWorker: false });
    worker = await spawnMainWorker(stack);
    const lives = await prepareLives(stack, mixedPlans(20));
    await worker.ready;
    trace.mark('lives prepared, worker ready');

    const progress = new Progress(stack, lives);
    progress.start();
    try {
      const running = runLives(stack, lives, progress, deadline);
      running.catch(() => undefined);
      await progress.until('the first transitions', deadline, () => progress.fraction() >= 0.1);
      trace.mark(`cuts start at ${progress.fraction().toFixed(2)}`);
      const cuts: { terminated: number; unfinished: number }[] = [];
      for (let i = 0; i < 6; i++) {
        const unfinished = progress.unfinished();
        cuts.push({ terminated: await terminateConnections(stack), unfinished });
        await sleep(400);
      }
      const finals = await running.catch((error: unknown) => {
        throw new Error(`${String(error)}\nworker alive: ${worker?.alive()}; its output:\n${worker?.output()}`);
      });

      trace.mark(`every life done; cuts ${JSON.stringify(cuts)}`);

      // The cuts hit live connections while lives were still running.
      expect(cuts.filter((c) => c.terminated > 0 && c.unfinished > 0).length).toBeGreaterThanOrEqual(4);
      await expectEveryLifeOnce(stack, lives, finals, deadline);
      // The worker process lived through the cuts (a connection lost while checked out must not crash it).
      expect({ alive: worker.alive(), output: worker.alive() ? '' : worker.output() }).toEqual({
        alive: true,
        output: '',
      });
      for (const w of stack.workers) expect(w.getState()).toBe('RUNNING');
    } finally {
      progress.stop();
      trace.mark('checked');
      trace.print();
    }
  });
});
