import fs from 'node:fs/promises';
import path from 'node:path';
import { createWorker, OEM, type Worker as TesseractWorker } from 'tesseract.js';
import { drawBitmapText, encodeGrayPng } from './bitmap-text';

/**
 * A pool of tesseract.js workers, created once per worker process and reused by every extraction (ocr-notes.md
 * §5.2: a worker costs ~0.4 s to create and its first page is 0.3-0.8 s slower, so never one per request).
 *
 * The jobs are dispatched here rather than through tesseract.js's `createScheduler`: the scheduler can neither
 * remove a worker nor time a job out, and this pool must replace a worker that is stuck (per-page timeout),
 * cancelled (activity cancellation), crashed, or simply old (tesseract.js#977: memory grows with every image,
 * the WebAssembly heap is never given back).
 */

export interface OcrWord {
  text: string;
  /** 0..1 */
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
  /** Tesseract's line the word belongs to, counted from 0 over the page: a skew is measured along lines. */
  line: number;
}

export interface OcrResult {
  text: string;
  /** Tesseract's mean word confidence, 0..1. */
  confidence: number;
  words?: OcrWord[];
  /** With `deskew`: the angle the image was turned by before reading; the words' boxes are in the turned image. */
  rotateRadians?: number;
}

/** How one image is read: what a reader process asks its parent's pool for. */
export interface PageReadOptions {
  /** Overrides the pool's page timeout for this page. */
  timeoutMs?: number;
  /** Also return the words with their boxes and confidences (a little slower). */
  words?: boolean;
  /** Page segmentation mode for this image instead of the pool's (a region re-read as one block: '6'); no fallback. */
  psm?: string;
  /** Straighten the image first: tesseract measures the skew of its text lines (one more layout pass). */
  deskew?: boolean;
}

export interface RecognizeOptions extends PageReadOptions {
  signal?: AbortSignal;
}

export interface OcrPool {
  readonly size: number;
  recognize(image: Buffer, options?: RecognizeOptions): Promise<OcrResult>;
  /** Rejects queued jobs, stops every worker. Call once at shutdown (Jest reports the threads otherwise). */
  terminate(): Promise<void>;
}

/** The subset of a pino logger the pool uses. */
export interface OcrPoolLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface OcrPoolOptions {
  /** Workers, i.e. pages read in parallel: one per core (ocr-notes.md §3c: a third worker on 2 cores was slower). */
  workers: number;
  /** The language data is copied under `<dataDir>/tessdata`. */
  dataDir: string;
  /** A worker is replaced after this many pages. */
  maxJobsPerWorker?: number;
  /** A page not read within this time kills its worker (which is replaced) and fails with OcrTimeoutError. */
  pageTimeoutMs?: number;
  /** Tesseract page segmentation mode; see DEFAULT_PSM. */
  psm?: string;
  /** Mode of a second reading when the first finds (almost) no text; null for none. See FALLBACK_PSM. */
  fallbackPsm?: string | null;
  logger?: OcrPoolLogger;
}

export const OCR_LANGUAGES = ['fra', 'eng'] as const;
/**
 * PSM 3 (automatic page segmentation). Measured on ../shared/corpus, page 1 of 21 invoices, clean PNG and
 * scanned JPEG: PSM 6 (one uniform block, tesseract.js's default) garbles shaded table rows into noise and lost
 * totals, IBANs and dates that PSM 3 read (scan: IBAN 10/11 → 11/11, date 19/21 → 21/21), for the same time per
 * page on these layouts (sum over the 21 PNGs 55 s vs 56 s on one worker); the +22 % of ocr-notes.md §3b was
 * one text-dense page.
 */
export const DEFAULT_PSM = '3';
/**
 * PSM 3 finds no text at all on a heavily noisy scan where PSM 6 still reads most fields (ocr-notes.md §4), so
 * a page that comes back (almost) empty is read a second time in this mode. A blank page costs two fast reads.
 */
export const FALLBACK_PSM = '6';
const FALLBACK_BELOW_CHARS = 20;
const DEFAULT_MAX_JOBS_PER_WORKER = 100;
const DEFAULT_PAGE_TIMEOUT_MS = 60_000;
/** Creating a worker that cannot load its language data never settles (tesseract.js 7 createWorker). */
const START_TIMEOUT_MS = 60_000;

export class OcrTimeoutError extends Error {
  readonly code = 'OCR_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`OCR of one page took longer than ${timeoutMs} ms`);
    this.name = 'OcrTimeoutError';
  }
}

/** Tesseract could not decode the image it was given. */
export class OcrImageError extends Error {
  readonly code = 'IMAGE_UNREADABLE';
  constructor(message: string) {
    super(message);
    this.name = 'OcrImageError';
  }
}

/** The worker died while reading a page (out of memory, a WebAssembly abort): that document goes to a human. */
export class OcrCrashError extends Error {
  readonly code = 'OCR_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'OcrCrashError';
  }
}

export class OcrUnavailableError extends Error {
  readonly code = 'OCR_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'OcrUnavailableError';
  }
}

/**
 * One folder holding every language's `.traineddata.gz`: tesseract.js reads all languages from a single
 * `langPath`, and the npm data packages ship one folder each (ocr-notes.md §1, finding 2). The LSTM-only
 * `4.0.0_best_int` files are the ones tesseract.js would download for OEM.LSTM_ONLY. Copied, not linked, so the
 * folder survives a move of node_modules; written under a temporary name then renamed, so two processes
 * starting together never read half a file.
 */
export async function prepareTessdata(dataDir: string): Promise<string> {
  const folder = path.join(dataDir, 'tessdata');
  await fs.mkdir(folder, { recursive: true });
  for (const lang of OCR_LANGUAGES) {
    const source = path.join(
      path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)),
      '4.0.0_best_int',
      `${lang}.traineddata.gz`,
    );
    const target = path.join(folder, `${lang}.traineddata.gz`);
    const [sourceStat, targetStat] = await Promise.all([fs.stat(source), fs.stat(target).catch(() => null)]);
    if (targetStat?.size === sourceStat.size) continue;
    const temp = `${target}.${process.pid}.tmp`;
    await fs.copyFile(source, temp);
    await fs.rename(temp, target);
  }
  return folder;
}

interface Job {
  image: Buffer;
  options: RecognizeOptions;
  resolve: (result: OcrResult) => void;
  reject: (error: unknown) => void;
  settled: boolean;
  detach: () => void;
}

interface Slot {
  index: number;
  worker: TesseractWorker | null;
  jobs: number;
  busy: boolean;
  /** Set while the worker is being (re)created. */
  starting: Promise<void> | null;
  /** Set when the running job ends for a reason that kills the worker (timeout, abort, crash). */
  interrupt: ((error: unknown) => void) | null;
}

const noopLogger: OcrPoolLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Creates the workers (each warmed up on a small text image) and resolves when all are ready. */
export async function createOcrPool(options: OcrPoolOptions): Promise<OcrPool> {
  const size = Math.max(1, Math.floor(options.workers));
  const maxJobs = options.maxJobsPerWorker ?? DEFAULT_MAX_JOBS_PER_WORKER;
  const pageTimeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const psm = options.psm ?? DEFAULT_PSM;
  const fallbackPsm = options.fallbackPsm === undefined ? FALLBACK_PSM : options.fallbackPsm;
  const logger = options.logger ?? noopLogger;
  const langPath = await prepareTessdata(options.dataDir);

  const slots: Slot[] = Array.from({ length: size }, (_, index) => ({
    index,
    worker: null,
    jobs: 0,
    busy: false,
    starting: null,
    interrupt: null,
  }));
  const queue: Job[] = [];
  let closed = false;

  /** Creates, configures and warms up a worker; a start that hangs (unreadable language data) is abandoned. */
  async function startWorker(slot: Slot): Promise<TesseractWorker> {
    let created: TesseractWorker | null = null;
    const starting = (async () => {
      const worker = await createWorker(OCR_LANGUAGES.join('+'), OEM.LSTM_ONLY, {
        langPath,
        gzip: true,
        // The default cache writes `<lang>.traineddata` into the working directory (field notes fact 8).
        cacheMethod: 'none',
        // Without a handler tesseract.js throws from its message listener, which would crash the process.
        errorHandler: (error: unknown) =>
          logger.warn({ worker: slot.index, error: String(error) }, 'tesseract job failed'),
      });
      created = worker;
      watchThread(worker, slot);
      await worker.setParameters({ tessedit_pageseg_mode: psm as never });
      await worker.recognize(warmUpImage());
      return worker;
    })();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        starting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new OcrUnavailableError(`tesseract worker not ready within ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      // Stop the thread, now if it exists, else when (if ever) createWorker settles.
      const late = created as TesseractWorker | null;
      if (late) void late.terminate().catch(() => undefined);
      else void starting.then((worker) => worker.terminate()).catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The worker's thread (tesseract.js runs each worker in a worker_threads Worker) is watched for a crash. */
  function watchThread(worker: TesseractWorker, slot: Slot): void {
    const thread: unknown = (worker as unknown as { worker?: unknown }).worker;
    if (!isEventEmitter(thread)) return;
    // An 'error' event without a listener would be rethrown in the main thread.
    thread.on('error', (error: unknown) => {
      logger.error({ worker: slot.index, error: String(error) }, 'tesseract worker thread failed');
      if (slot.worker === worker) slot.interrupt?.(new OcrCrashError(`tesseract worker failed: ${String(error)}`));
    });
    thread.on('exit', (code: unknown) => {
      if (slot.worker !== worker || closed) return;
      logger.error({ worker: slot.index, code }, 'tesseract worker thread exited');
      if (slot.busy) slot.interrupt?.(new OcrCrashError('tesseract worker exited during a page'));
      else replace(slot, 'exited');
    });
  }

  function replace(slot: Slot, reason: string): void {
    const old = slot.worker;
    slot.worker = null;
    slot.jobs = 0;
    // The replacement does not wait for the old thread to stop; a failure to stop it leaves nothing to do.
    if (old) void old.terminate().catch(() => undefined);
    if (closed || slot.starting) return;
    logger.info({ worker: slot.index, reason }, 'replacing tesseract worker');
    slot.starting = (async () => {
      for (let attempt = 1; !closed; attempt += 1) {
        try {
          const worker = await startWorker(slot);
          if (closed) {
            await worker.terminate();
            return;
          }
          slot.worker = worker;
          return;
        } catch (error) {
          logger.error({ worker: slot.index, attempt, error: String(error) }, 'tesseract worker could not start');
          await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * attempt)));
        }
      }
    })().finally(() => {
      slot.starting = null;
      pump();
    });
  }

  function pump(): void {
    for (const slot of slots) {
      if (closed || queue.length === 0) return;
      if (!slot.worker || slot.busy || slot.starting) continue;
      const job = queue.shift();
      if (job) run(slot, slot.worker, job);
    }
  }

  function run(slot: Slot, worker: TesseractWorker, job: Job): void {
    job.detach();
    job.detach = () => undefined;
    slot.busy = true;
    const timeoutMs = job.options.timeoutMs ?? pageTimeoutMs;
    const timer = setTimeout(() => finish({ error: new OcrTimeoutError(timeoutMs), killsWorker: true }), timeoutMs);
    function finish(outcome: { result: OcrResult } | { error: unknown; killsWorker: boolean }): void {
      if (job.settled) return;
      clearTimeout(timer);
      slot.interrupt = null;
      slot.busy = false;
      job.detach();
      settle(job, outcome);
      slot.jobs += 1;
      if ('killsWorker' in outcome && outcome.killsWorker) {
        replace(slot, outcome.error instanceof Error ? outcome.error.name : 'interrupted');
      } else if (slot.jobs >= maxJobs) {
        replace(slot, 'recycled');
      }
      pump();
    }
    slot.interrupt = (error) => finish({ error, killsWorker: true });
    const signal = job.options.signal;
    if (signal) {
      // A cancelled activity must not leave its page running: the only way to stop tesseract is to stop its worker.
      const onAbort = () => finish({ error: abortReason(signal), killsWorker: true });
      signal.addEventListener('abort', onAbort, { once: true });
      job.detach = () => signal.removeEventListener('abort', onAbort);
    }
    read(worker, job).then(
      (data) => finish({ result: toResult(data, job.options.words === true) }),
      (error: unknown) => {
        const message = String(error instanceof Error ? error.message : error);
        const failure = /read image/i.test(message) ? new OcrImageError(message) : new Error(message);
        finish({ error: failure, killsWorker: false });
      },
    );
  }

  async function read(worker: TesseractWorker, job: Job): Promise<TesseractPageData> {
    const output = { text: true, blocks: job.options.words === true };
    // tesseract.js sets these for this image only and restores the worker's own parameters after it.
    const parameters = {
      ...(job.options.deskew ? { rotateAuto: true } : {}),
      ...(job.options.psm ? { tessedit_pageseg_mode: job.options.psm as never } : {}),
    };
    const { data } = await worker.recognize(job.image, parameters, output);
    if (job.options.psm) return data;
    if (!fallbackPsm || fallbackPsm === psm || nonSpaceLength(data.text) >= FALLBACK_BELOW_CHARS) return data;
    await worker.setParameters({ tessedit_pageseg_mode: fallbackPsm as never });
    try {
      const second = (await worker.recognize(job.image, parameters, output)).data;
      return nonSpaceLength(second.text) > nonSpaceLength(data.text) ? second : data;
    } finally {
      await worker.setParameters({ tessedit_pageseg_mode: psm as never });
    }
  }

  function settle(job: Job, outcome: { result: OcrResult } | { error: unknown }): void {
    if (job.settled) return;
    job.settled = true;
    if ('result' in outcome) job.resolve(outcome.result);
    else job.reject(outcome.error);
  }

  const started = await Promise.allSettled(slots.map((slot) => startWorker(slot)));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.all(
      started.map((s) => (s.status === 'fulfilled' ? s.value.terminate().catch(() => undefined) : undefined)),
    );
    throw failure.reason;
  }
  started.forEach((s, i) => {
    const slot = slots[i];
    if (slot && s.status === 'fulfilled') slot.worker = s.value;
  });
  logger.info({ workers: size, psm, fallbackPsm, langPath }, 'OCR pool ready');

  return {
    size,
    recognize(image, recognizeOptions = {}) {
      if (closed) return Promise.reject(new OcrUnavailableError('OCR pool is terminated'));
      const signal = recognizeOptions.signal;
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return new Promise<OcrResult>((resolve, reject) => {
        const job: Job = { image, options: recognizeOptions, resolve, reject, settled: false, detach: () => undefined };
        if (signal) {
          // While queued, an abort just withdraws the job.
          const onAbort = () => {
            const at = queue.indexOf(job);
            if (at >= 0) queue.splice(at, 1);
            settle(job, { error: abortReason(signal) });
          };
          signal.addEventListener('abort', onAbort, { once: true });
          job.detach = () => signal.removeEventListener('abort', onAbort);
        }
        queue.push(job);
        pump();
      });
    },
    async terminate() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0)) {
        job.detach();
        settle(job, { error: new OcrUnavailableError('OCR pool is terminated') });
      }
      for (const slot of slots) slot.interrupt?.(new OcrUnavailableError('OCR pool is terminated'));
      await Promise.all(
        slots.map(async (slot) => {
          await slot.starting;
          const worker = slot.worker;
          slot.worker = null;
          await worker?.terminate().catch(() => undefined);
        }),
      );
    },
  };
}

function nonSpaceLength(text: string): number {
  return text.replace(/\s/g, '').length;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

interface EventEmitterLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

function isEventEmitter(value: unknown): value is EventEmitterLike {
  return typeof value === 'object' && value !== null && 'on' in value && typeof value.on === 'function';
}

interface TesseractPageData {
  text: string;
  confidence: number;
  blocks: unknown;
  rotateRadians?: number | null;
}

function toResult(data: TesseractPageData, withWords: boolean): OcrResult {
  const result: OcrResult = { text: data.text, confidence: clamp01(data.confidence / 100) };
  if (withWords) result.words = wordsOf(data.blocks);
  if (typeof data.rotateRadians === 'number' && data.rotateRadians !== 0) result.rotateRadians = data.rotateRadians;
  return result;
}

/** tesseract.js 7 nests words as blocks → paragraphs → lines → words. */
function wordsOf(blocks: unknown): OcrWord[] {
  const words: OcrWord[] = [];
  let lineIndex = -1;
  for (const block of arrayOf(blocks)) {
    for (const paragraph of arrayOf(field(block, 'paragraphs'))) {
      for (const line of arrayOf(field(paragraph, 'lines'))) {
        lineIndex += 1;
        for (const word of arrayOf(field(line, 'words'))) {
          const text = field(word, 'text');
          const confidence = field(word, 'confidence');
          const bbox = field(word, 'bbox');
          if (typeof text !== 'string' || typeof confidence !== 'number') continue;
          words.push({
            text,
            confidence: clamp01(confidence / 100),
            bbox: {
              x0: Number(field(bbox, 'x0') ?? 0),
              y0: Number(field(bbox, 'y0') ?? 0),
              x1: Number(field(bbox, 'x1') ?? 0),
              y1: Number(field(bbox, 'y1') ?? 0),
            },
            line: lineIndex,
          });
        }
      }
    }
  }
  return words;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

let warmUp: Buffer | undefined;

/**
 * A small page with two printed lines: recognising real glyphs runs the LSTM, so its WebAssembly code is
 * compiled and optimised before the first invoice arrives (ocr-notes.md §3b: the first page is 0.3-0.8 s slower).
 */
export function warmUpImage(): Buffer {
  warmUp ??= encodeGrayPng(drawBitmapText(['FACTURE FA-2024-001 DU 15/03/2024', 'TOTAL TTC: 1 234,56 EUR']));
  return warmUp;
}
