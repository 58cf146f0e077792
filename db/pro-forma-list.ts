import type { Kysely } from 'kysely';
import type { CostNature } from '../domain/cost-nature';
import type { DashboardCategory, ProFormaKind, ProFormaStage, ProFormaStatus } from '../domain/process';
import { categoryCondition } from './dashboard';
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
  // Both apply: a CFA user filtering on another CFA gets nothing, not its own list.
  if (scope.cfaId !== null) query = query.where('p.cfa_id', '=', scope.cfaId);
  if (filters.cfaId !== undefined) query = query.where('p.cfa_id', '=', filters.cfaId);
  if (filters.number !== undefined) query = query.where('p.number', '=', filters.number);
  if (filters.invoiceNumber !== undefined) query = query.where('p.invoice_number', '=', filters.invoiceNumber);
  if (filters.status !== undefined) query = query.where('p.status', '=', filters.status);
  if (filters.nature !== undefined) query = query.where('p.nature', '=', filters.nature);
  if (filters.kind !== undefined) query = query.where('p.kind', '=', filters.kind);
  if (filters.stage !== undefined) query = query.where('p.stage', '=', filters.stage);
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

export function proFormaCountQuery(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters) {
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
