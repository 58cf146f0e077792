import { CFA_REFERENCE_TEMPLATES, CFA_TEMPLATES } from './mail-templates';

/**
 * The kinds of e-mail a CFA receives, as « Mon CFA » offers them: each address the CFA gives receives the kinds it
 * chose; a CFA without any address of its own is written to at its main address.
 */
export const CFA_MAIL_KINDS = [...CFA_TEMPLATES, ...CFA_REFERENCE_TEMPLATES] as const;
export type CfaMailKind = (typeof CFA_MAIL_KINDS)[number];

export const CFA_MAIL_KIND_LABELS: Record<CfaMailKind, string> = {
  DEPOSIT_RECEIVED: 'Accusé de réception d’un dépôt de facture',
  REFUSED: 'Facture refusée (motif et lettre)',
  VALIDATED: 'Facture validée',
  PAID: 'Paiement effectué',
  REMINDER: 'Relance : facture attendue',
  CANCELLED_BY_OPCO: 'Pro forma annulée par l’Opco',
  PAYMENT_REJECTED: 'Virement rejeté par la banque',
  REPAYMENT_REMINDER: 'Relance : remboursement d’une facture d’avoir attendu',
  MANDATE_EXPIRING: 'Mandat de facturation bientôt expiré',
};

export function isCfaMailKind(template: string): template is CfaMailKind {
  return (CFA_MAIL_KINDS as readonly string[]).includes(template);
}
