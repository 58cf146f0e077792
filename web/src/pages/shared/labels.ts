import type { ControlCode } from '../../../../domain/controls';
import type { TransitionAction } from '../../../../domain/process';
import type { Control, ProFormaDetail, ProFormaKind, ProFormaStage, Refusal } from './types';

/**
 * The French words of the pro forma pages for what the API gives as codes: kinds, stages, history steps, controls,
 * refusal origins, payments. The statuses' labels come from the API itself (statusLabel) or domain/process.ts.
 */

export const KIND_LABELS: Record<ProFormaKind, string> = {
  INVOICE: 'Facture',
  CREDIT_NOTE: 'Facture d’avoir',
};

/** What the pro forma waits for in its status, said to a CFA and to the staff alike. */
export const STAGE_LABELS: Record<ProFormaStage, string> = {
  READING: 'Lecture en cours…',
  CONTROLLING: 'Contrôles en cours…',
  AWAITING_DECISION: 'En attente de la décision d’un valideur',
  AWAITING_SECOND_APPROVAL: 'En attente d’une seconde validation',
  AWAITING_PAYMENT: 'En attente de paiement',
  PAYMENT_ISSUED: 'Virement envoyé à la banque',
};

/** Stages where the service is at work on the deposited file: the page follows them. */
export const PROCESSING_STAGES: readonly ProFormaStage[] = ['READING', 'CONTROLLING'];

/** The audit trail's steps (domain/process.ts TRANSITION_ACTIONS, the generation and the desk's claims). */
const HISTORY_LABELS: Record<TransitionAction | 'GENERATE' | 'CLAIM' | 'TAKE_OVER_CLAIM' | 'RELEASE_CLAIM', string> = {
  GENERATE: 'Pro forma générée',
  DEPOSIT: 'Facture déposée',
  REDEPOSIT: 'Nouvelle version de la facture déposée',
  CONTROL: 'Contrôles automatiques',
  AWAIT_DECISION: 'Transmise à la validation',
  AUTO_VALIDATE: 'Validée automatiquement',
  APPROVE: 'Validée',
  FIRST_APPROVAL: 'Première validation',
  AUTO_REFUSE: 'Refusée par les contrôles automatiques',
  REFUSE: 'Refusée par un valideur',
  CORRECT_READING: 'Lecture corrigée',
  CANCEL: 'Annulée',
  STAFF_CANCEL: 'Annulée par l’Opco',
  RETURN_TO_VALIDATION: 'Remise en validation',
  CONFIRM_PAYMENT: 'Paiement confirmé',
  ISSUE_PAYMENT: 'Paiement émis',
  REJECT_PAYMENT: 'Virement rejeté par la banque',
  CLAIM: 'Prise en charge par un valideur',
  TAKE_OVER_CLAIM: 'Prise en charge reprise',
  RELEASE_CLAIM: 'Prise en charge libérée',
};

export function historyActionLabel(action: string): string {
  return (HISTORY_LABELS as Record<string, string>)[action] ?? action;
}

const CONTROL_LABELS: Record<ControlCode, string> = {
  DOCUMENT_READABLE: 'Document lisible',
  DOCUMENT_NOT_DUPLICATE: 'Document jamais déposé',
  MANDATE_VALID: 'Mandat de facturation',
  PRO_FORMA_NUMBER: 'Numéro de pro forma rappelé',
  TOTAL_AMOUNT: 'Montant total',
  INVOICE_NUMBER: 'Numéro de facture',
  INVOICE_NUMBER_UNIQUE: 'Numéro de facture unique',
  SIRET: 'SIRET',
  IBAN_VALID: 'IBAN valide',
  IBAN_MATCHES_CFA: 'IBAN enregistré du CFA',
};

export function controlLabel(code: string): string {
  return (CONTROL_LABELS as Record<string, string>)[code] ?? code;
}

/** Filled badges in dark shades: white text on them stays readable (contrast ≥ 4.5:1). */
export const OUTCOME_LABELS: Record<Control['outcome'], { label: string; color: string }> = {
  PASSED: { label: 'Conforme', color: '#0b6b48' },
  FAILED: { label: 'Non conforme', color: '#b02525' },
  NEEDS_REVIEW: { label: 'À vérifier', color: '#8f3d0b' },
};

export const ORIGIN_LABELS: Record<Refusal['origin'], string> = {
  AUTOMATIC: 'Refus automatique (contrôles de la facture)',
  MANUAL: 'Rejet par un valideur de l’Opco',
};

type Payment = NonNullable<ProFormaDetail['payment']>;

export const PAYMENT_KIND_LABELS: Record<Payment['kind'], string> = {
  TRANSFER: 'Virement au CFA',
  DEDUCTION: 'Déduction d’un prochain virement',
  REIMBURSEMENT: 'Remboursement par le CFA',
};

export const PAYMENT_STATUS_LABELS: Record<Payment['status'], string> = {
  ORDERED: 'Ordonné',
  ISSUED: 'Virement émis',
  NETTED: 'Déduit',
  CONFIRMED: 'Confirmé',
};

export { SETTLEMENT_LABELS } from '../../labels';

/** The read fields of an invoice, in the order a CFA reads its own invoice. */
export const READ_FIELD_LABELS: Record<keyof NonNullable<ProFormaDetail['extraction']>['fields'], string> = {
  invoiceNumber: 'Numéro de facture',
  proFormaNumber: 'Numéro de pro forma',
  totalCents: 'Montant total',
  issueDate: 'Date de la facture',
  siret: 'SIRET',
  siren: 'SIREN',
  vatId: 'N° de TVA',
  iban: 'IBAN',
  currency: 'Devise',
};
