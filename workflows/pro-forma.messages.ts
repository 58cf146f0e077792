import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ControlResult } from '../domain/controls';
import type { Decision, DecisionOrigin } from '../domain/decisions';
import type { CostNature, SettlementMode } from '../domain/cost-nature';
import type { DocumentVersion } from '../domain/deposit-rules';
import type { ProFormaKind, ProFormaStage, ProFormaStatus } from '../domain/process';
import type { ExtractionView } from './invoice.messages';

/**
 * The pro forma workflow's contract with the outside (the API, the Temporal CLI). Imported by the workflow and by
 * the API; the API never imports the workflow body.
 */

export const proFormaWorkflowId = (number: string): string => `pro-forma-${number}`;

export interface Actor {
  /** A user id, or 'system' for the service itself. */
  id: string;
  role: 'cfa' | 'validator' | 'admin' | 'system';
}

export const SYSTEM: Actor = { id: 'system', role: 'system' };

export interface Timings {
  /** A CFA is reminded when its pro forma waits this long for an invoice, then again at the same interval. */
  reminderAfterMs: number;
  /** Validators are alerted when a decision waits this long, then again at the same interval. */
  escalateAfterMs: number;
  /** A reading whose OCR worker stops heartbeating this long is handed to another worker (default 1 minute). */
  ocrHeartbeatTimeoutMs?: number;
}

export interface ProFormaWorkflowInput {
  proForma: {
    number: string;
    kind: ProFormaKind;
    nature: CostNature;
    totalCents: number;
    settlementMode: SettlementMode | null;
    createdAt: string;
  };
  cfa: { id: string; siret: string; name: string; email: string; trusted: boolean };
  ocrTaskQueue: string;
  timings: Timings;
  /** The state carried over by continue-as-new; absent at creation. */
  carried?: ProFormaState;
  /** Continue-as-new after this many history events even if the server does not suggest it (tests). */
  continueAsNewAfterEvents?: number;
}

export type { DocumentVersion, ExtractionView };

export interface RefusalView {
  origin: DecisionOrigin;
  reasonCode: string;
  label: string;
  comment: string | null;
  letter: string;
  at: string;
}

export interface PaymentView {
  kind: 'TRANSFER' | 'DEDUCTION' | 'REIMBURSEMENT';
  amountCents: number;
  orderedAt: string;
  paidAt?: string;
  reference?: string | null;
}

/**
 * What the workflow needs to decide, and what continue-as-new carries: bounded (the history of a pro forma, its
 * earlier versions and their readings live in the read model).
 */
export interface ProFormaState {
  status: ProFormaStatus;
  stage: ProFormaStage | null;
  /** The version deposited last (the one read, controlled and decided); null before the first deposit. */
  document: DocumentVersion | null;
  depositedAt: string | null;
  extraction: ExtractionView | null;
  controls: ControlResult[] | null;
  refusal: RefusalView | null;
  payment: PaymentView | null;
  /** Update ids already applied: the server's own dedup does not survive continue-as-new. */
  processedRequestIds: string[];
  /** Number of effects recorded so far: makes every activity's idempotency key unique and deterministic. */
  step: number;
  /** When the current wait began (ISO): the reminder and escalation timers count from it. */
  waitingSince: string | null;
  /** Reminders or escalations sent during the current wait. */
  alertsSent: number;
}

export interface ProFormaView extends ProFormaState {
  number: string;
  kind: ProFormaKind;
  nature: CostNature;
  totalCents: number;
  settlementMode: SettlementMode | null;
  statusLabel: string;
  createdAt: string;
  cfa: { id: string; siret: string; name: string };
}

export interface DepositInvoiceInput {
  /** Also the update id: the same request is applied once. */
  requestId: string;
  actor: Actor;
  /** Already stored (content-addressed) by the caller. */
  document: { sha256: string; fileName: string; mimeType: string; size: number };
}

export interface DecideInput {
  requestId: string;
  actor: Actor;
  decision: Decision;
  reasonCode?: string;
  comment?: string;
}

export interface CancelInput {
  requestId: string;
  actor: Actor;
}

export interface ConfirmPaymentInput {
  requestId: string;
  actor: Actor;
  /** ISO instant; defaults to the confirmation time. */
  paidAt?: string;
  reference?: string;
}

/**
 * The workflow's signature (workflows/pro-forma.ts checks that it conforms): a client starts it by this type, under
 * the name `proFormaWorkflow`, without importing the workflow's code, which belongs to the worker's sandbox.
 */
export type ProFormaWorkflow = (input: ProFormaWorkflowInput) => Promise<ProFormaView>;

export const depositInvoiceUpdate = defineUpdate<ProFormaView, [DepositInvoiceInput]>('depositInvoice');
export const decideUpdate = defineUpdate<ProFormaView, [DecideInput]>('decide');
export const cancelUpdate = defineUpdate<ProFormaView, [CancelInput]>('cancel');
export const confirmPaymentUpdate = defineUpdate<ProFormaView, [ConfirmPaymentInput]>('confirmPayment');
export const getProFormaQuery = defineQuery<ProFormaView>('getProForma');
