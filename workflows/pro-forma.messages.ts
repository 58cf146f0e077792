import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ControlResult } from '../domain/controls';
import type { Decision, DecisionOrigin } from '../domain/decisions';
import type { CostNature, SettlementMode } from '../domain/cost-nature';
import type { DocumentVersion } from '../domain/deposit-rules';
import type { ProFormaKind, ProFormaStage, ProFormaStatus } from '../domain/process';
import type { CorrectableField } from '../domain/desk';
import type { InvoiceFields } from '../domain/reading';
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
  /** The person's name, shown to others (who holds a claim); absent in histories recorded before it existed. */
  name?: string;
}

export const SYSTEM: Actor = { id: 'system', role: 'system' };

export interface Timings {
  /** A CFA is reminded when its pro forma waits this long for an invoice, then again at the same interval. */
  reminderAfterMs: number;
  /** Validators are alerted when a decision waits this long, then again at the same interval. */
  escalateAfterMs: number;
  /** A reading whose OCR worker stops heartbeating this long is handed to another worker (default 1 minute). */
  ocrHeartbeatTimeoutMs?: number;
  /** A CFA owing a REMBOURSEMENT credit note is reminded at this interval until it is received (default 15 days). */
  repaymentReminderAfterMs?: number;
}

/** The validation desk's rules for this pro forma, fixed at its creation from the configuration. */
export interface DeskPolicy {
  /** A claim lapses after this long without an action of its holder (default 30 minutes). */
  claimTtlMs: number;
  /** An approval of an invoice above this total needs a second validator; null: never (default 10,000 €). */
  fourEyesAboveCents: number | null;
  /** Share of a trusted CFA's compliant invoices still sent to a human (0..1, default 0.05). */
  samplingRate: number;
}

export const DEFAULT_DESK_POLICY: DeskPolicy = {
  claimTtlMs: 30 * 60_000,
  fourEyesAboveCents: 1_000_000,
  samplingRate: 0.05,
};

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
  /** Absent for pro formas created before the validation desk: DEFAULT_DESK_POLICY. */
  desk?: DeskPolicy;
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
  /** The payment run whose file holds the transfer that pays (or deducts) it, while the bank's answer is awaited. */
  issued?: { runNumber: string; endToEndId: string; at: string } | null;
  /** The bank's latest rejection of a transfer of it (the payment then awaits the next run). */
  rejected?: { endToEndId: string; reason: string; at: string } | null;
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
  /** The validator holding the item while it awaits a human; it lapses at `expiresAt`. */
  claim?: ClaimView | null;
  /** Above the four-eyes threshold: the first approval of the current version, awaiting a second validator. */
  firstApproval?: { userId: string; name: string | null; at: string } | null;
  /** A trusted CFA's compliant invoice sent to a human by sampling (« contrôle par sondage »). */
  sampled?: boolean;
}

export interface ClaimView {
  userId: string;
  name: string | null;
  at: string;
  expiresAt: string;
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

export interface ClaimInput {
  requestId: string;
  actor: Actor;
  /** An admin takes over a claim someone else holds. */
  takeOver?: boolean;
}

export interface ReleaseClaimInput {
  requestId: string;
  actor: Actor;
}

export type Corrections = Partial<{ [F in CorrectableField]: InvoiceFields[F] }>;

export interface CorrectReadingInput {
  requestId: string;
  actor: Actor;
  /** The corrected values (null: the document prints no such field). */
  fields: Corrections;
  justification: string;
}

/** An admin's action on behalf of the Opco, with its reason (audited, told to the CFA when it cancels). */
export interface StaffActionInput {
  requestId: string;
  actor: Actor;
  reason: string;
}

export interface ConfirmPaymentInput {
  requestId: string;
  actor: Actor;
  /** ISO instant; defaults to the confirmation time. */
  paidAt?: string;
  reference?: string;
}

/** A payment run put the pro forma's transfer (or the one deducting this credit note) in its file. */
export interface PaymentIssuedInput {
  requestId: string;
  actor: Actor;
  runNumber: string;
  endToEndId: string;
}

/** The bank rejected the transfer: the payment awaits the next run. */
export interface PaymentRejectedInput {
  requestId: string;
  actor: Actor;
  endToEndId: string;
  /** In words (the bank's reason code and its French label). */
  reason: string;
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
export const claimUpdate = defineUpdate<ProFormaView, [ClaimInput]>('claim');
export const releaseClaimUpdate = defineUpdate<ProFormaView, [ReleaseClaimInput]>('releaseClaim');
export const correctReadingUpdate = defineUpdate<ProFormaView, [CorrectReadingInput]>('correctReading');
export const staffCancelUpdate = defineUpdate<ProFormaView, [StaffActionInput]>('staffCancel');
export const returnToValidationUpdate = defineUpdate<ProFormaView, [StaffActionInput]>('returnToValidation');
export const paymentIssuedUpdate = defineUpdate<ProFormaView, [PaymentIssuedInput]>('paymentIssued');
export const paymentRejectedUpdate = defineUpdate<ProFormaView, [PaymentRejectedInput]>('paymentRejected');
export const getProFormaQuery = defineQuery<ProFormaView>('getProForma');
