import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import { costNatureLabel, type CostNature, type SettlementMode } from '../domain/cost-nature';
import { statusLabel, type ProFormaKind, type ProFormaStage, type ProFormaStatus } from '../domain/process';
import type { Database, RefusalOriginCode } from './schema';

/**
 * The pro forma read model as the API's reads share it: the scope every read takes, pages, and the summary of a pro
 * forma (one mapper: rows never leave db/). Lists, the validation queue, the detail and the exports build on it.
 *
 * Every read takes a scope: a CFA user's reads are limited to its CFA, so another CFA's pro forma is simply not
 * found (the API answers 404, never revealing that it exists).
 */

export type { Scope } from './scope';

export interface PageRequest {
  page: number;
  pageSize: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface CfaRef {
  id: string;
  siret: string;
  name: string;
}

export interface ProFormaSummaryView {
  number: string;
  kind: ProFormaKind;
  nature: CostNature;
  natureLabel: string;
  totalCents: number;
  status: ProFormaStatus;
  statusLabel: string;
  stage: ProFormaStage | null;
  settlementMode: SettlementMode | null;
  invoiceNumber: string | null;
  refusalOrigin: RefusalOriginCode | null;
  lineCount: number;
  cfa: CfaRef;
  createdAt: string;
  updatedAt: string;
  depositedAt: string | null;
  decidedAt: string | null;
  validatedAt: string | null;
  refusedAt: string | null;
  paidAt: string | null;
  cancelledAt: string | null;
}

type WithP = Database & { p: Database['pro_formas'] };
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- kysely's own type for "nothing selected yet"
export type ProFormaQuery = SelectQueryBuilder<WithP, 'p', {}>;
export type ProFormaEb = ExpressionBuilder<WithP, 'p'>;

/** The columns of a summary, joined to the pro forma's CFA. */
export function summaryColumns(query: ProFormaQuery) {
  return query
    .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
    .select([
      'p.id',
      'p.number',
      'p.kind',
      'p.nature',
      'p.total_cents',
      'p.status',
      'p.stage',
      'p.settlement_mode',
      'p.invoice_number',
      'p.refusal_origin',
      'p.created_at',
      'p.updated_at',
      'p.deposited_at',
      'p.decided_at',
      'p.validated_at',
      'p.refused_at',
      'p.paid_at',
      'p.cancelled_at',
      'c.id as cfa_id',
      'c.siret as cfa_siret',
      'c.name as cfa_name',
    ])
    .select((eb) =>
      eb
        .selectFrom('pro_forma_lines as l')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('l.pro_forma_id', '=', 'p.id')
        .as('line_count'),
    );
}

export type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryColumns>['executeTakeFirstOrThrow']>>;

export const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

export function toSummary(row: SummaryRow): ProFormaSummaryView {
  return {
    number: row.number,
    kind: row.kind,
    nature: row.nature,
    natureLabel: costNatureLabel(row.nature),
    totalCents: row.total_cents,
    status: row.status,
    statusLabel: statusLabel(row.status, row.kind, row.stage),
    stage: row.stage,
    settlementMode: row.settlement_mode,
    invoiceNumber: row.invoice_number,
    refusalOrigin: row.refusal_origin,
    lineCount: Number(row.line_count ?? 0),
    cfa: { id: row.cfa_id, siret: row.cfa_siret, name: row.cfa_name },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    depositedAt: iso(row.deposited_at),
    decidedAt: iso(row.decided_at),
    validatedAt: iso(row.validated_at),
    refusedAt: iso(row.refused_at),
    paidAt: iso(row.paid_at),
    cancelledAt: iso(row.cancelled_at),
  };
}

/** Runs a page of summaries and its count together. */
export async function summaryPage(
  rows: Promise<SummaryRow[]>,
  count: Promise<{ total: number | string | bigint }>,
  page: PageRequest,
): Promise<Page<ProFormaSummaryView>> {
  const [items, { total }] = await Promise.all([rows, count]);
  return { items: items.map(toSummary), total: Number(total), page: page.page, pageSize: page.pageSize };
}
