import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { dashboardQuery } from '../db/dashboard';
import { proFormaCountQuery, proFormaPageQuery, type ProFormaFilters } from '../db/pro-forma-list';
import type { Scope } from '../db/pro-forma-summary';
import { validationQueueQuery } from '../db/validation-queue';
import type { Database } from '../db/schema';

/**
 * The API's list queries on a seeded database, and their plans: shared by `npm run bench:api` (bench/api-lists.ts)
 * and test/api/explain.test.ts, hence here: bench/ and test/ never import each other.
 */

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** EXPLAIN (FORMAT JSON) of a kysely query, with its parameters. */
export async function planOf(db: Kysely<Database>, query: Compilable, analyze = false): Promise<PlanNode> {
  const compiled = query.compile();
  const options = analyze ? 'analyze, buffers, format json' : 'format json';
  const result = await db.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    CompiledQuery.raw(`explain (${options}) ${compiled.sql}`, [...compiled.parameters]),
  );
  return (result.rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan;
}

/** The plan as PostgreSQL prints it (EXPLAIN, text format). */
export async function planText(db: Kysely<Database>, query: Compilable, analyze = false): Promise<string> {
  const compiled = query.compile();
  const options = analyze ? '(analyze, buffers, costs off)' : '(costs off)';
  const result = await db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain ${options} ${compiled.sql}`, [...compiled.parameters]),
  );
  return result.rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** Every scan of `relation` in a plan: its node type and index. */
export function scansOf(plan: PlanNode, relation: string): { node: string; index?: string }[] {
  const own = plan['Relation Name'] === relation ? [{ node: plan['Node Type'], index: plan['Index Name'] }] : [];
  return [...own, ...(plan.Plans ?? []).flatMap((child) => scansOf(child, relation))];
}

/** The list pages and counters the API runs, for a CFA user and for staff. */
export function apiQueries(
  db: Kysely<Database>,
  cfaId: string,
): { name: string; query: Compilable; dashboard?: boolean }[] {
  const cfa: Scope = { cfaId };
  const staff: Scope = { cfaId: null };
  const first = { page: 1, pageSize: 50 };
  const page = (scope: Scope, filters: ProFormaFilters, at = first) => proFormaPageQuery(db, scope, filters, at);
  return [
    { name: 'CFA list, page 1', query: page(cfa, {}) },
    { name: 'CFA list, page 20', query: page(cfa, {}, { page: 20, pageSize: 50 }) },
    { name: 'CFA list total', query: proFormaCountQuery(db, cfa, {}) },
    { name: 'CFA list filtered by status, page 1', query: page(cfa, { status: 'REFUSED' }) },
    { name: 'CFA list filtered by status, total', query: proFormaCountQuery(db, cfa, { status: 'REFUSED' }) },
    { name: 'CFA list filtered by nature, page 1', query: page(cfa, { nature: 'MOBILITE' }) },
    { name: 'CFA list of a dashboard category, page 1', query: page(cfa, { category: 'REJETEES' }) },
    { name: 'CFA search by invoice number', query: page(cfa, { invoiceNumber: 'FA-4242' }) },
    { name: 'staff list, page 1', query: page(staff, {}) },
    { name: 'staff list total', query: proFormaCountQuery(db, staff, {}) },
    { name: 'staff list filtered by status, page 1', query: page(staff, { status: 'PAID' }) },
    { name: 'staff list filtered by status, total', query: proFormaCountQuery(db, staff, { status: 'PAID' }) },
    { name: 'staff search by number', query: page(staff, { number: 'PRO-00004242' }) },
    { name: 'staff search by invoice number', query: page(staff, { invoiceNumber: 'FA-4242' }) },
    { name: 'staff list of one CFA, page 1', query: page(staff, { cfaId }) },
    { name: 'validation queue, page 1', query: validationQueueQuery(db, first) },
    { name: 'CFA dashboard', query: dashboardQuery(db, cfa), dashboard: true },
    { name: 'staff dashboard', query: dashboardQuery(db, staff), dashboard: true },
  ];
}
