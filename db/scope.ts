import { sql, type Expression, type SqlBool } from 'kysely';

/** What a caller may read: `cfaIds` null for staff (every CFA), else the CFAs a CFA user acts for. */
export interface Scope {
  cfaIds: readonly string[] | null;
}

/** Staff's scope, and the system's: every CFA. */
export const EVERY_CFA: Scope = { cfaIds: null };

/**
 * The condition keeping the rows of `column` (a CFA id) within the scope and, when given, the CFA filter: a CFA user
 * filtering on a CFA it does not act for gets nothing, not its own rows. Undefined when nothing restricts the rows.
 */
export function cfaRestriction(column: string, scope: Scope, cfaFilter?: string): Expression<SqlBool> | undefined {
  let cfas = scope.cfaIds;
  if (cfaFilter !== undefined) cfas = cfas === null || cfas.includes(cfaFilter) ? [cfaFilter] : [];
  if (cfas === null) return undefined;
  if (cfas.length === 0) return sql<SqlBool>`false`;
  // One CFA, the usual case, as an equality: the plans the EXPLAIN tests check stay those of `cfa_id = $1`.
  if (cfas.length === 1) return sql<SqlBool>`${sql.ref(column)} = ${cfas[0]}`;
  return sql<SqlBool>`${sql.ref(column)} = any(${[...cfas]}::uuid[])`;
}

/** Whether the scope reaches the CFA. */
export function inScope(scope: Scope, cfaId: string): boolean {
  return scope.cfaIds === null || scope.cfaIds.includes(cfaId);
}
