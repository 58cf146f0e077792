import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import {
  DASHBOARD,
  DASHBOARD_CATEGORIES,
  PRO_FORMA_STATUSES,
  inCategory,
  type CategoryRule,
  type DashboardCategory,
  type ProFormaStatus,
} from '../domain/process';
import type { ProFormaEb, Scope } from './pro-forma-summary';
import type { Database } from './schema';

/**
 * The dashboard's counters, and the SQL predicate of its categories (the list's `category` filter): both read the
 * categories' rules from domain/process.ts (DASHBOARD), so counters and lists agree.
 */

export interface DashboardCounterView {
  category: DashboardCategory;
  label: string;
  count: number;
  /** When a pro forma last entered the category (null when none ever did). */
  updatedAt: string | null;
}

/** The SQL predicate of a category's rule. */
export function categoryCondition(eb: ProFormaEb, category: DashboardCategory): Expression<SqlBool> {
  const rule: CategoryRule = DASHBOARD[category];
  const conditions: Expression<SqlBool>[] = [];
  if (rule.statuses !== undefined) conditions.push(eb('p.status', 'in', [...rule.statuses]));
  if (rule.refusalOrigin !== undefined) conditions.push(eb('p.refusal_origin', '=', rule.refusalOrigin));
  if (rule.deposited !== undefined) conditions.push(eb('p.deposited_at', 'is not', null));
  return eb.and(conditions);
}

/** The column of the dashboard's read holding the latest date at which a pro forma entered a category. */
const ENTERED_AT = {
  depositedAt: 'last_deposited_at',
  validatedAt: 'last_validated_at',
  refusedAt: 'last_refused_at',
  paidAt: 'last_paid_at',
} as const satisfies Record<CategoryRule['enteredAt'], string>;

/**
 * The dashboard's aggregates per status and refusal origin, read from the covering indexes
 * pro_formas_(cfa_id_)counters_idx alone. One branch per status: each is an index-only range scan on its status,
 * where a single GROUP BY over the whole table makes the planner read the table itself (a sequential scan of 100,000
 * rows costs it less than a full index read at the default random_page_cost). Run it through `readDashboard`.
 */
export function dashboardQuery(db: Kysely<Database>, scope: Scope) {
  const branch = (status: ProFormaStatus) => {
    let query = db
      .selectFrom('pro_formas as p')
      .select(['p.status', 'p.refusal_origin'])
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.count<number>('p.deposited_at').as('deposited'),
        eb.fn.max('p.deposited_at').as(ENTERED_AT.depositedAt),
        eb.fn.max('p.validated_at').as(ENTERED_AT.validatedAt),
        eb.fn.max('p.refused_at').as(ENTERED_AT.refusedAt),
        eb.fn.max('p.paid_at').as(ENTERED_AT.paidAt),
      ])
      .where('p.status', '=', status)
      .groupBy(['p.status', 'p.refusal_origin']);
    if (scope.cfaId !== null) query = query.where('p.cfa_id', '=', scope.cfaId);
    return query;
  };
  // A pro forma awaiting its (first) invoice is in no category.
  const [first, ...others] = PRO_FORMA_STATUSES.filter((s) => s !== 'AWAITING_INVOICE').map(branch);
  return others.reduce((union, next) => union.unionAll(next), first as ReturnType<typeof branch>);
}

/**
 * Runs the dashboard's read. Its index-only range scans are short: starting parallel workers for them costs more
 * than it saves (measured: 60 ms with two workers, 14 ms without, on 100,000 pro formas and two cores).
 */
export function readDashboard<T>(db: Kysely<Database>, read: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
    return read(trx);
  });
}

/** Each category's count and latest entry, over the groups of the dashboard's read. */
export async function dashboardCounters(db: Kysely<Database>, scope: Scope): Promise<DashboardCounterView[]> {
  const groups = await readDashboard(db, (trx) => dashboardQuery(trx, scope).execute());
  return DASHBOARD_CATEGORIES.map((category) => {
    const rule = DASHBOARD[category];
    // A group shares status and refusal origin; within it, `deposited` counts those that had an invoice deposited.
    const members = groups.filter((g) =>
      inCategory(category, { status: g.status, refusalOrigin: g.refusal_origin, deposited: Number(g.deposited) > 0 }),
    );
    const count = members.reduce((sum, g) => sum + Number(rule.deposited ? g.deposited : g.n), 0);
    const times = members
      .map((g) => g[ENTERED_AT[rule.enteredAt]])
      .filter((d): d is Date => d !== null)
      .map((d) => d.getTime());
    const updatedAt = times.length === 0 ? null : new Date(Math.max(...times)).toISOString();
    return { category, label: rule.label, count, updatedAt };
  });
}
