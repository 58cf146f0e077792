/** Cost natures of an installment (nature de coûts), with the labels of the funder's portal. */
export const COST_NATURES = ['PEDAGOGIE', 'FRAIS_ANNEXES', 'PREMIER_EQUIPEMENT', 'MOBILITE'] as const;
export type CostNature = (typeof COST_NATURES)[number];

const LABELS: Record<CostNature, string> = {
  PEDAGOGIE: 'Pédagogie',
  FRAIS_ANNEXES: 'Frais annexes',
  PREMIER_EQUIPEMENT: '1ers équipements',
  MOBILITE: 'Mobilité',
};

export function costNatureLabel(nature: CostNature): string {
  return LABELS[nature];
}

export const SETTLEMENT_MODES = ['DEDUCTION', 'REMBOURSEMENT'] as const;
export type SettlementMode = (typeof SETTLEMENT_MODES)[number];

export const CONTRACT_STATUSES = ['ENGAGE', 'RUPTURE'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

const CONTRACT_STATUS_LABELS: Record<ContractStatus, string> = { ENGAGE: 'Engagé', RUPTURE: 'Rupture' };

export function contractStatusLabel(status: ContractStatus): string {
  return CONTRACT_STATUS_LABELS[status];
}
