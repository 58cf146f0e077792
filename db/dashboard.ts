import type { Expression, Kysely, SqlBool } from 'kysely';
import {
  DASHBOARD,
  DASHBOARD_CATEGORIES,
  inCategory,
  type CategoryRule,
  type DashboardCategory,
} from '../domain/process';
import { countedGroups } from './pro-forma-counts';
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
  /** When a pro forma last entered the category (null when it is empty). */
  updatedAt: string | null;
}

/** The SQL predicate of a category's rule. */
export function categoryCondition(eb: ProFormaEb, category: DashboardCategory): Expression<SqlBool> {
  const rule: CategoryRule = DASHBOARD[category];
  const conditions: Expression<SqlBool>[] = [];
  if (rule.statuses !== undefined) {
    const { orAt } = rule;
    const inStatuses = eb('p.status', 'in', [...rule.statuses]);
    conditions.push(
      orAt === undefined
        ? inStatuses
        : eb.or([inStatuses, eb.and([eb('p.status', '=', orAt.status), eb('p.stage', '=', orAt.stage)])]),
    );
  }
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

/** The dashboard's aggregates per status, refusal origin and deposit, summed over the groups of pro_forma_counts. */
export function dashboardQuery(db: Kysely<Database>, scope: Scope) {
  return countedGroups(db, scope, {})
    .select(['c.status', 'c.stage', 'c.refusal_origin', 'c.deposited'])
    .select((eb) => [
      eb.fn.sum<string>('c.n').as('n'),
      eb.fn.max('c.last_deposited_at').as(ENTERED_AT.depositedAt),
      eb.fn.max('c.last_validated_at').as(ENTERED_AT.validatedAt),
      eb.fn.max('c.last_refused_at').as(ENTERED_AT.refusedAt),
      eb.fn.max('c.last_paid_at').as(ENTERED_AT.paidAt),
    ])
    .groupBy(['c.status', 'c.stage', 'c.refusal_origin', 'c.deposited']);
}

/** Each category's count and latest entry, over the groups of the dashboard's read. */
export async function dashboardCounters(db: Kysely<Database>, scope: Scope): Promise<DashboardCounterView[]> {
  const groups = await dashboardQuery(db, scope).execute();
  return DASHBOARD_CATEGORIES.map((category) => {
    const rule = DASHBOARD[category];
    const members = groups.filter((g) =>
      inCategory(category, {
        status: g.status,
        stage: g.stage,
        refusalOrigin: g.refusal_origin,
        deposited: g.deposited,
      }),
    );
    const count = members.reduce((sum, g) => sum + Number(g.n), 0);
    const times = members
      .map((g) => g[ENTERED_AT[rule.enteredAt]])
      .filter((d): d is Date => d !== null)
      .map((d) => d.getTime());
    // An empty category has no time, even if pro formas entered it once and left.
    const updatedAt = count === 0 || times.length === 0 ? null : new Date(Math.max(...times)).toISOString();
    return { category, label: rule.label, count, updatedAt };
  });
}
