import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  readInvoice,
  type ExtractionLimits,
  type ExtractionProgress,
  type OcrEngine,
} from '../extraction/read-invoice';
import type { ExtractionResult } from '../extraction/types';
import { DocumentNotFoundError, type DocumentStore } from '../infra/storage';

export interface ExtractionActivityDeps {
  store: DocumentStore;
  /** The process's OCR pool (infra/ocr-pool.ts), created once and shared by every activity. */
  ocr: OcrEngine | null;
  limits?: Partial<ExtractionLimits>;
}

export interface ExtractInvoiceFieldsInput {
  /** Key of the deposited file in the document store: document bytes never travel in Temporal payloads. */
  sha256: string;
  mimeType: string;
}

/** A heartbeat at least this often while a page is being read, so a heartbeat timeout of ~30 s is enough. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Runs on the `ocr` task queue: CPU-heavy and long, apart from the workflows' queue. */
export function createExtractionActivities(deps: ExtractionActivityDeps) {
  return {
    /**
     * Reads the deposited invoice into fields. A document that cannot be read completes with engine NONE
     * (so the workflow sends it to a validator); cancellation stops the OCR of the current page.
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
      const ticker = setInterval(() => context.heartbeat(progress), HEARTBEAT_EVERY_MS);
      try {
        return await readInvoice(bytes, input.mimeType, {
          ocr: deps.ocr,
          limits: deps.limits,
          signal: context.cancellationSignal,
          onProgress: (next) => {
            progress = next;
            context.heartbeat(next);
          },
        });
      } finally {
        clearInterval(ticker);
      }
    },
  };
}

export type ExtractionActivities = ReturnType<typeof createExtractionActivities>;
