import { sql, type Compilable, type Kysely } from 'kysely';
import type { CostNature } from '../domain/cost-nature';
import type { DashboardCategory, ProFormaKind, ProFormaStage, ProFormaStatus } from '../domain/process';
import { categoryCondition } from './dashboard';
import { countedTotalQuery, sharedEqualities } from './pro-forma-counts';
import {
  summaryColumns,
  summaryPage,
  toSummary,
  type Page,
  type PageRequest,
  type ProFormaQuery,
  type ProFormaSummaryView,
  type Scope,
} from './pro-forma-summary';
import type { Database } from './schema';

/** The lists of pro formas and their filters (the dashboard's categories among them), paged or for an export. */

export interface ProFormaFilters {
  number?: string;
  invoiceNumber?: string;
  status?: ProFormaStatus;
  nature?: CostNature;
  kind?: ProFormaKind;
  stage?: ProFormaStage;
  category?: DashboardCategory;
  /** Staff only: one CFA. */
  cfaId?: string;
}

/** Pro formas of the scope matching the filters; the base of the list, its count and its exports. */
export function filteredProFormas(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters): ProFormaQuery {
  let query: ProFormaQuery = db.selectFrom('pro_formas as p');
  for (const [column, value] of sharedEqualities(scope, filters))
    query = query.where(sql.ref(`p.${column}`), '=', value);
  if (filters.number !== undefined) query = query.where('p.number', '=', filters.number);
  if (filters.invoiceNumber !== undefined) query = query.where('p.invoice_number', '=', filters.invoiceNumber);
  const category = filters.category;
  if (category !== undefined) query = query.where((eb) => categoryCondition(eb, category));
  return query;
}

/** The summaries of a filtered list, newest first (the number breaks ties: pages never overlap). */
function newestFirst(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters) {
  return summaryColumns(filteredProFormas(db, scope, filters))
    .orderBy('p.created_at', 'desc')
    .orderBy('p.number', 'desc');
}

/** One page of a list, newest first. */
export function proFormaPageQuery(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters, page: PageRequest) {
  return newestFirst(db, scope, filters)
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
}

/** A list's total: summed over pro_forma_counts' groups, unless it searches by number (then few rows to count). */
export function proFormaCountQuery(
  db: Kysely<Database>,
  scope: Scope,
  filters: ProFormaFilters,
): Compilable & { executeTakeFirstOrThrow(): Promise<{ total: string | number }> } {
  const { number, invoiceNumber, ...counted } = filters;
  if (number === undefined && invoiceNumber === undefined) return countedTotalQuery(db, scope, counted);
  return filteredProFormas(db, scope, filters).select((eb) => eb.fn.countAll<number>().as('total'));
}

export function listProFormas(
  db: Kysely<Database>,
  scope: Scope,
  filters: ProFormaFilters,
  page: PageRequest,
): Promise<Page<ProFormaSummaryView>> {
  return summaryPage(
    proFormaPageQuery(db, scope, filters, page).execute(),
    proFormaCountQuery(db, scope, filters).executeTakeFirstOrThrow(),
    page,
  );
}

/** Every pro forma of a filtered list, newest first, up to `limit` (exports). */
export async function proFormasForExport(
  db: Kysely<Database>,
  scope: Scope,
  filters: ProFormaFilters,
  limit: number,
): Promise<ProFormaSummaryView[]> {
  const rows = await newestFirst(db, scope, filters).limit(limit).execute();
  return rows.map(toSummary);
}
