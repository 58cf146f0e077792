import { sql, type RawBuilder } from 'kysely';

/**
 * When an installment may be billed, written once for every query that needs it: its period has started (on the
 * Paris date `today`) and no live line of a pro forma holds it (a line is released when its pro forma is cancelled,
 * and the installment is eligible again). The installment is aliased `i` in the query; each predicate is a boolean
 * expression to put in a `where` or a `select`.
 *
 * Used by the generation (db/generation.ts: the eligible installments, the reasons of an exclusion) and by the
 * contracts' schedules (db/contracts.ts).
 */

/** The installment's period has started on `today` (YYYY-MM-DD, Europe/Paris): before that it is « à venir ». */
export function hasStarted(today: string): RawBuilder<boolean> {
  return sql<boolean>`(i.period_start <= ${today}::date)`;
}

/** A live line (of a pro forma not cancelled) holds the installment (pro_forma_lines_live_installment_key). */
export function isReserved(): RawBuilder<boolean> {
  return sql<boolean>`exists (
    select 1 from pro_forma_lines l where l.installment_id = i.id and l.released_at is null)`;
}

/** Eligible for billing on `today`: started and in no live pro forma. */
export function isEligible(today: string): RawBuilder<boolean> {
  return sql<boolean>`(${hasStarted(today)} and not ${isReserved()})`;
}
