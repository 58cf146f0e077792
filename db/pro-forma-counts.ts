import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { DASHBOARD, type DashboardCategory } from '../domain/process';
import type { Scope } from './pro-forma-summary';
import type { Database } from './schema';
import { cfaRestriction } from './scope';

/**
 * pro_forma_counts: how many pro formas share a CFA, status, stage, refusal origin, nature, kind and whether an invoice
 * was deposited, kept by triggers in the transaction of every change (migration 2026_12_02_0001). The dashboard's
 * counters and the totals of lists filtered on those columns are sums over its groups, whatever the number of pro
 * formas.
 */

/** The filters a group answers: every filter of a list but the searches by number. */
export interface CountedFilters {
  status?: Database['pro_formas']['status'];
  nature?: Database['pro_formas']['nature'];
  kind?: Database['pro_formas']['kind'];
  stage?: Database['pro_formas']['stage'];
  category?: DashboardCategory;
  cfaId?: string;
}

type GroupEb = ExpressionBuilder<{ c: Database['pro_forma_counts'] }, 'c'>;

/** A dashboard category's rule (domain/process.ts) on a group: the twin of dashboard.ts's categoryCondition. */
function groupInCategory(eb: GroupEb, category: DashboardCategory): Expression<SqlBool> {
  const rule = DASHBOARD[category];
  const conditions: Expression<SqlBool>[] = [];
  if (rule.statuses !== undefined) {
    const { orAt } = rule;
    const inStatuses = eb('c.status', 'in', [...rule.statuses]);
    conditions.push(
      orAt === undefined
        ? inStatuses
        : eb.or([inStatuses, eb.and([eb('c.status', '=', orAt.status), eb('c.stage', '=', orAt.stage)])]),
    );
  }
  if (rule.refusalOrigin !== undefined) conditions.push(eb('c.refusal_origin', '=', rule.refusalOrigin));
  if (rule.deposited !== undefined) conditions.push(eb('c.deposited', '=', true));
  return eb.and(conditions);
}

/**
 * The filters as equalities on columns that pro_formas and pro_forma_counts share (the scope and the CFA filter are
 * `cfaRestriction`'s).
 */
export function sharedEqualities(filters: CountedFilters): [column: string, value: string][] {
  const equalities: [string, string | null | undefined][] = [
    ['status', filters.status],
    ['nature', filters.nature],
    ['kind', filters.kind],
    ['stage', filters.stage],
  ];
  return equalities.filter((e): e is [string, string] => typeof e[1] === 'string');
}

/** The non-empty groups of the scope matching the filters. */
export function countedGroups(db: Kysely<Database>, scope: Scope, filters: CountedFilters) {
  let query = db.selectFrom('pro_forma_counts as c').where('c.n', '>', '0');
  const restriction = cfaRestriction('c.cfa_id', scope, filters.cfaId);
  if (restriction) query = query.where(restriction);
  for (const [column, value] of sharedEqualities(filters)) query = query.where(sql.ref(`c.${column}`), '=', value);
  const category = filters.category;
  if (category !== undefined) query = query.where((eb) => groupInCategory(eb, category));
  return query;
}

/** How many pro formas of the scope match the filters. */
export function countedTotalQuery(db: Kysely<Database>, scope: Scope, filters: CountedFilters) {
  return countedGroups(db, scope, filters).select((eb) =>
    eb.fn.coalesce(eb.fn.sum<string>('c.n'), eb.val('0')).as('total'),
  );
}
