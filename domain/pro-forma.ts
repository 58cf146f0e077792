import { DomainError } from './errors';
import { formatIntegerFrench, sumCents } from './money';
import { costNatureLabel, type CostNature, type SettlementMode } from './cost-nature';
import type { ProFormaKind } from './process';

/**
 * Most installments one generation bills. A pro forma total is thus the sum of at most 10,000 amounts within
 * ±MAX_AMOUNT_CENTS: |total| ≤ 10^4 × (10^11 − 1) < 10^15, nine times below 2^53, so sumCents never refuses it and
 * every total (read model, search attribute TotalCents, controls, payment netting) is an exact number. It also
 * keeps the lines' insert within PostgreSQL's 65,535 bind parameters.
 */
export const MAX_PRO_FORMA_LINES = 10_000;

export interface BillableInstallment {
  id: string;
  /** Negative for an overpayment (trop perçu). */
  amountCents: number;
}

export interface SelectionRecap {
  count: number;
  invoiceCents: number;
  /** Negative or zero. */
  creditCents: number;
  totalCents: number;
}

/**
 * What the CFA sees before generating: counts and amounts of the selection (domain.md, "Generation"). The eligible
 * list is not capped like a pro forma: its sums are exact up to MAX_EXACT_SUM_TERMS installments at the bound, and
 * past that a 422, never a crash. The total adds two sums of opposite signs, so it lies between them.
 */
export function recap(installments: readonly BillableInstallment[]): SelectionRecap {
  const positive = installments.filter((i) => i.amountCents > 0).map((i) => i.amountCents);
  const negative = installments.filter((i) => i.amountCents < 0).map((i) => i.amountCents);
  const invoiceCents = sumCents(positive);
  const creditCents = sumCents(negative);
  return { count: installments.length, invoiceCents, creditCents, totalCents: invoiceCents + creditCents };
}

export interface PlannedProForma<T extends BillableInstallment> {
  kind: ProFormaKind;
  totalCents: number;
  lines: T[];
}

/**
 * A selection mixing signs makes two pro formas: an invoice of the positive installments and a credit note
 * (facture d'avoir) of the negative ones; a single-signed selection makes one.
 */
export function splitBySign<T extends BillableInstallment>(installments: readonly T[]): PlannedProForma<T>[] {
  if (installments.length > MAX_PRO_FORMA_LINES) {
    throw new DomainError(
      'SELECTION_TOO_LARGE',
      `La sélection compte ${formatIntegerFrench(installments.length)} échéances : une génération en facture ` +
        `au plus ${formatIntegerFrench(MAX_PRO_FORMA_LINES)}. Choisissez les échéances à inclure.`,
      { count: installments.length, maxLines: MAX_PRO_FORMA_LINES },
    );
  }
  const planned: PlannedProForma<T>[] = [];
  const positive = installments.filter((i) => i.amountCents > 0);
  const negative = installments.filter((i) => i.amountCents < 0);
  if (positive.length > 0) {
    planned.push({ kind: 'INVOICE', totalCents: sumCents(positive.map((i) => i.amountCents)), lines: positive });
  }
  if (negative.length > 0) {
    planned.push({ kind: 'CREDIT_NOTE', totalCents: sumCents(negative.map((i) => i.amountCents)), lines: negative });
  }
  return planned;
}

/** What a CFA asks to bill: a cost nature, and some of its eligible installments (all of them when absent). */
export interface Selection {
  nature: CostNature;
  installmentIds?: readonly string[];
  /** For a credit note; the CFA's default otherwise. */
  settlementMode?: SettlementMode;
}

/**
 * The pro formas a selection makes out of the eligible installments, each with its settlement mode (a credit
 * note's only); refuses installments that are not (or no longer) eligible, and an empty selection.
 */
export function planSelection<T extends BillableInstallment>(
  eligible: readonly T[],
  selection: Selection,
  creditNoteSettlement: SettlementMode,
): (PlannedProForma<T> & { settlementMode: SettlementMode | null })[] {
  let chosen = eligible;
  if (selection.installmentIds) {
    const wanted = new Set(selection.installmentIds);
    chosen = eligible.filter((i) => wanted.has(i.id));
    const missing = [...wanted].filter((id) => !chosen.some((i) => i.id === id));
    if (missing.length > 0) {
      throw new DomainError(
        'INSTALLMENT_NOT_ELIGIBLE',
        `${missing.length} échéance(s) ne sont pas (ou plus) éligibles à la facturation en ${costNatureLabel(selection.nature)}.`,
        { installmentIds: missing },
      );
    }
  }
  if (chosen.length === 0) {
    throw new DomainError('EMPTY_SELECTION', `Aucune échéance éligible en ${costNatureLabel(selection.nature)}.`);
  }
  return splitBySign(chosen).map((plan) => ({
    ...plan,
    settlementMode: plan.kind === 'CREDIT_NOTE' ? (selection.settlementMode ?? creditNoteSettlement) : null,
  }));
}

export interface LetterValues {
  numeroProForma: string;
  numeroFacture?: string | null;
}

/**
 * Fills a refusal letter of the catalogue. A placeholder without a value ({{numeroFacture}} when no invoice number
 * was read) becomes a neutral wording rather than a blank.
 */
export function fillLetter(template: string, values: LetterValues): string {
  return template
    .replaceAll('{{numeroProForma}}', values.numeroProForma)
    .replaceAll('{{numeroFacture}}', values.numeroFacture ?? '(numéro non lu)');
}
