import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ExtractionLimits, ExtractionProgress, OcrEngine } from '../extraction/read-invoice';
import { stoppedReading } from '../extraction/read-invoice';
import { asBuffer, type OcrRequest, type ReaderPool } from '../extraction/readers';
import type { ExtractionResult } from '../extraction/types';
import { ChildLimitError, type ChildLimit } from '../infra/child-pool';
import { DocumentNotFoundError, type DocumentStore } from '../infra/storage';

export interface ExtractionActivityDeps {
  store: DocumentStore;
  /** The reader processes (extraction/readers.ts): every byte of the document is parsed there, not here. */
  readers: ReaderPool;
  /** The process's OCR pool (infra/ocr-pool.ts), created once and shared by every reader. */
  ocr: OcrEngine | null;
  limits?: Partial<ExtractionLimits>;
}

export interface ExtractInvoiceFieldsInput {
  /** Key of the deposited file in the document store: document bytes never travel in Temporal payloads. */
  sha256: string;
  mimeType: string;
}

/**
 * A heartbeat this often while the reader works, whatever it is doing (the SDK throttles what reaches the server to
 * 80 % of the heartbeat timeout): a worker that dies is noticed within the timeout, a live one never is.
 */
const HEARTBEAT_EVERY_MS = 1_000;

const STOPPED: Record<ChildLimit, Parameters<typeof stoppedReading>[0]> = {
  DEADLINE: 'READ_TIMEOUT',
  MEMORY: 'READ_MEMORY_EXCEEDED',
  CRASH: 'EXTRACTION_FAILED',
};

/** Runs on the `ocr` task queue: CPU-heavy and long, apart from the workflows' queue. */
export function createExtractionActivities(deps: ExtractionActivityDeps) {
  return {
    /**
     * Reads the deposited invoice into fields, in a reader process. A document that cannot be read, or whose reader
     * passes its deadline or memory limit, completes with engine NONE (so the workflow sends it to a validator
     * instead of retrying a file that would stop every reader in turn); cancellation kills the reader.
     */
    async extractInvoiceFields(input: ExtractInvoiceFieldsInput): Promise<ExtractionResult> {
      const context = Context.current();
      let bytes: Buffer;
      try {
        bytes = await deps.store.get(input.sha256);
      } catch (error) {
        if (error instanceof DocumentNotFoundError) {
          throw ApplicationFailure.create({
            type: 'NOT_FOUND',
            message: `No stored document ${input.sha256}`,
            nonRetryable: true,
          });
        }
        throw error;
      }
      let progress: ExtractionProgress | undefined;
      // The reader may be busy in one call for long: the heartbeat comes from here, whatever the reader does.
      const ticker = setInterval(() => context.heartbeat(progress), HEARTBEAT_EVERY_MS);
      try {
        const run = await deps.readers.run(
          'readInvoice',
          { bytes, mimeType: input.mimeType, ocr: deps.ocr !== null, limits: deps.limits },
          {
            signal: context.cancellationSignal,
            onEvent: (next) => {
              progress = next as ExtractionProgress;
              context.heartbeat(progress);
            },
            onRequest: (request, signal) => {
              const { image, ...options } = request as OcrRequest;
              if (!deps.ocr) throw new Error('no OCR pool in this process');
              return deps.ocr.recognize(asBuffer(image), { ...options, signal });
            },
          },
        );
        const { engine, error } = run.value;
        context.log.info('document read', {
          sha256: input.sha256,
          engine,
          code: error?.code,
          durationMs: run.durationMs,
          peakRssBytes: run.peakRssBytes,
        });
        return run.value;
      } catch (error) {
        if (!(error instanceof ChildLimitError)) throw error;
        context.log.warn('document reader stopped', { sha256: input.sha256, limit: error.limit, ...error.usage });
        return stoppedReading(STOPPED[error.limit], error.usage.durationMs, { detail: error.message });
      } finally {
        clearInterval(ticker);
      }
    },
  };
}

export type ExtractionActivities = ReturnType<typeof createExtractionActivities>;
