import { defineSignal } from '@temporalio/workflow';
import type { ControlResult, ControlVerdict } from '../domain/controls';
import type { DocumentVersion } from '../domain/deposit-rules';
import type { ExtractionEngine, InvoiceFields } from '../domain/reading';

/**
 * The invoice workflow's contract: one run per deposited version of an invoice, a child of its pro forma's workflow
 * (or alone, for an invoice whose pro forma is not known yet).
 */

export const invoiceWorkflowId = (proFormaNumber: string, version: number): string =>
  `invoice-${proFormaNumber}-v${version}`;

export interface InvoiceWorkflowInput {
  /** The pro forma the invoice was deposited on; absent for an invoice that arrived before anyone knew it. */
  proFormaNumber?: string;
  /** Already stored (content-addressed) and recorded. */
  document: DocumentVersion;
  ocrTaskQueue: string;
  /** A reading whose OCR worker stops heartbeating this long is handed to another worker (default 1 minute). */
  ocrHeartbeatTimeoutMs?: number;
}

/** What was read from one version, as the pro forma shows it. */
export interface ExtractionView {
  version: number;
  engine: ExtractionEngine;
  fields: InvoiceFields;
  fieldConfidences: Record<string, number>;
  confidence: number;
  error?: { code: string; message: string };
}

export interface InvoiceOutcome {
  extraction: ExtractionView;
  /** The controls and their verdict; null without a pro forma to control the invoice against. */
  checked: { results: ControlResult[]; verdict: ControlVerdict } | null;
}

/** Sent by an invoice workflow to its parent once the reading is recorded: the pro forma moves on to its controls. */
export const invoiceReadSignal = defineSignal<[ExtractionView]>('invoiceRead');

export type InvoiceWorkflow = (input: InvoiceWorkflowInput) => Promise<InvoiceOutcome>;
