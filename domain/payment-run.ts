import { EPC_MAX_AMOUNT_CENTS } from './sepa';

/**
 * The netting of a payment run (issue 14), pure: for each CFA, its invoices awaiting payment and its DEDUCTION credit
 * notes still to deduct, oldest first, become transfers. A credit note is deducted as far as the transfer allows (a
 * transfer is never negative); what cannot be deducted today is carried to the next run. A transfer the EPC limit
 * refuses is left out whole: its invoices wait, and the credit notes it would have deducted stay as they were.
 */

export const RUN_GROUPINGS = ['PER_CFA', 'PER_INVOICE'] as const;
export type RunGrouping = (typeof RUN_GROUPINGS)[number];

export interface RunInvoice {
  number: string;
  /** Positive. */
  amountCents: number;
  /** Orders invoices and credit notes: oldest first. */
  validatedAt: string;
}

export interface RunDeduction {
  number: string;
  /** What is still to deduct, positive (the credit note's total is negative). */
  remainingCents: number;
  validatedAt: string;
}

export interface RunCfa {
  cfaId: string;
  invoices: readonly RunInvoice[];
  deductions: readonly RunDeduction[];
}

export interface AppliedDeduction {
  number: string;
  /** Deducted by this transfer, positive. */
  appliedCents: number;
  /** Whether the credit note is deducted in full (it is then settled by this transfer). */
  settled: boolean;
}

export interface PlannedTransfer {
  cfaId: string;
  invoices: { number: string; amountCents: number }[];
  deductions: AppliedDeduction[];
  /** What the CFA receives: the invoices less the deductions; 0 when credit notes cover them whole (no transfer). */
  amountCents: number;
}

export interface RunPlan {
  transfers: PlannedTransfer[];
  /** Credit notes with something left to deduct after the run, and how much. */
  carried: { cfaId: string; number: string; remainingCents: number }[];
  /** Transfers the EPC's limit refuses, left out of the run. */
  refused: { cfaId: string; invoices: string[]; amountCents: number; reason: 'AMOUNT_OVER_EPC_LIMIT' }[];
}

const byAge = <T extends { validatedAt: string; number: string }>(a: T, b: T) =>
  a.validatedAt === b.validatedAt ? a.number.localeCompare(b.number) : a.validatedAt.localeCompare(b.validatedAt);

/** Deducts from `gross` the credit notes in order, as far as it goes; updates `remaining` only when `commit` runs. */
function deduct(gross: number, deductions: readonly RunDeduction[], remaining: Map<string, number>) {
  const applied: AppliedDeduction[] = [];
  let left = gross;
  for (const d of deductions) {
    const still = remaining.get(d.number) ?? 0;
    if (left === 0) break;
    if (still === 0) continue;
    const cents = Math.min(still, left);
    left -= cents;
    applied.push({ number: d.number, appliedCents: cents, settled: cents === still });
  }
  return {
    applied,
    amountCents: left,
    commit: () => {
      for (const a of applied) remaining.set(a.number, (remaining.get(a.number) ?? 0) - a.appliedCents);
    },
  };
}

export function planRun(cfas: readonly RunCfa[], grouping: RunGrouping): RunPlan {
  const plan: RunPlan = { transfers: [], carried: [], refused: [] };
  for (const cfa of [...cfas].sort((a, b) => a.cfaId.localeCompare(b.cfaId))) {
    const invoices = [...cfa.invoices].sort(byAge);
    const deductions = [...cfa.deductions].sort(byAge);
    const remaining = new Map(deductions.map((d) => [d.number, d.remainingCents]));
    const groups = grouping === 'PER_CFA' ? (invoices.length > 0 ? [invoices] : []) : invoices.map((i) => [i]);
    for (const group of groups) {
      const gross = group.reduce((sum, i) => sum + i.amountCents, 0);
      const netted = deduct(gross, deductions, remaining);
      if (netted.amountCents > EPC_MAX_AMOUNT_CENTS) {
        plan.refused.push({
          cfaId: cfa.cfaId,
          invoices: group.map((i) => i.number),
          amountCents: netted.amountCents,
          reason: 'AMOUNT_OVER_EPC_LIMIT',
        });
        continue;
      }
      netted.commit();
      plan.transfers.push({
        cfaId: cfa.cfaId,
        invoices: group.map((i) => ({ number: i.number, amountCents: i.amountCents })),
        deductions: netted.applied,
        amountCents: netted.amountCents,
      });
    }
    for (const d of deductions) {
      const left = remaining.get(d.number) ?? 0;
      if (left > 0) plan.carried.push({ cfaId: cfa.cfaId, number: d.number, remainingCents: left });
    }
  }
  return plan;
}

// ---- The execution date -------------------------------------------------------------------------------------------

/** Easter Sunday of `year` (Gregorian calendar, anonymous algorithm), as YYYY-MM-DD. */
function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * Whether SEPA credit transfers settle on `date` (YYYY-MM-DD): a weekday that is not a TARGET2 closing day (1 January,
 * Good Friday, Easter Monday, 1 May, 25 and 26 December).
 */
export function isSettlementDay(date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const year = Number(date.slice(0, 4));
  const easter = easterSunday(year);
  const closed = [
    `${year}-01-01`,
    addDays(easter, -2),
    addDays(easter, 1),
    `${year}-05-01`,
    `${year}-12-25`,
    `${year}-12-26`,
  ];
  return !closed.includes(date);
}

/** The requested execution date of a run made on `today` (YYYY-MM-DD, Paris): the next settlement day. */
export function executionDateAfter(today: string): string {
  let date = addDays(today, 1);
  while (!isSettlementDay(date)) date = addDays(date, 1);
  return date;
}
