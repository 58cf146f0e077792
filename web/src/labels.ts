/** French labels the API leaves to the pages, shared by every area. */

export const ROLE_LABELS = { admin: 'Administrateur', validator: 'Valideur', cfa: 'CFA' } as const;

/** A credit note's settlement mode, short (the admin pages spell it out). */
export const SETTLEMENT_LABELS: Record<'DEDUCTION' | 'REMBOURSEMENT', string> = {
  DEDUCTION: 'Déduction',
  REMBOURSEMENT: 'Remboursement',
};
