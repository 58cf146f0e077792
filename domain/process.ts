import type { DecisionOrigin } from './decisions';
import { DomainError } from './errors';

/**
 * The process of a pro forma, told once (domain.md, "Statuses of a pro forma"): its statuses and stages, what each
 * allows, what is final, which waits send alerts, and the business views over it (the dashboard's categories, the
 * validation queue). The workflow's validators, the API's checks and answers, the zod enums, the DB column types and
 * the SQL predicates all derive from this module.
 */

// ---- Statuses and stages ------------------------------------------------------------------------------------------

export const PRO_FORMA_STATUSES = [
  'AWAITING_INVOICE',
  'UNDER_VALIDATION',
  'VALIDATED',
  'PAID',
  'REFUSED',
  'CANCELLED',
] as const;
export type ProFormaStatus = (typeof PRO_FORMA_STATUSES)[number];

/** Statuses a pro forma never leaves: its workflow has completed. */
export const FINAL_STATUSES = ['PAID', 'CANCELLED'] as const satisfies readonly ProFormaStatus[];

export function isFinalStatus(status: ProFormaStatus): boolean {
  return (FINAL_STATUSES as readonly ProFormaStatus[]).includes(status);
}

export const PRO_FORMA_KINDS = ['INVOICE', 'CREDIT_NOTE'] as const;
export type ProFormaKind = (typeof PRO_FORMA_KINDS)[number];

/**
 * Where the work is inside UNDER_VALIDATION, and inside VALIDATED: the payment awaits a run (AWAITING_PAYMENT), then
 * its transfer is in a run's file sent to the bank (PAYMENT_ISSUED) until the bank books it (PAID) or rejects it
 * (AWAITING_PAYMENT again).
 */
export const PRO_FORMA_STAGES = [
  'READING',
  'CONTROLLING',
  'AWAITING_DECISION',
  'AWAITING_SECOND_APPROVAL',
  'AWAITING_PAYMENT',
  'PAYMENT_ISSUED',
] as const;
export type ProFormaStage = (typeof PRO_FORMA_STAGES)[number];

/** Where a pro forma stands: what every rule of this module reads. */
export interface Position {
  status: ProFormaStatus;
  stage: ProFormaStage | null;
  kind: ProFormaKind;
}

const LABELS: Record<ProFormaStatus, string> = {
  AWAITING_INVOICE: 'En attente de facture',
  UNDER_VALIDATION: 'En cours de validation',
  VALIDATED: 'Validé',
  PAID: 'Payé',
  REFUSED: 'Refusé',
  CANCELLED: 'Annulé',
};

/** The payment of a validated pro forma is in a transfer file sent to the bank. */
export const PAYMENT_ISSUED = { status: 'VALIDATED', stage: 'PAYMENT_ISSUED' } as const satisfies Omit<
  Position,
  'kind'
>;

/**
 * French label shown to users; a credit note waits for an "avoir", not a "facture"; a validated pro forma whose
 * transfer is in a file sent to the bank says so (« Paiement émis »), a deducted credit note too.
 */
export function statusLabel(
  status: ProFormaStatus,
  kind: ProFormaKind = 'INVOICE',
  stage?: ProFormaStage | null,
): string {
  if (status === 'AWAITING_INVOICE' && kind === 'CREDIT_NOTE') return "En attente d'avoir";
  if (status === PAYMENT_ISSUED.status && stage === PAYMENT_ISSUED.stage) {
    return kind === 'CREDIT_NOTE' ? 'Déduit d’un virement émis' : 'Paiement émis';
  }
  return LABELS[status];
}

// ---- Actions ------------------------------------------------------------------------------------------------------

export const PRO_FORMA_ACTIONS = [
  'EXPORT_CONTRACTS',
  'DEPOSIT_INVOICE',
  'DECIDE',
  'CLAIM',
  'CORRECT_READING',
  'CANCEL',
  'STAFF_CANCEL',
  'RETURN_TO_VALIDATION',
  'CONFIRM_PAYMENT',
  'ISSUE_PAYMENT',
  'REJECT_PAYMENT',
] as const;
export type ProFormaAction = (typeof PRO_FORMA_ACTIONS)[number];

/**
 * What may be done in each status. CFA actions come from the status table of domain.md; DECIDE, CLAIM and
 * CORRECT_READING are the validators' (further limited to stages, below), STAFF_CANCEL and RETURN_TO_VALIDATION the
 * admins' (before the payment is ordered), CONFIRM_PAYMENT the accounting side's.
 */
const ALLOWED: Record<ProFormaStatus, readonly ProFormaAction[]> = {
  AWAITING_INVOICE: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'CANCEL', 'STAFF_CANCEL'],
  UNDER_VALIDATION: [
    'EXPORT_CONTRACTS',
    'DEPOSIT_INVOICE',
    'DECIDE',
    'CLAIM',
    'CORRECT_READING',
    'CANCEL',
    'STAFF_CANCEL',
  ],
  VALIDATED: [
    'EXPORT_CONTRACTS',
    'STAFF_CANCEL',
    'RETURN_TO_VALIDATION',
    'CONFIRM_PAYMENT',
    'ISSUE_PAYMENT',
    'REJECT_PAYMENT',
  ],
  PAID: ['EXPORT_CONTRACTS'],
  REFUSED: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'CANCEL', 'STAFF_CANCEL'],
  CANCELLED: [],
};

/** The position where a validator's (first) decision is awaited. */
export const AWAITING_DECISION = { status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION' } as const satisfies Omit<
  Position,
  'kind'
>;

/**
 * The stages where a human is awaited: the validation queue's rows. Above the four-eyes threshold, a first approval
 * moves the item to AWAITING_SECOND_APPROVAL, where a second validator approves (or refuses).
 */
export const QUEUE_STAGES = [
  'AWAITING_DECISION',
  'AWAITING_SECOND_APPROVAL',
] as const satisfies readonly ProFormaStage[];
export type QueueStage = (typeof QUEUE_STAGES)[number];

export function inQueue(position: Omit<Position, 'kind'>): boolean {
  return (
    position.status === AWAITING_DECISION.status &&
    position.stage !== null &&
    (QUEUE_STAGES as readonly ProFormaStage[]).includes(position.stage)
  );
}

/** Actions that the status allows only at some of its stages. */
const STAGES_OF: Partial<Record<ProFormaAction, readonly ProFormaStage[]>> = {
  DECIDE: QUEUE_STAGES,
  CLAIM: QUEUE_STAGES,
  // A reading is corrected before the first approval: the second validator approves what the first one saw.
  CORRECT_READING: [AWAITING_DECISION.stage],
  // Before the payment is in a transfer file sent to the bank (a payment run).
  RETURN_TO_VALIDATION: ['AWAITING_PAYMENT'],
  ISSUE_PAYMENT: ['AWAITING_PAYMENT'],
  REJECT_PAYMENT: ['PAYMENT_ISSUED'],
};

/**
 * Once its transfer is in a file sent to the bank, a validated pro forma is neither cancelled nor returned to
 * validation: the bank's answer (or an admin's confirmation) is awaited.
 */
const AT_PAYMENT_ISSUED: readonly ProFormaAction[] = ['EXPORT_CONTRACTS', 'CONFIRM_PAYMENT', 'REJECT_PAYMENT'];

/** The actions allowed where the pro forma stands (a status alone: its actions at any of its stages). */
export function allowedActions(position: Omit<Position, 'kind'> | ProFormaStatus): readonly ProFormaAction[] {
  if (typeof position === 'string') return ALLOWED[position];
  return ALLOWED[position.status].filter((action) => isAllowedAt(position, action));
}

function isAllowedAt({ status, stage }: Omit<Position, 'kind'>, action: ProFormaAction): boolean {
  const stages = STAGES_OF[action];
  if (status === PAYMENT_ISSUED.status && stage === PAYMENT_ISSUED.stage && !AT_PAYMENT_ISSUED.includes(action)) {
    return false;
  }
  return stages === undefined || (stage !== null && stages.includes(stage));
}

const ACTION_LABELS: Record<ProFormaAction, string> = {
  EXPORT_CONTRACTS: "l'export des contrats",
  DEPOSIT_INVOICE: 'le dépôt de facture',
  DECIDE: 'une décision de validation',
  CLAIM: 'la prise en charge par un valideur',
  CORRECT_READING: 'la correction de la lecture',
  CANCEL: "l'annulation",
  STAFF_CANCEL: "l'annulation par l'Opco",
  RETURN_TO_VALIDATION: 'le retour en validation',
  CONFIRM_PAYMENT: 'la confirmation de paiement',
  ISSUE_PAYMENT: "l'émission du paiement",
  REJECT_PAYMENT: 'le rejet du virement',
};

/**
 * Throws when `action` is not allowed where the pro forma stands: NO_DECISION_AWAITED for a decision (naming the
 * status and stage), ACTION_NOT_ALLOWED naming the status for any other action. A bare status is judged on the
 * status alone (a caller that knows only the status, before the workflow judges the stage).
 */
export function assertAllowed(position: Position | ProFormaStatus, action: ProFormaAction): void {
  const { status, stage, kind }: Omit<Position, 'stage'> & { stage?: ProFormaStage | null } =
    typeof position === 'string' ? { status: position, kind: 'INVOICE' } : position;
  const allowed = ALLOWED[status].includes(action) && (stage === undefined || isAllowedAt({ status, stage }, action));
  if (allowed) return;
  const label = statusLabel(status, kind, stage);
  if (action === 'DECIDE') {
    throw new DomainError(
      'NO_DECISION_AWAITED',
      `Aucune décision n'est attendue : la facture pro forma est au statut « ${label} »${stage ? ` (étape ${stage})` : ''}.`,
      { status, stage: stage ?? null },
    );
  }
  throw new DomainError(
    'ACTION_NOT_ALLOWED',
    `Action non autorisée : ${ACTION_LABELS[action]} est impossible au statut « ${label} » (${status}).`,
    { status, action },
  );
}

// ---- Waits and their alerts ---------------------------------------------------------------------------------------

/**
 * Who is alerted when a wait lasts: the CFA is reminded while its invoice is awaited (first or corrected), the
 * validators are alerted while a decision is awaited. Other positions do not wait on a person.
 */
export type Alert = 'REMIND_CFA' | 'ALERT_VALIDATORS' | 'REMIND_REPAYMENT';

/**
 * `owesRepayment`: a validated REMBOURSEMENT credit note, whose amount the CFA pays back: the CFA is reminded until
 * its transfer is received.
 */
export function alertOf(position: Omit<Position, 'kind'>, owesRepayment = false): Alert | undefined {
  if (position.status === 'AWAITING_INVOICE' || position.status === 'REFUSED') return 'REMIND_CFA';
  if (inQueue(position)) return 'ALERT_VALIDATORS';
  if (owesRepayment && position.status === 'VALIDATED' && position.stage === 'AWAITING_PAYMENT') {
    return 'REMIND_REPAYMENT';
  }
  return undefined;
}

// ---- Views over the process ---------------------------------------------------------------------------------------

/** The dashboard's categories (EDF OA portal wording), each one also a filter of the list. */
export const DASHBOARD_CATEGORIES = ['EMISES', 'TRANSMISES', 'REFUSEES', 'REJETEES', 'PRISES_EN_CHARGE'] as const;
export type DashboardCategory = (typeof DASHBOARD_CATEGORIES)[number];

/** What a category holds, as data: the SQL predicate and the in-memory test are both built from it. */
export interface CategoryRule {
  label: string;
  /** Pro formas of these statuses (every status when absent)… */
  statuses?: readonly ProFormaStatus[];
  /** …or at this position… */
  orAt?: { status: ProFormaStatus; stage: ProFormaStage };
  /** …refused with this origin… */
  refusalOrigin?: DecisionOrigin;
  /** …that had an invoice deposited. */
  deposited?: true;
  /** The date at which a pro forma entered the category ("mis à jour le"). */
  enteredAt: 'depositedAt' | 'validatedAt' | 'refusedAt' | 'paidAt';
}

export const DASHBOARD: Record<DashboardCategory, CategoryRule> = {
  EMISES: { label: 'Émises', deposited: true, enteredAt: 'depositedAt' },
  TRANSMISES: { label: 'Transmises', statuses: ['VALIDATED', 'PAID'], enteredAt: 'validatedAt' },
  REFUSEES: { label: 'Refusées', statuses: ['REFUSED'], refusalOrigin: 'AUTOMATIC', enteredAt: 'refusedAt' },
  REJETEES: { label: 'Rejetées', statuses: ['REFUSED'], refusalOrigin: 'MANUAL', enteredAt: 'refusedAt' },
  // Paid, or paid by a transfer sent to the bank (« paiement émis »).
  PRISES_EN_CHARGE: { label: 'Prises en charge', statuses: ['PAID'], orAt: PAYMENT_ISSUED, enteredAt: 'paidAt' },
};

/** Whether a pro forma (or a group of them sharing these values) belongs to `category`. */
export function inCategory(
  category: DashboardCategory,
  pf: { status: ProFormaStatus; stage: ProFormaStage | null; refusalOrigin: DecisionOrigin | null; deposited: boolean },
): boolean {
  const rule = DASHBOARD[category];
  const at = rule.orAt !== undefined && pf.status === rule.orAt.status && pf.stage === rule.orAt.stage;
  return (
    (rule.statuses === undefined || rule.statuses.includes(pf.status) || at) &&
    (rule.refusalOrigin === undefined || rule.refusalOrigin === pf.refusalOrigin) &&
    (rule.deposited === undefined || pf.deposited)
  );
}

// ---- Transitions --------------------------------------------------------------------------------------------------

/** The steps of the process that move a pro forma, as its audit trail names them. */
export const TRANSITION_ACTIONS = [
  'DEPOSIT',
  'REDEPOSIT',
  'CONTROL',
  'AWAIT_DECISION',
  'AUTO_VALIDATE',
  'APPROVE',
  'FIRST_APPROVAL',
  'AUTO_REFUSE',
  'REFUSE',
  'CORRECT_READING',
  'CANCEL',
  'STAFF_CANCEL',
  'RETURN_TO_VALIDATION',
  'CONFIRM_PAYMENT',
  'ISSUE_PAYMENT',
  'REJECT_PAYMENT',
] as const;
export type TransitionAction = (typeof TRANSITION_ACTIONS)[number];

export type StampedDate = 'depositedAt' | 'decidedAt' | 'validatedAt' | 'refusedAt' | 'paidAt' | 'cancelledAt';

/**
 * What each step stamps on the pro forma: the dates the lists, the dashboard and the exports show, and the origin
 * of a refusal (which tells « refusée » from « rejetée »; a new deposit clears it).
 */
export const STAMPS: Record<
  TransitionAction,
  { dates: readonly StampedDate[]; refusalOrigin?: DecisionOrigin | null }
> = {
  DEPOSIT: { dates: ['depositedAt'], refusalOrigin: null },
  REDEPOSIT: { dates: ['depositedAt'], refusalOrigin: null },
  CONTROL: { dates: [] },
  AWAIT_DECISION: { dates: [] },
  AUTO_VALIDATE: { dates: ['decidedAt', 'validatedAt'] },
  APPROVE: { dates: ['decidedAt', 'validatedAt'] },
  FIRST_APPROVAL: { dates: [] },
  AUTO_REFUSE: { dates: ['decidedAt', 'refusedAt'], refusalOrigin: 'AUTOMATIC' },
  REFUSE: { dates: ['decidedAt', 'refusedAt'], refusalOrigin: 'MANUAL' },
  CORRECT_READING: { dates: [] },
  CANCEL: { dates: ['cancelledAt'] },
  STAFF_CANCEL: { dates: ['cancelledAt'] },
  RETURN_TO_VALIDATION: { dates: [] },
  CONFIRM_PAYMENT: { dates: ['paidAt'] },
  ISSUE_PAYMENT: { dates: [] },
  REJECT_PAYMENT: { dates: [] },
};
