import { spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  ChildLimitError,
  ChildPoolUnavailableError,
  ChildTaskError,
  createChildPool,
  type ChildPool,
  type ChildPoolOptions,
} from '../../infra/child-pool';
import type { TestTasks } from '../helpers/child-tasks';

const SCRIPT = path.join(__dirname, '..', 'helpers', 'child-tasks.ts');
const none = undefined as never;

const pools: ChildPool<TestTasks>[] = [];
function pool(options: Partial<ChildPoolOptions> = {}): ChildPool<TestTasks> {
  const created = createChildPool<TestTasks>({
    script: SCRIPT,
    size: 1,
    deadlineMs: 20_000,
    memoryLimitMb: 256,
    ...options,
  });
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a pool of child processes', () => {
  it('runs a task in a child and measures its peak resident memory', async () => {
    const run = await pool().run('echo', { value: { a: 1 }, bytes: Buffer.alloc(1000) });
    expect(run.value).toEqual({ value: { a: 1 }, length: 1000, pid: expect.any(Number) });
    expect(run.value.pid).not.toBe(process.pid);
    expect(run.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(run.peakRssBytes).toBeLessThan(256 * 1024 * 1024);
  });

  it('answers the child’s requests and passes its events on', async () => {
    const events: unknown[] = [];
    const run = await pool().run(
      'ask',
      { question: 'ocr?' },
      {
        onEvent: (event) => events.push(event),
        onRequest: async (question) => `answer to ${String(question)}`,
      },
    );
    expect(run.value).toEqual({ answer: 'answer to ocr?' });
    expect(events).toEqual([{ stage: 'asking' }]);
  });

  it('hands the parent’s error back to the child with its name, message and code', async () => {
    const run = await pool().run(
      'askAndFail',
      { question: 'ocr?' },
      {
        onRequest: async () => {
          throw Object.assign(new Error('page too slow'), { name: 'OcrTimeoutError', code: 'OCR_TIMEOUT' });
        },
      },
    );
    expect(run.value).toEqual({ name: 'OcrTimeoutError', message: 'page too slow', code: 'OCR_TIMEOUT' });
  });

  it('rejects with the child’s error and keeps the child for the next task', async () => {
    const readers = pool();
    const before = await readers.run('pid', none);
    const failed = readers.run('fail', none);
    await expect(failed).rejects.toBeInstanceOf(ChildTaskError);
    await expect(failed).rejects.toMatchObject({ name: 'ParseError', message: 'bad input', code: 'BAD_INPUT' });
    expect((await readers.run('pid', none)).value).toBe(before.value);
  });

  it('kills a child past its deadline while the parent stays responsive, and the next task gets a fresh child', async () => {
    const readers = pool({ deadlineMs: 1_500 });
    const first = await readers.run('pid', none);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const spun = readers.run('spin', none);
    await expect(spun).rejects.toBeInstanceOf(ChildLimitError);
    await expect(spun).rejects.toMatchObject({ limit: 'DEADLINE', usage: { durationMs: expect.any(Number) } });
    lag.disable();
    expect(lag.max / 1e6).toBeLessThan(1_000);
    expect(alive(first.value)).toBe(false);
    const next = await readers.run('pid', none);
    expect(next.value).not.toBe(first.value);
  });

  it('kills a child whose memory outside the V8 heap passes the limit', async () => {
    const readers = pool({ memoryLimitMb: 200 });
    const allocated = readers.run('allocate', { mbPerStep: 8 });
    await expect(allocated).rejects.toMatchObject({ name: 'ChildLimitError', limit: 'MEMORY' });
    const error = (await allocated.catch((e: unknown) => e)) as ChildLimitError;
    // Killed at the first sample past the limit: one or two steps of allocation beyond it at most.
    expect(error.usage.peakRssBytes).toBeGreaterThan(200 * 1024 * 1024);
    expect(error.usage.peakRssBytes).toBeLessThan(260 * 1024 * 1024);
  });

  it('tells a child whose V8 heap ran out as a memory limit, not a crash', async () => {
    // The heap cap (96 MiB) or the resident limit, whichever comes first: either way the answer is MEMORY. V8 collects
    // hard before it gives up, which takes seconds on a loaded machine, hence the long deadline.
    const readers = pool({ memoryLimitMb: 128, deadlineMs: 60_000 });
    await expect(readers.run('exhaustHeap', none)).rejects.toMatchObject({ name: 'ChildLimitError', limit: 'MEMORY' });
  }, 90_000);

  it('reports a child that dies during a task as a crash', async () => {
    await expect(pool().run('crash', none)).rejects.toMatchObject({ name: 'ChildLimitError', limit: 'CRASH' });
  });

  it('kills the child when the caller aborts, rejecting with the abort reason', async () => {
    const readers = pool();
    const first = await readers.run('pid', none);
    const controller = new AbortController();
    const spun = readers.run('spin', none, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by Temporal')), 200);
    await expect(spun).rejects.toThrow('cancelled by Temporal');
    expect(alive(first.value)).toBe(false);
  });

  it('queues tasks beyond its size and rejects the queued ones when closed', async () => {
    const readers = pool({ size: 1 });
    const running = readers.run('spin', none);
    const queued = readers.run('pid', none);
    const outcomes = Promise.allSettled([running, queued]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await readers.close();
    const [spun, waited] = await outcomes;
    expect(spun.status).toBe('rejected');
    expect(waited).toMatchObject({ status: 'rejected', reason: expect.any(ChildPoolUnavailableError) });
    await expect(readers.run('pid', none)).rejects.toBeInstanceOf(ChildPoolUnavailableError);
  });

  it('leaves no child behind when its parent is killed with SIGKILL', async () => {
    const parent = spawn(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), path.join(__dirname, '..', 'helpers', 'child-pool-parent.ts')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pids = await new Promise<number[]>((resolve, reject) => {
      parent.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as number[]));
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pids.filter(alive)).toEqual([]);
  });
});
