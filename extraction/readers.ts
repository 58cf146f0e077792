import path from 'node:path';
import { createChildPool, type ChildPool, type ChildPoolLogger } from '../infra/child-pool';
import type { PageReadOptions } from '../infra/ocr-pool';
import type { ReaderTasks } from './reader-process';

/** The reader processes of a worker (or of the API, for workbooks): parsing isolated under a deadline and a memory cap. */
export type ReaderPool = ChildPool<ReaderTasks>;

export interface ReaderPoolOptions {
  size: number;
  deadlineMs: number;
  memoryLimitMb: number;
  logger?: ChildPoolLogger;
}

/** The reader's module, next to this one: `.ts` when run through tsx or ts-jest, `.js` once built. */
const READER_SCRIPT = path.join(__dirname, `reader-process${path.extname(__filename)}`);

export function createReaderPool(options: ReaderPoolOptions): ReaderPool {
  return createChildPool<ReaderTasks>({ script: READER_SCRIPT, ...options });
}

/**
 * A page image a reader asks its parent to OCR (tesseract's pool lives in the parent, shared by all readers). Here,
 * not in the reader's module, so that the parent never loads the parsers it runs elsewhere.
 */
export interface OcrRequest extends PageReadOptions {
  image: Uint8Array;
}

/** Structured clone hands a Buffer over as a plain Uint8Array. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
