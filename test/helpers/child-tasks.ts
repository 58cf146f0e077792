import { serveChildTasks, type ChildTaskContext } from '../../infra/child-pool';

/** Tasks that misbehave on purpose, run by test/infra/child-pool.test.ts in real child processes. */
export const testTasks = {
  async echo(input: { value: unknown; bytes?: Uint8Array }) {
    return { value: input.value, length: input.bytes?.byteLength ?? null, pid: process.pid };
  },
  async ask(input: { question: string }, context: ChildTaskContext) {
    context.emit({ stage: 'asking' });
    return { answer: await context.request(input.question) };
  },
  async askAndFail(input: { question: string }, context: ChildTaskContext) {
    try {
      await context.request(input.question);
      return 'answered';
    } catch (error) {
      return {
        name: (error as Error).name,
        message: (error as Error).message,
        code: (error as { code?: string }).code,
      };
    }
  },
  /** A parser stuck in a loop: only a kill stops it. */
  async spin() {
    for (;;) Math.sqrt(Math.random());
  },
  /** Memory outside the V8 heap, as inflated PDF streams are: the heap cap does not see it. */
  async allocate(input: { mbPerStep: number }) {
    const kept: Buffer[] = [];
    for (;;) {
      kept.push(Buffer.alloc(input.mbPerStep * 1024 * 1024, 1));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  },
  /** JS objects until the V8 heap is exhausted. */
  async exhaustHeap() {
    const kept: number[][] = [];
    for (;;) kept.push(Array.from({ length: 100_000 }, (_, i) => i * 1.5));
  },
  async crash() {
    process.exit(3);
  },
  async fail() {
    throw Object.assign(new Error('bad input'), { name: 'ParseError', code: 'BAD_INPUT' });
  },
  async pid() {
    return process.pid;
  },
};

export type TestTasks = typeof testTasks;

if (require.main === module) serveChildTasks(testTasks);
