import {
  Progress,
  expectEveryLifeOnce,
  mixedPlans,
  prepareLives,
  removeWorkflowBundleFile,
  runLives,
  spawnMainWorker,
  timeline,
  type WorkerProcess,
} from '../helpers/faults';
import { startStack, type Stack } from '../helpers/stack';

/**
 * The worker of the pro-formas queue (workflows and main activities, built as worker/workers.ts does, in a process of its
 * own: test/helpers/fault-worker.ts) is killed with SIGKILL while 50 pro formas are in flight, then a new one is started. Workflow tasks, Updates
 * and activities it held are handed over once their timeouts expire (an activity it was running is retried after its
 * start-to-close timeout: 30 s for the read model, 1 min for an e-mail): a life takes a minute more than usual.
 */
describe('a worker killed (SIGKILL) while 50 pro formas are in flight, then restarted', () => {
  jest.setTimeout(300_000);
  let stack: Stack | undefined;
  const processes: WorkerProcess[] = [];

  afterAll(async () => {
    for (const p of processes) await p.kill();
    await stack?.teardown();
    await removeWorkflowBundleFile();
  });

  it('brings every pro forma to its expected status, each e-mail, payment, decision and audit row once', async () => {
    const deadline = Date.now() + 270_000;
    const trace = timeline('worker-kill');
    stack = await startStack({ mainWorker: false });
    const first = await spawnMainWorker(stack);
    processes.push(first);
    const lives = await prepareLives(stack, mixedPlans(50));
    await first.ready;
    trace.mark('lives prepared, worker ready');

    const progress = new Progress(stack, lives);
    progress.start();
    try {
      const running = runLives(stack, lives, progress, deadline);
      running.catch(() => undefined);
      await progress.until('a third of the transitions recorded', deadline, () => progress.fraction() >= 0.3);
      const unfinishedAtKill = progress.unfinished();
      trace.mark(`kill at ${progress.fraction().toFixed(2)}, ${unfinishedAtKill} lives unfinished`);
      await first.kill();
      expect(await first.exited).toBe('SIGKILL');

      const second = await spawnMainWorker(stack);
      processes.push(second);
      await second.ready;
      trace.mark('second worker ready');
      const finals = await running;
      trace.mark('every life done');

      // The kill landed in the middle: many lives still had steps to record.
      expect(unfinishedAtKill).toBeGreaterThanOrEqual(10);
      await expectEveryLifeOnce(stack, lives, finals, deadline);
    } finally {
      progress.stop();
      trace.mark('checked');
      trace.print();
    }
  });
});
