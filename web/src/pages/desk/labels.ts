import type { ControlCode } from '../../../../domain/controls';
import { formatIban } from '../../../../domain/identifiers';
import { date, money } from '../../format';
import type { CorrectableField, Control } from './types';

/** The validation desk's words: what each control, reading engine, stage, field and history step is called. */

export const CONTROL_LABELS: Record<ControlCode, string> = {
  DOCUMENT_READABLE: 'Document lisible',
  DOCUMENT_NOT_DUPLICATE: 'Document déposé une seule fois',
  MANDATE_VALID: 'Mandat de facturation valide',
  PRO_FORMA_NUMBER: 'Numéro de pro forma rappelé',
  TOTAL_AMOUNT: 'Montant égal à la pro forma',
  INVOICE_NUMBER: 'Numéro de facture présent',
  INVOICE_NUMBER_UNIQUE: 'Numéro de facture non réutilisé',
  SIRET: 'SIRET du CFA',
  IBAN_VALID: 'IBAN valide',
  IBAN_MATCHES_CFA: 'IBAN identique à celui enregistré',
};

export const controlLabel = (code: string): string => CONTROL_LABELS[code as ControlCode] ?? code;

export const OUTCOME_LABELS: Record<Control['outcome'], string> = {
  PASSED: 'Conforme',
  FAILED: 'En échec',
  NEEDS_REVIEW: 'À vérifier',
};

/** The colour of a warning (« à vérifier », « lecture incertaine »): readable on white, white on it (WCAG AA). */
export const WARNING_TEXT = '#8f3b00';

/** Dark shades: white text on them, or them on white, stays readable (WCAG AA). */
export const OUTCOME_COLORS: Record<Control['outcome'], string> = {
  PASSED: 'teal.9',
  FAILED: 'red.9',
  NEEDS_REVIEW: WARNING_TEXT,
};

export const ENGINE_LABELS: Record<string, string> = {
  FACTURX: 'Factur-X',
  TEXT_LAYER: 'Texte du PDF',
  OCR: 'OCR (image)',
  NONE: 'Aucune lecture',
};

export const STAGE_LABELS: Record<string, string> = {
  AWAITING_DECISION: 'Première décision',
  AWAITING_SECOND_APPROVAL: 'Seconde validation',
};

export const ASSIGNMENT_LABELS: Record<string, string> = {
  me: 'Prises en charge par moi',
  someone: 'Prises en charge par quelqu’un',
  nobody: 'Libres',
};

/** The read fields the page shows, in the invoice's reading order. */
export const FIELDS: readonly CorrectableField[] = [
  'invoiceNumber',
  'proFormaNumber',
  'totalCents',
  'issueDate',
  'siret',
  'iban',
];

export const FIELD_LABELS: Record<CorrectableField, string> = {
  invoiceNumber: 'Numéro de facture',
  proFormaNumber: 'Numéro de pro forma',
  totalCents: 'Montant total',
  issueDate: 'Date d’émission',
  siret: 'SIRET',
  iban: 'IBAN',
};

/** A read (or corrected) value as a validator reads it: euros, a French date, an IBAN by groups of four. */
export function fieldValue(field: CorrectableField, value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return 'non lu';
  if (field === 'totalCents') return typeof value === 'number' ? money(value) : String(value);
  if (field === 'issueDate') return date(String(value));
  if (field === 'iban') return formatIban(String(value));
  return String(value);
}

export const HISTORY_LABELS: Record<string, string> = {
  GENERATE: 'Génération de la pro forma',
  DEPOSIT: 'Dépôt de la facture',
  DEPOSIT_INVOICE: 'Dépôt de la facture',
  REDEPOSIT: 'Nouveau dépôt de la facture',
  CONTROL: 'Contrôles automatiques',
  AWAIT_DECISION: 'En attente de décision',
  AUTO_VALIDATE: 'Validation automatique',
  APPROVE: 'Validation',
  FIRST_APPROVAL: 'Première approbation',
  AUTO_REFUSE: 'Refus automatique',
  REFUSE: 'Refus',
  CORRECT_READING: 'Correction de la lecture',
  CANCEL: 'Annulation par le CFA',
  STAFF_CANCEL: 'Annulation par l’Opco',
  RETURN_TO_VALIDATION: 'Retour en validation',
  CONFIRM_PAYMENT: 'Paiement confirmé',
  ISSUE_PAYMENT: 'Paiement émis',
  REJECT_PAYMENT: 'Virement rejeté',
  CLAIM: 'Prise en charge',
  TAKE_OVER_CLAIM: 'Reprise de la prise en charge',
  RELEASE_CLAIM: 'Prise en charge libérée',
};

export const historyLabel = (action: string): string => HISTORY_LABELS[action] ?? action;
