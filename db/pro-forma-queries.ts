import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { InvoiceFields } from '../domain/reading';
import { CONTROL_CODES, type ControlCode, type ControlOutcome } from '../domain/controls';
import { costNatureLabel, type CostNature, type SettlementMode } from '../domain/cost-nature';
import { CATEGORY_LABELS, type DashboardCategory } from '../domain/dashboard';
import { fillLetter } from '../domain/pro-forma';
import {
  PRO_FORMA_STATUSES,
  allowedActions,
  statusLabel,
  type ProFormaAction,
  type ProFormaKind,
  type ProFormaStage,
  type ProFormaStatus,
} from '../domain/status';
import type { Database, ExtractionEngineCode, PaymentKindCode, PaymentStatusCode, RefusalOriginCode } from './schema';

/**
 * Reads of the pro forma read model for the API: lists, detail, dashboard, documents, exports. Free functions taking
 * the database first; rows are mapped to views here and never leave this module.
 *
 * Every read takes a scope: a CFA user's reads are limited to its CFA, so another CFA's pro forma is simply not
 * found (the API answers 404, never revealing that it exists).
 */

/** `cfaId` null: staff, every CFA. */
export interface Scope {
  cfaId: string | null;
}

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

export interface ProFormaLineView {
  installmentId: string;
  contractNumber: string;
  apprenticeName: string;
  employerName: string;
  periodStart: string;
  periodEnd: string;
  amountCents: number;
}

export interface DocumentView {
  version: number;
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface ExtractionDetailView {
  version: number;
  engine: ExtractionEngineCode;
  fields: InvoiceFields;
  fieldConfidences: Record<string, number>;
  confidence: number | null;
  error: string | null;
}

export interface ControlView {
  code: string;
  passed: boolean;
  outcome: ControlOutcome;
  message: string;
  reasonCode: string | null;
}

export interface RefusalDetailView {
  origin: RefusalOriginCode;
  reasonCode: string;
  label: string;
  comment: string | null;
  letter: string;
  at: string;
}

export interface HistoryView {
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  from: ProFormaStatus | null;
  to: ProFormaStatus | null;
  stage: ProFormaStage | null;
}

export interface PaymentDetailView {
  kind: PaymentKindCode;
  amountCents: number;
  status: PaymentStatusCode;
  orderedAt: string;
  confirmedAt: string | null;
  reference: string | null;
}

export interface ProFormaDetailView extends ProFormaSummaryView {
  allowedActions: ProFormaAction[];
  lines: ProFormaLineView[];
  documents: DocumentView[];
  extraction: ExtractionDetailView | null;
  controls: ControlView[];
  refusal?: RefusalDetailView;
  payment: PaymentDetailView | null;
  history: HistoryView[];
}

export interface DashboardCounterView {
  category: DashboardCategory;
  label: string;
  count: number;
  /** When a pro forma last entered the category (null when none ever did). */
  updatedAt: string | null;
}

type WithP = Database & { p: Database['pro_formas'] };
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- kysely's own type for "nothing selected yet"
type ProFormaQuery = SelectQueryBuilder<WithP, 'p', {}>;
type ProFormaEb = ExpressionBuilder<WithP, 'p'>;

/** The conditions of a dashboard category, also the list's `category` filter: counters and lists agree. */
function categoryCondition(eb: ProFormaEb, category: DashboardCategory) {
  switch (category) {
    case 'EMISES':
      return eb('p.deposited_at', 'is not', null);
    case 'TRANSMISES':
      return eb('p.status', 'in', ['VALIDATED', 'PAID']);
    case 'REFUSEES':
      return eb.and([eb('p.status', '=', 'REFUSED'), eb('p.refusal_origin', '=', 'AUTOMATIC')]);
    case 'REJETEES':
      return eb.and([eb('p.status', '=', 'REFUSED'), eb('p.refusal_origin', '=', 'MANUAL')]);
    case 'PRISES_EN_CHARGE':
      return eb('p.status', '=', 'PAID');
  }
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

function summaryColumns(query: ProFormaQuery) {
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

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryColumns>['executeTakeFirstOrThrow']>>;

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

function toSummary(row: SummaryRow): ProFormaSummaryView {
  return {
    number: row.number,
    kind: row.kind,
    nature: row.nature,
    natureLabel: costNatureLabel(row.nature),
    totalCents: row.total_cents,
    status: row.status,
    statusLabel: statusLabel(row.status, row.kind),
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

/** One page of a list, newest first (the number breaks ties: pages never overlap). */
export function proFormaPageQuery(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters, page: PageRequest) {
  return summaryColumns(filteredProFormas(db, scope, filters))
    .orderBy('p.created_at', 'desc')
    .orderBy('p.number', 'desc')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
}

export function proFormaCountQuery(db: Kysely<Database>, scope: Scope, filters: ProFormaFilters) {
  return filteredProFormas(db, scope, filters).select((eb) => eb.fn.countAll<number>().as('total'));
}

export async function listProFormas(
  db: Kysely<Database>,
  scope: Scope,
  filters: ProFormaFilters,
  page: PageRequest,
): Promise<Page<ProFormaSummaryView>> {
  const [rows, count] = await Promise.all([
    proFormaPageQuery(db, scope, filters, page).execute(),
    proFormaCountQuery(db, scope, filters).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toSummary), total: Number(count.total), page: page.page, pageSize: page.pageSize };
}

/** Every pro forma of a filtered list, newest first, up to `limit` (exports). */
export async function proFormasForExport(
  db: Kysely<Database>,
  scope: Scope,
  filters: ProFormaFilters,
  limit: number,
): Promise<ProFormaSummaryView[]> {
  const rows = await summaryColumns(filteredProFormas(db, scope, filters))
    .orderBy('p.created_at', 'desc')
    .orderBy('p.number', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toSummary);
}

/** Invoices waiting for a validator's decision, the longest waiting first. Staff only. */
export function validationQueueQuery(db: Kysely<Database>, page: PageRequest) {
  return summaryColumns(
    db
      .selectFrom('pro_formas as p')
      .where('p.status', '=', 'UNDER_VALIDATION')
      .where('p.stage', '=', 'AWAITING_DECISION'),
  )
    .orderBy('p.deposited_at', 'asc')
    .orderBy('p.number', 'asc')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
}

export async function validationQueue(db: Kysely<Database>, page: PageRequest): Promise<Page<ProFormaSummaryView>> {
  const [rows, count] = await Promise.all([
    validationQueueQuery(db, page).execute(),
    db
      .selectFrom('pro_formas as p')
      .where('p.status', '=', 'UNDER_VALIDATION')
      .where('p.stage', '=', 'AWAITING_DECISION')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toSummary), total: Number(count.total), page: page.page, pageSize: page.pageSize };
}

/** What the API needs to judge an action before asking the workflow (or after the workflow has closed). */
export interface ProFormaState {
  id: string;
  number: string;
  kind: ProFormaKind;
  status: ProFormaStatus;
  stage: ProFormaStage | null;
  cfaId: string;
  documentCount: number;
}

export async function findProFormaState(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<ProFormaState | undefined> {
  let query = db
    .selectFrom('pro_formas as p')
    .select(['p.id', 'p.number', 'p.kind', 'p.status', 'p.stage', 'p.cfa_id'])
    .select((eb) =>
      eb
        .selectFrom('documents as d')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('d.pro_forma_id', '=', 'p.id')
        .as('document_count'),
    )
    .where('p.number', '=', number);
  if (scope.cfaId !== null) query = query.where('p.cfa_id', '=', scope.cfaId);
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    number: row.number,
    kind: row.kind,
    status: row.status,
    stage: row.stage,
    cfaId: row.cfa_id,
    documentCount: Number(row.document_count ?? 0),
  };
}

/** The whole pro forma as the read model knows it (its workflow may have closed). */
export async function findProFormaDetail(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<ProFormaDetailView | undefined> {
  const row = await summaryColumns(filteredProFormas(db, scope, { number })).executeTakeFirst();
  if (!row) return undefined;
  const summary = toSummary(row);
  const [lines, documents, history, payment, refusal] = await Promise.all([
    proFormaLines(db, row.id),
    db
      .selectFrom('documents')
      .select(['id', 'version', 'file_name', 'mime_type', 'size_bytes', 'sha256', 'uploaded_at'])
      .where('pro_forma_id', '=', row.id)
      .orderBy('version')
      .execute(),
    proFormaHistory(db, row.id),
    db
      .selectFrom('payments')
      .select(['kind', 'amount_cents', 'status', 'ordered_at', 'confirmed_at', 'reference'])
      .where('pro_forma_id', '=', row.id)
      .executeTakeFirst(),
    summary.status === 'REFUSED' ? latestRefusal(db, row.id, summary.number, summary.invoiceNumber) : undefined,
  ]);
  const latest = documents[documents.length - 1];
  const [extraction, controls] = latest
    ? await Promise.all([documentExtraction(db, latest.id, latest.version), documentControls(db, latest.id)])
    : [null, []];
  return {
    ...summary,
    allowedActions: [...allowedActions(summary.status)],
    lines,
    documents: documents.map((d) => ({
      version: d.version,
      fileName: d.file_name,
      mimeType: d.mime_type,
      size: d.size_bytes,
      sha256: d.sha256,
      uploadedAt: d.uploaded_at.toISOString(),
    })),
    extraction,
    controls,
    ...(refusal && { refusal }),
    payment: payment
      ? {
          kind: payment.kind,
          amountCents: payment.amount_cents,
          status: payment.status,
          orderedAt: payment.ordered_at.toISOString(),
          confirmedAt: iso(payment.confirmed_at),
          reference: payment.reference,
        }
      : null,
    history,
  };
}

async function proFormaLines(db: Kysely<Database>, proFormaId: string): Promise<ProFormaLineView[]> {
  const rows = await db
    .selectFrom('pro_forma_lines as l')
    .innerJoin('installments as i', 'i.id', 'l.installment_id')
    .innerJoin('contracts as c', 'c.id', 'i.contract_id')
    .select([
      'l.installment_id',
      'c.number',
      'c.apprentice_name',
      'c.employer_name',
      'i.period_start',
      'i.period_end',
      'l.amount_cents',
    ])
    .where('l.pro_forma_id', '=', proFormaId)
    .orderBy('c.number')
    .orderBy('i.period_start')
    .execute();
  return rows.map((r) => ({
    installmentId: r.installment_id,
    contractNumber: r.number,
    apprenticeName: r.apprentice_name,
    employerName: r.employer_name,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    amountCents: r.amount_cents,
  }));
}

async function proFormaHistory(db: Kysely<Database>, proFormaId: string): Promise<HistoryView[]> {
  const rows = await db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', (join) => join.on(sql`u.id::text`, '=', sql.ref('a.actor')))
    .select(['a.at', 'a.actor', 'a.action', 'a.from_status', 'a.to_status', 'a.details', 'u.name as actor_name'])
    .where('a.pro_forma_id', '=', proFormaId)
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({
    at: r.at.toISOString(),
    actor: r.actor,
    actorName: r.actor_name ?? (r.actor === 'system' ? 'Système' : null),
    action: r.action,
    from: r.from_status,
    to: r.to_status,
    stage: (r.details?.stage as ProFormaStage | undefined) ?? null,
  }));
}

async function documentExtraction(
  db: Kysely<Database>,
  documentId: string,
  version: number,
): Promise<ExtractionDetailView | null> {
  const row = await db
    .selectFrom('extractions')
    .select(['engine', 'fields', 'field_confidences', 'confidence', 'error'])
    .where('document_id', '=', documentId)
    .executeTakeFirst();
  if (!row) return null;
  const fields = row.fields;
  const text = (key: string): string | null => (typeof fields[key] === 'string' ? (fields[key] as string) : null);
  const total = fields.totalCents;
  return {
    version,
    engine: row.engine,
    fields: {
      invoiceNumber: text('invoiceNumber'),
      proFormaNumber: text('proFormaNumber'),
      totalCents: typeof total === 'number' ? total : null,
      issueDate: text('issueDate'),
      siret: text('siret'),
      siren: text('siren'),
      vatId: text('vatId'),
      iban: text('iban'),
      currency: text('currency'),
    },
    fieldConfidences: row.field_confidences ?? {},
    confidence: row.confidence,
    error: row.error,
  };
}

async function documentControls(db: Kysely<Database>, documentId: string): Promise<ControlView[]> {
  const rows = await db
    .selectFrom('control_results')
    .select(['code', 'outcome', 'passed', 'message', 'reason_code'])
    .where('document_id', '=', documentId)
    .execute();
  const rank = (code: string) => {
    const index = CONTROL_CODES.indexOf(code as ControlCode);
    return index < 0 ? CONTROL_CODES.length : index;
  };
  return rows
    .sort((a, b) => rank(a.code) - rank(b.code) || a.code.localeCompare(b.code))
    .map((r) => ({
      code: r.code,
      passed: r.passed,
      outcome: r.outcome,
      message: r.message,
      reasonCode: r.reason_code,
    }));
}

async function latestRefusal(
  db: Kysely<Database>,
  proFormaId: string,
  number: string,
  invoiceNumber: string | null,
): Promise<RefusalDetailView | undefined> {
  const row = await db
    .selectFrom('decisions as d')
    .innerJoin('refusal_reasons as r', 'r.code', 'd.reason_code')
    .select(['d.origin', 'd.reason_code', 'r.label', 'r.letter as template', 'd.comment', 'd.letter', 'd.decided_at'])
    .where('d.pro_forma_id', '=', proFormaId)
    .where('d.decision', '=', 'REFUSE')
    .orderBy('d.decided_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row || row.reason_code === null) return undefined;
  return {
    origin: row.origin,
    reasonCode: row.reason_code,
    label: row.label,
    comment: row.comment,
    // The workflow stores the letter as it was sent; the catalogue's text is the fallback.
    letter: row.letter ?? fillLetter(row.template, { numeroProForma: number, numeroFacture: invoiceNumber }),
    at: row.decided_at.toISOString(),
  };
}

/** A deposited version of a pro forma's invoice, within the scope. */
export async function findDocument(db: Kysely<Database>, scope: Scope, number: string, version: number) {
  let query = db
    .selectFrom('documents as d')
    .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
    .select(['d.file_name', 'd.mime_type', 'd.size_bytes', 'd.sha256', 'd.storage_key'])
    .where('p.number', '=', number)
    .where('d.version', '=', version);
  if (scope.cfaId !== null) query = query.where('p.cfa_id', '=', scope.cfaId);
  const row = await query.executeTakeFirst();
  return (
    row && {
      fileName: row.file_name,
      mimeType: row.mime_type,
      size: row.size_bytes,
      sha256: row.sha256,
      storageKey: row.storage_key,
    }
  );
}

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
        eb.fn.max('p.deposited_at').as('last_deposited_at'),
        eb.fn.max('p.validated_at').as('last_validated_at'),
        eb.fn.max('p.refused_at').as('last_refused_at'),
        eb.fn.max('p.paid_at').as('last_paid_at'),
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

export async function dashboardCounters(db: Kysely<Database>, scope: Scope): Promise<DashboardCounterView[]> {
  const groups = await readDashboard(db, (trx) => dashboardQuery(trx, scope).execute());
  const latest = (dates: (Date | null)[]): string | null => {
    const times = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
    return times.length === 0 ? null : new Date(Math.max(...times)).toISOString();
  };
  const counter = (category: DashboardCategory, count: number, updatedAt: string | null): DashboardCounterView => ({
    category,
    label: CATEGORY_LABELS[category],
    count,
    updatedAt,
  });
  const of = (test: (g: (typeof groups)[number]) => boolean) => groups.filter(test);
  const sum = (values: (number | string)[]) => values.reduce<number>((a, b) => a + Number(b), 0);
  const transmitted = of((g) => g.status === 'VALIDATED' || g.status === 'PAID');
  const refused = of((g) => g.status === 'REFUSED' && g.refusal_origin === 'AUTOMATIC');
  const rejected = of((g) => g.status === 'REFUSED' && g.refusal_origin === 'MANUAL');
  const paid = of((g) => g.status === 'PAID');
  return [
    counter('EMISES', sum(groups.map((g) => g.deposited)), latest(groups.map((g) => g.last_deposited_at))),
    counter('TRANSMISES', sum(transmitted.map((g) => g.n)), latest(transmitted.map((g) => g.last_validated_at))),
    counter('REFUSEES', sum(refused.map((g) => g.n)), latest(refused.map((g) => g.last_refused_at))),
    counter('REJETEES', sum(rejected.map((g) => g.n)), latest(rejected.map((g) => g.last_refused_at))),
    counter('PRISES_EN_CHARGE', sum(paid.map((g) => g.n)), latest(paid.map((g) => g.last_paid_at))),
  ];
}

export interface ContractLineView {
  contractNumber: string;
  label: string;
  apprenticeName: string;
  employerName: string;
  employerSiret: string;
  startDate: string;
  endDate: string;
  contractStatus: 'ENGAGE' | 'RUPTURE';
  nature: CostNature;
  periodStart: string;
  periodEnd: string;
  amountCents: number;
}

/** The contracts (one row per installment) of a pro forma, for its Excel export. */
export async function proFormaContractLines(db: Kysely<Database>, proFormaId: string): Promise<ContractLineView[]> {
  const rows = await db
    .selectFrom('pro_forma_lines as l')
    .innerJoin('installments as i', 'i.id', 'l.installment_id')
    .innerJoin('contracts as c', 'c.id', 'i.contract_id')
    .select([
      'c.number',
      'c.label',
      'c.apprentice_name',
      'c.employer_name',
      'c.employer_siret',
      'c.start_date',
      'c.end_date',
      'c.status',
      'l.nature',
      'i.period_start',
      'i.period_end',
      'l.amount_cents',
    ])
    .where('l.pro_forma_id', '=', proFormaId)
    .orderBy('c.number')
    .orderBy('i.period_start')
    .execute();
  return rows.map((r) => ({
    contractNumber: r.number,
    label: r.label,
    apprenticeName: r.apprentice_name,
    employerName: r.employer_name,
    employerSiret: r.employer_siret,
    startDate: r.start_date,
    endDate: r.end_date,
    contractStatus: r.status,
    nature: r.nature,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    amountCents: r.amount_cents,
  }));
}
