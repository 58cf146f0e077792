/** The CFA portal's words: cost natures, contract statuses, settlement modes, kinds, users' statuses. */
import { COST_NATURES, contractStatusLabel, costNatureLabel } from '../../../../domain/cost-nature';
import { count } from '../../format';
import type { TagColor } from './tag';
import type { CfaUser, CostNature, ProFormaKind, SettlementMode } from './types';

export { contractStatusLabel, costNatureLabel };

export const NATURES: readonly CostNature[] = COST_NATURES;

/** « Générer pro forma pédagogie », as the guide's button says. */
export const generateLabel = (nature: CostNature): string =>
  `Générer pro forma ${costNatureLabel(nature).toLowerCase()}`;

export function isNature(value: string | null): value is CostNature {
  return value !== null && (NATURES as readonly string[]).includes(value);
}

export { SETTLEMENT_LABELS } from '../../labels';

export const SETTLEMENT_HELP: Record<SettlementMode, string> = {
  DEDUCTION: 'Le montant de l’avoir est imputé automatiquement sur vos prochaines factures.',
  REMBOURSEMENT: 'Vous remboursez le montant de l’avoir à l’Opco par virement.',
};

export const KIND_LABELS: Record<ProFormaKind, string> = {
  INVOICE: 'Facture',
  CREDIT_NOTE: 'Facture d’avoir',
};

export const USER_STATUS: Record<CfaUser['status'], { label: string; color: TagColor }> = {
  INVITED: { label: 'Invité', color: 'blue' },
  ACTIVE: { label: 'Actif', color: 'teal' },
  REVOKED: { label: 'Révoqué', color: 'red' },
};

/** « 1 dossier », « 3 dossiers ». */
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n > 1 ? many : one}`;
