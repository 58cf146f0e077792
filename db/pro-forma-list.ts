import { sql, type Compilable, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
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
  type ProFormaEb,
  type ProFormaQuery,
  type ProFormaSummaryView,
  type Scope,
} from './pro-forma-summary';
import type { Database } from './schema';
import { cfaRestriction } from './scope';

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
  /** Created between these Paris calendar days (inclusive, YYYY-MM-DD). */
  createdFrom?: string;
  createdTo?: string;
  /** Invoice deposited between these Paris calendar days (inclusive). */
  depositedFrom?: string;
  depositedTo?: string;
  /** Total between these amounts (inclusive, cents; a credit note's is negative). */
  minAmountCents?: number;
  maxAmountCents?: number;
  /** Holding a line of this contract. */
  contractNumber?: string;
  /** Holding a line of a contract whose apprentice has a name word starting so (case-insensitive). */
  apprentice?: string;
  /** The issue date read on the latest invoice (YYYY-MM-DD). */
  invoiceDate?: string;
  /** Free text: the pro forma number, the invoice number (prefix) or part of the CFA's name. */
  q?: string;
}

/** The filters pro_forma_counts' groups answer (db/pro-forma-counts.ts): any other needs the rows counted. */
const COUNTED_FILTERS: ReadonlySet<string> = new Set(['status', 'nature', 'kind', 'stage', 'category', 'cfaId']);

/** The start of a Paris calendar day, as an instant (the day after `to` ends a range). */
const parisDayStart = (day: string, plusDays = 0) =>
  sql<Date>`(cast(${day} as date) + ${plusDays}::int)::timestamp at time zone 'Europe/Paris'`;

const likePrefix = (text: string) => `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The words of a name search as a prefix tsquery (`lea:* & mar:*`), for contracts_apprentice_words_idx; null when
 * nothing searchable is left. Only letters and digits pass: no tsquery operator comes from the user.
 */
export function namePrefixQuery(text: string): string | null {
  const words = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 8);
  return words.length === 0 ? null : words.map((w) => `${w}:*`).join(' & ');
}

/** The pro forma number a free text may be: « PRO-00004242 », « pro-4242 » or « 4242 ». */
function numberOf(text: string): string | null {
  const match = /^(?:PRO-?)?(\d{1,8})$/i.exec(text.trim());
  return match ? `PRO-${(match[1] as string).padStart(8, '0')}` : null;
}

/** The ids of the pro formas holding a line of the contracts `contracts` selects (lines released included). */
function proFormasOfContracts(
  eb: ProFormaEb,
  where: (c: ExpressionBuilder<Database & { c: Database['contracts'] }, 'c'>) => Expression<SqlBool>,
) {
  return eb
    .selectFrom('contracts as c')
    .innerJoin('installments as i', 'i.contract_id', 'c.id')
    .innerJoin('pro_forma_lines as l', 'l.installment_id', 'i.id')
    .select('l.pro_forma_id')
    .where((c) => where(c as never));
}

/** Pro formas of the scope matching the filters; the base of the list, its count and its exports. */
export function filteredProFormas(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters): ProFormaQuery {
  let query: ProFormaQuery = db.selectFrom('pro_formas as p');
  const restriction = cfaRestriction('p.cfa_id', scope, filters.cfaId);
  if (restriction) query = query.where(restriction);
  for (const [column, value] of sharedEqualities(filters)) query = query.where(sql.ref(`p.${column}`), '=', value);
  if (filters.number !== undefined) query = query.where('p.number', '=', filters.number);
  if (filters.invoiceNumber !== undefined) query = query.where('p.invoice_number', '=', filters.invoiceNumber);
  const category = filters.category;
  if (category !== undefined) query = query.where((eb) => categoryCondition(eb, category));
  const { createdFrom, createdTo, depositedFrom, depositedTo, minAmountCents, maxAmountCents } = filters;
  if (createdFrom !== undefined) query = query.where('p.created_at', '>=', parisDayStart(createdFrom));
  if (createdTo !== undefined) query = query.where('p.created_at', '<', parisDayStart(createdTo, 1));
  if (depositedFrom !== undefined) query = query.where('p.deposited_at', '>=', parisDayStart(depositedFrom));
  if (depositedTo !== undefined) query = query.where('p.deposited_at', '<', parisDayStart(depositedTo, 1));
  if (minAmountCents !== undefined) query = query.where('p.total_cents', '>=', minAmountCents);
  if (maxAmountCents !== undefined) query = query.where('p.total_cents', '<=', maxAmountCents);
  if (filters.invoiceDate !== undefined) query = query.where('p.invoice_issue_date', '=', filters.invoiceDate);
  const contractNumber = filters.contractNumber;
  if (contractNumber !== undefined) {
    query = query.where('p.id', 'in', (eb) => proFormasOfContracts(eb, (c) => c('c.number', '=', contractNumber)));
  }
  if (filters.apprentice !== undefined) {
    const words = namePrefixQuery(filters.apprentice);
    query =
      words === null
        ? query.where(sql.lit(false))
        : query.where('p.id', 'in', (eb) =>
            proFormasOfContracts(
              eb,
              () => sql<SqlBool>`to_tsvector('simple', c.apprentice_name) @@ to_tsquery('simple', ${words})`,
            ),
          );
  }
  const q = filters.q;
  if (q !== undefined) {
    const number = numberOf(q);
    query = query.where((eb) =>
      eb.or([
        ...(number === null ? [] : [eb('p.number', '=', number)]),
        eb.and([eb('p.invoice_number', 'is not', null), eb(sql`lower(p.invoice_number)`, 'like', likePrefix(q))]),
        // = any(array(…)): an init plan, so that the CFAs found (a scan of the small cfas table) are an index
        // condition on pro_formas, in a BitmapOr with the two others.
        eb(
          'p.cfa_id',
          '=',
          sql<string>`any(array(${eb
            .selectFrom('cfas as cq')
            .select('cq.id')
            .where('cq.name', 'ilike', `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}))`,
        ),
      ]),
    );
  }
  return query;
}

/** Whether the filters are all answered by pro_forma_counts' groups. */
export function countedFiltersOnly(filters: ProFormaFilters): boolean {
  return Object.entries(filters).every(([key, value]) => value === undefined || COUNTED_FILTERS.has(key));
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

/**
 * A list's total: summed over pro_forma_counts' groups when every filter is one of theirs; otherwise the filtered rows
 * counted (searches by number, dates, amounts, contracts, free text: each read through its index).
 */
export function proFormaCountQuery(
  db: Kysely<Database>,
  scope: Scope,
  filters: ProFormaFilters,
): Compilable & { executeTakeFirstOrThrow(): Promise<{ total: string | number }> } {
  if (countedFiltersOnly(filters)) {
    const { status, nature, kind, stage, category, cfaId } = filters;
    return countedTotalQuery(db, scope, { status, nature, kind, stage, category, cfaId });
  }
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
