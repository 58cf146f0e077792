import {
  ActivityFailure,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlResult } from '../domain/controls';
import { emptyFields, zeroConfidences, type ExtractionResult } from '../domain/reading';
import { ocrOn, readModel } from './activity-options';
import {
  invoiceReadSignal,
  type ExtractionView,
  type InvoiceOutcome,
  type InvoiceWorkflow,
  type InvoiceWorkflowInput,
} from './invoice.messages';
import { InvoiceNumberKey } from './search-attributes';

const _declaredSignature: InvoiceWorkflow = invoiceWorkflow;

/**
 * One deposited version of an invoice: read it (on the OCR queue), record the reading, run the controls, and return
 * the verdict to whoever waits for it (the pro forma's workflow, which decides what happens next). A newer deposit
 * or a cancellation of the pro forma cancels this workflow. Without a pro forma, the reading is the whole result.
 */
export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceOutcome> {
  const { document, proFormaNumber } = input;
  show('Lecture en cours');

  const read = await ocrOn(input.ocrTaskQueue, input.ocrHeartbeatTimeoutMs)
    .extractInvoiceFields({ sha256: document.sha256, mimeType: document.mimeType })
    .catch(unreadable);
  const extraction: ExtractionView = { version: document.version, ...read };
  if (read.fields.invoiceNumber) upsertSearchAttributes([{ key: InvoiceNumberKey, value: read.fields.invoiceNumber }]);
  if (proFormaNumber === undefined) {
    show(readingSummary(read));
    return { extraction, checked: null };
  }

  await readModel.recordExtraction({ number: proFormaNumber, version: document.version, extraction: read });
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(invoiceReadSignal, extraction);
  show(`${readingSummary(read)}\n\nContrôles en cours`);

  const { results, verdict } = await readModel.runControls({
    proFormaNumber,
    sha256: document.sha256,
    extraction: read,
    depositedAt: document.uploadedAt,
  });
  await readModel.recordControls({ number: proFormaNumber, version: document.version, results });
  show(`${readingSummary(read)}\n\n${controlsTable(results)}\n\nVerdict : ${verdict.kind}`);
  return { extraction, checked: { results, verdict } };

  function show(text: string): void {
    setCurrentDetails(`**Facture v${document.version}** · ${document.fileName}\n\n${text}`);
  }
}

function readingSummary(read: ExtractionResult): string {
  const found = read.fields.invoiceNumber ? `facture n° ${read.fields.invoiceNumber}` : 'numéro de facture non lu';
  return `Lu par ${read.engine} (confiance ${Math.round(read.confidence * 100)} %) : ${found}`;
}

/** Temporal UI shows the controls of the version as a table. */
export function controlsTable(results: readonly ControlResult[]): string {
  const rows = results.map((c) => `| ${c.code} | ${c.outcome} — ${c.message.replace(/\|/g, '/')} |`);
  return ['| contrôle | résultat |', '|---|---|', ...rows].join('\n');
}

/**
 * A reading that failed for good (retries exhausted, document missing from the store) is a document nobody could
 * read automatically: a validator looks at it. Cancellation (a newer deposit) still propagates.
 */
function unreadable(error: unknown): ExtractionResult {
  if (isCancellation(error)) throw error;
  const cause = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
  log.warn('extraction failed', { error: cause });
  return {
    engine: 'NONE',
    fields: emptyFields(),
    fieldConfidences: zeroConfidences(),
    confidence: 0,
    pageCount: 0,
    durationMs: 0,
    error: { code: 'EXTRACTION_FAILED', message: 'la lecture automatique du document a échoué' },
  };
}
