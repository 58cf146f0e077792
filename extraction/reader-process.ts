import { serveChildTasks, type ChildTaskContext } from '../infra/child-pool';
import type { OcrResult } from '../infra/ocr-pool';
import { BankFileError, parseBankFile, type BankFileReading } from './bank-statement';
import { readContractsWorkbook, type WorkbookReading } from './contracts-workbook';
import { loadPdfJs } from './pdf';
import { readInvoice, type ExtractionLimits, type ExtractionProgress, type OcrEngine } from './read-invoice';
import { asBuffer, type OcrRequest } from './readers';
import type { ExtractionResult } from './types';

/**
 * The reader process: what parses a user's file runs here, in a child (extraction/readers.ts) of the OCR worker for
 * invoices and of the API for workbooks and bank files, never in a process that serves requests or polls Temporal. Its parent kills
 * it past its deadline or memory limit.
 */

export interface ReadInvoiceTaskInput {
  bytes: Uint8Array;
  mimeType: string;
  /** Whether the parent has an OCR pool to read page images with. */
  ocr: boolean;
  limits?: Partial<ExtractionLimits>;
}

export const readerTasks = {
  async readInvoice(input: ReadInvoiceTaskInput, context: ChildTaskContext): Promise<ExtractionResult> {
    const ocr: OcrEngine | null = input.ocr
      ? {
          // The signal stays here: the parent stops the page when this process is stopped.
          recognize: async (image, { signal: _signal, ...options } = {}) =>
            (await context.request({ image, ...options } satisfies OcrRequest)) as OcrResult,
        }
      : null;
    return readInvoice(asBuffer(input.bytes), input.mimeType, {
      ocr,
      limits: input.limits,
      onProgress: (progress: ExtractionProgress) => context.emit(progress),
    });
  },

  async readContractsWorkbook(input: { bytes: Uint8Array }): Promise<WorkbookReading> {
    return readContractsWorkbook(asBuffer(input.bytes));
  },

  /** The bank's answer to a payment file; a refusal comes back as a value (an error's class does not cross over). */
  async readBankFile(input: { bytes: Uint8Array }): Promise<BankFileReading> {
    try {
      return { ok: true, file: parseBankFile(asBuffer(input.bytes)) };
    } catch (error) {
      if (error instanceof BankFileError) return { ok: false, message: error.message };
      throw error;
    }
  },
};

export type ReaderTasks = typeof readerTasks;

if (require.main === module) {
  // pdfjs is loaded before the process says it is ready, so that no task pays for it. Not awaited: a CommonJS
  // module has no top-level await, and a failure is handled right here.
  void loadPdfJs().then(
    () => serveChildTasks(readerTasks),
    (error: unknown) => {
      process.stderr.write(`reader process cannot load pdfjs: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
