import { DomainError } from './errors';

/** Statuses of a pro forma as the CFA sees them (domain.md, "Statuses of a pro forma"). */
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

/** Where the work is inside UNDER_VALIDATION (and VALIDATED, waiting for the payment). */
export const PRO_FORMA_STAGES = ['READING', 'CONTROLLING', 'AWAITING_DECISION', 'AWAITING_PAYMENT'] as const;
export type ProFormaStage = (typeof PRO_FORMA_STAGES)[number];

const LABELS: Record<ProFormaStatus, string> = {
  AWAITING_INVOICE: 'En attente de facture',
  UNDER_VALIDATION: 'En cours de validation',
  VALIDATED: 'Validé',
  PAID: 'Payé',
  REFUSED: 'Refusé',
  CANCELLED: 'Annulé',
};

/** French label shown to users; a credit note waits for an "avoir", not a "facture". */
export function statusLabel(status: ProFormaStatus, kind: ProFormaKind = 'INVOICE'): string {
  if (status === 'AWAITING_INVOICE' && kind === 'CREDIT_NOTE') return "En attente d'avoir";
  return LABELS[status];
}

export const PRO_FORMA_ACTIONS = [
  'EXPORT_CONTRACTS',
  'DEPOSIT_INVOICE',
  'DECIDE',
  'CANCEL',
  'CONFIRM_PAYMENT',
] as const;
export type ProFormaAction = (typeof PRO_FORMA_ACTIONS)[number];

/**
 * What may be done in each status. CFA actions come from the status table of domain.md; DECIDE is the
 * validator's (further limited to the AWAITING_DECISION stage) and CONFIRM_PAYMENT the accounting side's.
 */
const ALLOWED: Record<ProFormaStatus, readonly ProFormaAction[]> = {
  AWAITING_INVOICE: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'CANCEL'],
  UNDER_VALIDATION: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'DECIDE', 'CANCEL'],
  VALIDATED: ['EXPORT_CONTRACTS', 'CONFIRM_PAYMENT'],
  PAID: ['EXPORT_CONTRACTS'],
  REFUSED: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'CANCEL'],
  CANCELLED: [],
};

export function allowedActions(status: ProFormaStatus): readonly ProFormaAction[] {
  return ALLOWED[status];
}

const ACTION_LABELS: Record<ProFormaAction, string> = {
  EXPORT_CONTRACTS: "l'export des contrats",
  DEPOSIT_INVOICE: 'le dépôt de facture',
  DECIDE: 'une décision de validation',
  CANCEL: "l'annulation",
  CONFIRM_PAYMENT: 'la confirmation de paiement',
};

/** Throws ACTION_NOT_ALLOWED naming the status when `action` is not allowed in `status`. */
export function assertAllowed(status: ProFormaStatus, action: ProFormaAction, kind: ProFormaKind = 'INVOICE'): void {
  if (!ALLOWED[status].includes(action)) {
    throw new DomainError(
      'ACTION_NOT_ALLOWED',
      `Action non autorisée : ${ACTION_LABELS[action]} est impossible au statut « ${statusLabel(status, kind)} » (${status}).`,
      { status, action },
    );
  }
}
