import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/**
 * A pool of child processes that parse what users send (PDFs, images, XML, workbooks). A hostile file can make a
 * parser loop for minutes or allocate gigabytes outside the V8 heap (inflated streams live in ArrayBuffers); in a
 * thread it would still freeze or swell the process that serves requests and polls Temporal. In a child process it
 * is stopped for sure: SIGKILL past its wall-clock deadline, SIGKILL past its resident memory limit (read from
 * /proc while it runs), and a V8 heap cap below that. Whatever happens, the parent stays responsive and the next
 * document gets a fresh child.
 *
 * A task is a function of the child's module, registered with `serveChildTasks`. It may call back to the parent
 * (`request`: the OCR of a page runs in the parent's tesseract pool) and report progress (`emit`).
 */

export type ChildTask = (input: never, context: ChildTaskContext) => Promise<unknown>;
export type ChildTaskMap = Record<string, ChildTask>;

export interface ChildTaskContext {
  /** Asks the parent; resolves with its answer, rejects with its error (name, message and `code` kept). */
  request(value: unknown): Promise<unknown>;
  /** Tells the parent something (progress); no answer. */
  emit(value: unknown): void;
}

export type ChildLimit = 'DEADLINE' | 'MEMORY' | 'CRASH';

/** The child was stopped (deadline, memory) or died: the input, not the service, is the cause. */
export class ChildLimitError extends Error {
  constructor(
    readonly limit: ChildLimit,
    message: string,
    readonly usage: ChildUsage,
  ) {
    super(message);
    this.name = 'ChildLimitError';
  }
}

/** The task threw in the child; name, message and `code` are those of the child's error. */
export class ChildTaskError extends Error {
  readonly code: string | undefined;
  constructor(name: string, message: string, code: string | undefined) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** No child could be started (or the pool is closed): a fault of this process, worth a retry elsewhere. */
export class ChildPoolUnavailableError extends Error {
  readonly code = 'CHILD_POOL_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChildPoolUnavailableError';
  }
}

export interface ChildUsage {
  durationMs: number;
  /** Peak resident memory of the child during this task; null where /proc is not available. */
  peakRssBytes: number | null;
}

export interface ChildRun<T> extends ChildUsage {
  value: T;
}

export interface RunOptions {
  /** Aborting kills the child and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the pool's deadline for this task. */
  deadlineMs?: number;
  /** Answers the child's `request` calls; its signal aborts when the task ends, however it ends. */
  onRequest?: (value: unknown, signal: AbortSignal) => Promise<unknown>;
  onEvent?: (value: unknown) => void;
}

export interface ChildPool<Tasks extends ChildTaskMap> {
  readonly size: number;
  run<K extends keyof Tasks & string>(
    task: K,
    input: Parameters<Tasks[K]>[0],
    options?: RunOptions,
  ): Promise<ChildRun<Awaited<ReturnType<Tasks[K]>>>>;
  /** Starts the children now, so that the first task does not wait for one to load its modules. */
  warm(): Promise<void>;
  /** Kills every child and rejects queued tasks. */
  close(): Promise<void>;
}

export interface ChildPoolLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ChildPoolOptions {
  /** Module each child runs (it calls `serveChildTasks`); `.ts` modules run through tsx. */
  script: string;
  /** Children, i.e. tasks run at once; more tasks wait in a queue. */
  size: number;
  /** Wall-clock time a task may take, from its start in a child. */
  deadlineMs: number;
  /** Resident memory a child may reach; its V8 heap is capped at three quarters of it. */
  memoryLimitMb: number;
  /** A child is replaced after this many tasks (parsers' caches grow). */
  maxTasksPerChild?: number;
  /** How often the child's resident memory is read while a task runs. */
  memoryPollMs?: number;
  logger?: ChildPoolLogger;
}

/** Recycling costs a new child (~1 s to load pdfjs): rare enough not to show in throughput. */
const DEFAULT_MAX_TASKS_PER_CHILD = 500;
const DEFAULT_MEMORY_POLL_MS = 50;
/** Loading node, tsx and pdfjs takes ~1 s on this machine; a child not ready by then is broken. */
const START_TIMEOUT_MS = 30_000;
const STDERR_TAIL_CHARS = 4_000;
const PARENT_WATCH_MS = 500;

type ParentMessage =
  | { type: 'run'; id: number; task: string; input: unknown }
  | { type: 'reply'; requestId: number; ok: true; value: unknown }
  | { type: 'reply'; requestId: number; ok: false; error: SerializedError };

type ChildMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; ok: true; value: unknown }
  | { type: 'done'; id: number; ok: false; error: SerializedError }
  | { type: 'request'; id: number; requestId: number; value: unknown }
  | { type: 'event'; id: number; value: unknown };

interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

interface Job {
  task: string;
  input: unknown;
  options: RunOptions;
  resolve: (run: ChildRun<unknown>) => void;
  reject: (error: unknown) => void;
}

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  tasks: number;
  /** The last lines the child wrote to stderr: a V8 heap exhaustion is told apart from a crash by them. */
  stderrTail: string;
  /** Set while a task runs: called when the child exits. */
  onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | null;
}

export function createChildPool<Tasks extends ChildTaskMap>(options: ChildPoolOptions): ChildPool<Tasks> {
  const size = Math.max(1, Math.floor(options.size));
  const maxTasks = options.maxTasksPerChild ?? DEFAULT_MAX_TASKS_PER_CHILD;
  const pollMs = options.memoryPollMs ?? DEFAULT_MEMORY_POLL_MS;
  const limitBytes = options.memoryLimitMb * 1024 * 1024;
  const logger = options.logger;
  const children = new Set<Child>();
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Child {
    const heapMb = Math.max(64, Math.floor((options.memoryLimitMb * 3) / 4));
    const execArgv = [`--max-old-space-size=${heapMb}`];
    if (options.script.endsWith('.ts')) execArgv.push('--require', require.resolve('tsx/cjs'));
    const proc = fork(options.script, [], {
      execArgv,
      // Structured clone: document bytes cross as Uint8Array, not as JSON arrays of numbers.
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const child: Child = {
      process: proc,
      ready: Promise.resolve(),
      busy: false,
      tasks: 0,
      stderrTail: '',
      onExit: null,
    };
    proc.stdout?.on('data', (chunk: Buffer) => logger?.info({ pid: proc.pid, output: clip(chunk) }, 'reader output'));
    proc.stderr?.on('data', (chunk: Buffer) => {
      child.stderrTail = (child.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new ChildPoolUnavailableError(`reader process not ready within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      proc.once('message', (message: ChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve();
        else reject(new ChildPoolUnavailableError(`reader process sent ${message.type} before ready`));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new ChildPoolUnavailableError(
            `reader process exited at start (code ${code}, signal ${signal}): ${child.stderrTail.slice(-500)}`,
          ),
        );
      });
    });
    // The rejection is handled by whoever awaits `ready`; this keeps an unawaited one from crashing the process.
    child.ready.catch(() => undefined);
    proc.on('error', (error) => logger?.warn({ pid: proc.pid, err: error }, 'reader process error'));
    proc.on('exit', (code, signal) => {
      children.delete(child);
      child.onExit?.(code, signal);
    });
    children.add(child);
    return child;
  }

  function pump(): void {
    while (!closed && queue.length > 0) {
      let child = [...children].find((c) => !c.busy);
      if (!child) {
        if (children.size >= size) return;
        child = spawn();
      }
      const job = queue.shift() as Job;
      child.busy = true;
      // Not awaited: the pump goes on with the next job; execute settles this one itself, failures included.
      void execute(child, job);
    }
  }

  async function execute(child: Child, job: Job): Promise<void> {
    try {
      await child.ready;
    } catch (error) {
      child.busy = false;
      job.reject(error);
      pump();
      return;
    }
    const { process: proc } = child;
    const pid = proc.pid as number;
    const id = nextId++;
    const started = performance.now();
    const deadlineMs = job.options.deadlineMs ?? options.deadlineMs;
    const requests = new AbortController();
    const memory = new MemoryWatch(pid);
    let settled = false;

    const finish = (outcome: { value: unknown } | { error: unknown }, keepChild: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(poll);
      job.options.signal?.removeEventListener('abort', onAbort);
      proc.off('message', onMessage);
      child.onExit = null;
      requests.abort();
      child.busy = false;
      child.tasks += 1;
      // A child that grew past half its limit keeps that memory (freed buffers stay mapped): a fresh one is cheaper.
      const swollen = (memory.sample() ?? 0) > limitBytes / 2;
      let exited: Promise<void> = Promise.resolve();
      if (!keepChild || swollen || child.tasks >= maxTasks) {
        exited = stop(child);
        // Replaced at once, so that the next document does not wait for a child to load its modules.
        if (!closed && children.size < size) spawn();
      }
      const result = 'value' in outcome ? { value: outcome.value, ...usage() } : null;
      // A task ended by a kill settles once the child is gone: no reader outlives the answer about it.
      void exited.then(() => (result ? job.resolve(result) : job.reject((outcome as { error: unknown }).error)));
      pump();
    };
    const usage = (): ChildUsage => ({
      durationMs: Math.round(performance.now() - started),
      peakRssBytes: memory.peak(),
    });
    const limit = (kind: ChildLimit, message: string) => {
      const error = new ChildLimitError(kind, message, usage());
      logger?.warn({ pid, task: job.task, limit: kind, ...error.usage }, `reader process stopped: ${message}`);
      finish({ error }, false);
    };

    const deadline = setTimeout(
      () => limit('DEADLINE', `task ${job.task} outlasted its ${deadlineMs} ms deadline`),
      deadlineMs,
    );
    const poll = setInterval(() => {
      const rss = memory.sample();
      if (rss !== null && rss > limitBytes) {
        limit(
          'MEMORY',
          `task ${job.task} reached ${Math.round(rss / 1048576)} MiB (limit ${options.memoryLimitMb} MiB)`,
        );
      }
    }, pollMs);
    const onAbort = () => finish({ error: abortReason(job.options.signal as AbortSignal) }, false);
    job.options.signal?.addEventListener('abort', onAbort, { once: true });
    child.onExit = (code, signal) => {
      memory.sample();
      const heapExhausted = /heap out of memory|Reached heap limit/i.test(child.stderrTail);
      if (heapExhausted) limit('MEMORY', `task ${job.task} exhausted the heap of its reader process`);
      else limit('CRASH', `reader process died during task ${job.task} (code ${code}, signal ${signal})`);
    };
    const onMessage = (message: ChildMessage) => {
      if (!('id' in message) || message.id !== id) return;
      if (message.type === 'done') {
        if (message.ok) finish({ value: message.value }, true);
        else finish({ error: deserializeError(message.error) }, true);
      } else if (message.type === 'event') {
        job.options.onEvent?.(message.value);
      } else if (message.type === 'request') {
        // The child waits for the reply, not this handler; answer never rejects (a failure is sent as the reply).
        void answer(message.requestId, message.value);
      }
    };
    const answer = async (requestId: number, value: unknown) => {
      let reply: ParentMessage;
      try {
        if (!job.options.onRequest) throw new Error('this task cannot ask its parent');
        reply = { type: 'reply', requestId, ok: true, value: await job.options.onRequest(value, requests.signal) };
      } catch (error) {
        reply = { type: 'reply', requestId, ok: false, error: serializeError(error) };
      }
      if (!settled && proc.connected) proc.send(reply);
    };

    proc.on('message', onMessage);
    memory.reset();
    if (job.options.signal?.aborted) return onAbort();
    proc.send({ type: 'run', id, task: job.task, input: job.input } satisfies ParentMessage);
  }

  /** Kills the child; resolves once it has exited (and been reaped). */
  function stop(child: Child): Promise<void> {
    children.delete(child);
    const { process: proc } = child;
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    return exited;
  }

  return {
    size,
    run(task, input, runOptions = {}) {
      if (closed) return Promise.reject(new ChildPoolUnavailableError('reader pool closed'));
      if (runOptions.signal?.aborted) return Promise.reject(abortReason(runOptions.signal));
      return new Promise((resolve, reject) => {
        queue.push({
          task,
          input,
          options: runOptions,
          resolve: resolve as Job['resolve'],
          reject,
        });
        pump();
      });
    },
    async warm() {
      while (children.size < size) spawn();
      await Promise.all([...children].map((c) => c.ready));
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new ChildPoolUnavailableError('reader pool closed'));
      await Promise.all([...children].map(stop));
    },
  };
}

/**
 * Resident memory of a child, from /proc (Linux). `clear_refs` 5 resets the kernel's high-water mark (VmHWM) so
 * that the peak is the task's, not that of an earlier task in the same child. Elsewhere nothing is measured and
 * only the heap cap and the deadline apply.
 */
class MemoryWatch {
  private maxSeen = 0;
  private available = true;

  constructor(private readonly pid: number) {}

  reset(): void {
    this.maxSeen = 0;
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      // Older kernels: VmHWM then covers the child's whole life, still an upper bound of the task's peak.
    }
    this.sample();
  }

  /** Current resident bytes, or null when they cannot be read. */
  sample(): number | null {
    if (!this.available) return null;
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${this.pid}/status`, 'latin1');
    } catch {
      this.available = process.platform === 'linux';
      return null;
    }
    const rss = kilobytes(status, 'VmRSS');
    const hwm = kilobytes(status, 'VmHWM');
    this.maxSeen = Math.max(this.maxSeen, rss ?? 0, hwm ?? 0);
    return rss;
  }

  peak(): number | null {
    this.sample();
    return this.available && this.maxSeen > 0 ? this.maxSeen : null;
  }
}

function kilobytes(status: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

function deserializeError(error: SerializedError): ChildTaskError {
  return new ChildTaskError(error.name, error.message, error.code);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

function clip(chunk: Buffer): string {
  const text = chunk.toString('utf8');
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/**
 * The child's side: runs the tasks the parent sends, one at a time, and exits when the parent goes away (its IPC
 * channel closes), so a killed service leaves no reader behind.
 */
export function serveChildTasks(tasks: ChildTaskMap): void {
  const send = (message: ChildMessage) => {
    if (process.connected) process.send?.(message);
  };
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let nextRequestId = 1;
  process.on('disconnect', () => process.exit(0));
  watchParent();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'reply') {
      const waiter = pending.get(message.requestId);
      pending.delete(message.requestId);
      if (!waiter) return;
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(deserializeError(message.error));
      return;
    }
    const { id, task, input } = message;
    const context: ChildTaskContext = {
      request: (value) =>
        new Promise((resolve, reject) => {
          const requestId = nextRequestId++;
          pending.set(requestId, { resolve, reject });
          send({ type: 'request', id, requestId, value });
        }),
      emit: (value) => send({ type: 'event', id, value }),
    };
    const handler = tasks[task];
    const running = handler
      ? handler(input as never, context)
      : Promise.reject(new Error(`unknown reader task ${task}`));
    running.then(
      (value) => send({ type: 'done', id, ok: true, value }),
      (error: unknown) => send({ type: 'done', id, ok: false, error: serializeError(error) }),
    );
  });
  send({ type: 'ready' });
}

/**
 * 'disconnect' only fires when the event loop turns, and a task stuck in a parser never lets it: a thread of its own
 * checks the parent's pid and kills this process once the parent is gone (its orphan is adopted by another pid).
 */
function watchParent(): void {
  const code = `
    const { workerData } = require('node:worker_threads');
    setInterval(() => {
      if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL');
    }, ${PARENT_WATCH_MS});
  `;
  const watchdog = new Worker(code, { eval: true, workerData: { parent: process.ppid, self: process.pid } });
  watchdog.unref();
}
