import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { ControlCode } from '../domain/controls';
import type { CostNature } from '../domain/cost-nature';
import { USER_TIME_ZONE } from '../domain/dates';
import { AWAITING_DECISION, QUEUE_STAGES, type QueueStage } from '../domain/process';
import type { ExtractionEngine } from '../domain/reading';
import {
  iso,
  summaryColumns,
  toSummary,
  type Page,
  type PageRequest,
  type ProFormaEb,
  type ProFormaQuery,
  type ProFormaSummaryView,
} from './pro-forma-summary';
import type { Database } from './schema';

/**
 * The validation queue: pro formas waiting for a validator's decision (QUEUE_STAGES: a first decision, or the second
 * approval of the four-eyes rule), its filters, sorts and facets. Staff only.
 *
 * Every statement here reads pro_formas under the queue's predicate, written as the partial indexes of migration
 * 2026_12_02_0002 are (`status = 'UNDER_VALIDATION' and stage in (…)`), so that the planner reads those indexes,
 * whose size is the queue's, never the whole table (test/api/explain.test.ts checks the plans).
 */

export const ASSIGNMENTS = ['me', 'nobody', 'someone'] as const;
/** `me`: a live claim of the caller; `someone`: a live claim of anyone (the caller included); `nobody`: no live claim. */
export type Assignment = (typeof ASSIGNMENTS)[number];
export const QUEUE_SORTS = ['waiting', 'amount', 'cfa'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];
export type SortOrder = 'asc' | 'desc';
export type QueueScope = 'portfolio' | 'all';

export interface QueueFilters {
  /** A SIRET (14 digits): that CFA; otherwise a part of the CFA's name, whatever the case. */
  cfa?: string;
  nature?: CostNature;
  minAmountCents?: number;
  maxAmountCents?: number;
  /** Deposited more than this many days (of 24 hours) before now. */
  waitingMoreThanDays?: number;
  /** Deposited before this Paris calendar day (YYYY-MM-DD) began. */
  depositedBefore?: string;
  /** Any of these codes among the item's review codes. */
  controls?: readonly ControlCode[];
  engine?: ExtractionEngine;
  assigned?: Assignment;
  stage?: QueueStage;
  sampled?: boolean;
}

/** Who looks at the queue, when, and over which CFAs. */
export interface QueueViewer {
  userId: string;
  /** `portfolio`: the CFAs of the viewer's portfolio and the CFAs in nobody's; `all`: every CFA. */
  scope: QueueScope;
  now: Date;
}

export interface QueueRequest extends PageRequest {
  filters: QueueFilters;
  sort: QueueSort;
  order: SortOrder;
}

/** The filters a facet ignores: its own. */
export type FacetKey = 'cfa' | 'nature' | 'control' | 'engine' | 'assigned' | 'stage' | 'sampled';

/** The queue's predicate, as the partial indexes are written (constants, so that the planner can match them). */
function inQueue(eb: ProFormaEb): Expression<SqlBool> {
  const stages = QUEUE_STAGES.map((stage) => sql.lit(stage));
  return eb.and([
    eb('p.status', '=', sql.lit(AWAITING_DECISION.status)),
    eb('p.stage', 'in', stages as Expression<QueueStage>[]),
  ]);
}

function liveClaim(eb: ProFormaEb, now: Date): Expression<SqlBool> {
  return eb.and([eb('p.claimed_by', 'is not', null), eb('p.claim_expires_at', '>', now)]);
}

function assignedTo(eb: ProFormaEb, assignment: Assignment, viewer: QueueViewer): Expression<SqlBool> {
  switch (assignment) {
    case 'me':
      return eb.and([eb('p.claimed_by', '=', viewer.userId), eb('p.claim_expires_at', '>', viewer.now)]);
    case 'someone':
      return liveClaim(eb, viewer.now);
    case 'nobody':
      return eb.or([eb('p.claimed_by', 'is', null), eb('p.claim_expires_at', '<=', viewer.now)]);
  }
}

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
function likePattern(part: string): string {
  return `%${part.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The viewer's portfolio: its CFAs, and the CFAs in nobody's portfolio. */
function inPortfolio(eb: ProFormaEb, userId: string): Expression<SqlBool> {
  return eb.or([
    eb(
      'p.cfa_id',
      'in',
      eb.selectFrom('validator_portfolios as vp').select('vp.cfa_id').where('vp.user_id', '=', userId),
    ),
    eb.not(
      eb.exists(eb.selectFrom('validator_portfolios as vp').select('vp.cfa_id').whereRef('vp.cfa_id', '=', 'p.cfa_id')),
    ),
  ]);
}

/** The queue's predicate, the viewer's scope and every filter but `except`'s. */
function conditions(eb: ProFormaEb, filters: QueueFilters, viewer: QueueViewer, except?: FacetKey) {
  const all: Expression<SqlBool>[] = [inQueue(eb)];
  if (viewer.scope === 'portfolio') all.push(inPortfolio(eb, viewer.userId));
  const { cfa } = filters;
  if (cfa !== undefined && except !== 'cfa') {
    const cfas = eb.selectFrom('cfas as fc').select('fc.id');
    all.push(
      eb(
        'p.cfa_id',
        'in',
        /^\d{14}$/.test(cfa)
          ? cfas.where('fc.siret', '=', cfa)
          : cfas.where(sql<SqlBool>`fc.name ilike ${likePattern(cfa)}`),
      ),
    );
  }
  if (filters.nature !== undefined && except !== 'nature') all.push(eb('p.nature', '=', filters.nature));
  if (filters.minAmountCents !== undefined) all.push(eb('p.total_cents', '>=', filters.minAmountCents));
  if (filters.maxAmountCents !== undefined) all.push(eb('p.total_cents', '<=', filters.maxAmountCents));
  if (filters.waitingMoreThanDays !== undefined) {
    const before = new Date(viewer.now.getTime() - filters.waitingMoreThanDays * 86_400_000);
    all.push(eb('p.deposited_at', '<', before));
  }
  if (filters.depositedBefore !== undefined) {
    all.push(
      sql<SqlBool>`p.deposited_at < (${filters.depositedBefore}::date::timestamp at time zone ${USER_TIME_ZONE})`,
    );
  }
  if (filters.controls !== undefined && filters.controls.length > 0 && except !== 'control') {
    all.push(sql<SqlBool>`p.review_codes && ${sql.val([...filters.controls])}::text[]`);
  }
  if (filters.engine !== undefined && except !== 'engine') all.push(eb('p.reading_engine', '=', filters.engine));
  if (filters.assigned !== undefined && except !== 'assigned') all.push(assignedTo(eb, filters.assigned, viewer));
  if (filters.stage !== undefined && except !== 'stage') all.push(eb('p.stage', '=', filters.stage));
  if (filters.sampled !== undefined && except !== 'sampled') all.push(eb('p.sampled', '=', filters.sampled));
  return eb.and(all);
}

function queued(db: Kysely<Database>, filters: QueueFilters, viewer: QueueViewer, except?: FacetKey): ProFormaQuery {
  return db.selectFrom('pro_formas as p').where((eb) => conditions(eb, filters, viewer, except));
}

/** A page of the queue, in the requested order (the number breaks ties: pages never overlap). */
export function validationQueueQuery(db: Kysely<Database>, viewer: QueueViewer, request: QueueRequest) {
  const { order } = request;
  let query = summaryColumns(queued(db, request.filters, viewer))
    .leftJoin('users as cu', 'cu.id', 'p.claimed_by')
    .leftJoin('users as fa', 'fa.id', 'p.first_approved_by')
    .select([
      'p.claimed_by',
      'p.claim_expires_at',
      'p.review_codes',
      'p.reading_engine',
      'p.sampled',
      'p.first_approved_by',
      'cu.name as claimed_by_name',
      'fa.name as first_approver_name',
    ]);
  switch (request.sort) {
    case 'waiting':
      query = query.orderBy('p.deposited_at', order).orderBy('p.number', order);
      break;
    case 'amount':
      query = query.orderBy('p.total_cents', order).orderBy('p.number', order);
      break;
    case 'cfa':
      query = query.orderBy('c.name', order).orderBy('p.deposited_at', 'asc').orderBy('p.number', 'asc');
      break;
  }
  return query.limit(request.pageSize).offset((request.page - 1) * request.pageSize);
}

/** How many items of the queue match: a count over the partial indexes (the queue is small beside the table). */
export function validationQueueTotalQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  return queued(db, filters, viewer).select((eb) => eb.fn.countAll<number>().as('total'));
}

// ---- Facets: each counted over the queue filtered by every other filter --------------------------------------------

const count = sql<number>`count(*)`;

export function natureFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  return queued(db, filters, viewer, 'nature')
    .select(['p.nature as value', count.as('count')])
    .groupBy('p.nature')
    .orderBy('p.nature');
}

export function controlFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  const codes = queued(db, filters, viewer, 'control').select(sql<string>`unnest(p.review_codes)`.as('code'));
  return db
    .selectFrom(codes.as('r'))
    .select(['r.code as value', count.as('count')])
    .groupBy('r.code')
    .orderBy('r.code');
}

export function engineFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  return queued(db, filters, viewer, 'engine')
    .select(['p.reading_engine as value', count.as('count')])
    .groupBy('p.reading_engine')
    .orderBy('p.reading_engine');
}

export function stageFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  return queued(db, filters, viewer, 'stage')
    .select(['p.stage as value', count.as('count')])
    .groupBy('p.stage')
    .orderBy('p.stage');
}

export function sampledFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  return queued(db, filters, viewer, 'sampled')
    .select(['p.sampled as value', count.as('count')])
    .groupBy('p.sampled')
    .orderBy('p.sampled');
}

export function assignmentFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  return queued(db, filters, viewer, 'assigned').select((eb) => [
    sql<number>`count(*) filter (where ${assignedTo(eb, 'me', viewer)})`.as('me'),
    sql<number>`count(*) filter (where ${assignedTo(eb, 'nobody', viewer)})`.as('nobody'),
    sql<number>`count(*) filter (where ${assignedTo(eb, 'someone', viewer)})`.as('someone'),
  ]);
}

/** The CFAs with the most items, at most this many. */
export const TOP_CFAS = 10;

export function cfaFacetQuery(db: Kysely<Database>, viewer: QueueViewer, filters: QueueFilters) {
  const counts = queued(db, filters, viewer, 'cfa')
    .select(['p.cfa_id', count.as('count')])
    .groupBy('p.cfa_id');
  return db
    .selectFrom(counts.as('n'))
    .innerJoin('cfas as c', 'c.id', 'n.cfa_id')
    .select(['c.id', 'c.siret', 'c.name', 'n.count'])
    .orderBy('n.count', 'desc')
    .orderBy('c.name')
    .orderBy('c.id')
    .limit(TOP_CFAS);
}

/** Every statement of one request of the queue (its page, total and facets): the answer's, and the plans' tests'. */
export function validationQueueQueries(db: Kysely<Database>, viewer: QueueViewer, request: QueueRequest) {
  const { filters } = request;
  return {
    page: validationQueueQuery(db, viewer, request),
    total: validationQueueTotalQuery(db, viewer, filters),
    nature: natureFacetQuery(db, viewer, filters),
    control: controlFacetQuery(db, viewer, filters),
    engine: engineFacetQuery(db, viewer, filters),
    assigned: assignmentFacetQuery(db, viewer, filters),
    stage: stageFacetQuery(db, viewer, filters),
    sampled: sampledFacetQuery(db, viewer, filters),
    cfa: cfaFacetQuery(db, viewer, filters),
  };
}

// ---- The answer ---------------------------------------------------------------------------------------------------

export interface UserRef {
  userId: string;
  name: string;
}

export interface QueueItemView extends Omit<ProFormaSummaryView, 'stage'> {
  stage: QueueStage;
  waitingSince: string | null;
  /** Whole days (of 24 hours) since the deposit. */
  waitingDays: number;
  /** A live claim, else null. */
  claim: (UserRef & { expiresAt: string }) | null;
  /** Claimed by the viewer (a live claim). */
  mine: boolean;
  sampled: boolean;
  /** French, for the screen: « contrôle par sondage », « second avis attendu ». */
  flags: string[];
  reviewCodes: string[];
  readingEngine: ExtractionEngine | null;
  firstApprovedBy: UserRef | null;
}

export interface ValueCount<T> {
  value: T;
  count: number;
}

export interface QueueFacets {
  nature: ValueCount<CostNature>[];
  control: ValueCount<string>[];
  engine: ValueCount<ExtractionEngine | null>[];
  assigned: ValueCount<Assignment>[];
  stage: ValueCount<QueueStage>[];
  sampled: ValueCount<boolean>[];
  cfa: { id: string; siret: string; name: string; count: number }[];
}

export interface QueuePage extends Page<QueueItemView> {
  scope: QueueScope;
  facets: QueueFacets;
}

export const SAMPLED_FLAG = 'contrôle par sondage';
export const SECOND_APPROVAL_FLAG = 'second avis attendu';

type QueueRow = Awaited<ReturnType<ReturnType<typeof validationQueueQuery>['executeTakeFirstOrThrow']>>;

function toItem(row: QueueRow, viewer: QueueViewer): QueueItemView {
  const live =
    row.claimed_by !== null && row.claim_expires_at !== null && row.claim_expires_at.getTime() > viewer.now.getTime();
  const flags: string[] = [];
  if (row.sampled) flags.push(SAMPLED_FLAG);
  if (row.stage === 'AWAITING_SECOND_APPROVAL') flags.push(SECOND_APPROVAL_FLAG);
  const deposited = row.deposited_at;
  return {
    ...toSummary(row),
    // The queue's predicate: one of its stages.
    stage: row.stage as QueueStage,
    waitingSince: iso(deposited),
    waitingDays:
      deposited === null ? 0 : Math.max(0, Math.floor((viewer.now.getTime() - deposited.getTime()) / 86_400_000)),
    claim:
      live && row.claimed_by !== null && row.claim_expires_at !== null
        ? { userId: row.claimed_by, name: row.claimed_by_name ?? '', expiresAt: row.claim_expires_at.toISOString() }
        : null,
    mine: live && row.claimed_by === viewer.userId,
    sampled: row.sampled,
    flags,
    reviewCodes: row.review_codes,
    readingEngine: row.reading_engine,
    firstApprovedBy:
      row.first_approved_by === null ? null : { userId: row.first_approved_by, name: row.first_approver_name ?? '' },
  };
}

const counted = <T>(rows: { value: T; count: number | string | bigint }[]): ValueCount<T>[] =>
  rows.map((r) => ({ value: r.value, count: Number(r.count) }));

/** A page of the queue, its total and its facets. */
export async function validationQueue(
  db: Kysely<Database>,
  viewer: QueueViewer,
  request: QueueRequest,
): Promise<QueuePage> {
  const q = validationQueueQueries(db, viewer, request);
  const [rows, total, nature, control, engine, assigned, stage, sampled, cfa] = await Promise.all([
    q.page.execute(),
    q.total.executeTakeFirstOrThrow(),
    q.nature.execute(),
    q.control.execute(),
    q.engine.execute(),
    q.assigned.executeTakeFirstOrThrow(),
    q.stage.execute(),
    q.sampled.execute(),
    q.cfa.execute(),
  ]);
  return {
    items: rows.map((row) => toItem(row, viewer)),
    total: Number(total.total),
    page: request.page,
    pageSize: request.pageSize,
    scope: viewer.scope,
    facets: {
      nature: counted(nature),
      control: counted(control),
      engine: counted(engine),
      assigned: ASSIGNMENTS.map((value) => ({ value, count: Number(assigned[value]) })),
      stage: counted(stage.map((s) => ({ value: s.value as QueueStage, count: s.count }))),
      sampled: counted(sampled),
      cfa: cfa.map((c) => ({ id: c.id, siret: c.siret, name: c.name, count: Number(c.count) })),
    },
  };
}
