import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { freePort } from './ports';
import path from 'node:path';
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { createUser } from '../db/users';
import { BUNDLES } from '../domain/rights';
import { createDb, type Db } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import { ensureTemporalCli } from '../infra/temporal-cli';
import { startDevServer, type DevServer } from '../infra/temporal-dev-server';
import { generateToken, hashToken } from '../infra/tokens';
import { PRO_FORMA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { dashboardQuery } from '../db/dashboard';
import { proFormaCountQuery, proFormaPageQuery, type ProFormaFilters } from '../db/pro-forma-list';
import type { Scope } from '../db/pro-forma-summary';
import {
  eligiblePageQuery,
  eligibleRecapQuery,
  type EligibleFilters,
  type EligiblePageRequest,
} from '../db/generation';
import { parisDate } from '../domain/dates';
import { validationQueueQueries, type QueueFilters, type QueueRequest, type QueueViewer } from '../db/validation-queue';
import type { Database } from '../db/schema';

/**
 * The API's list queries on a seeded database (`counted`: a total or counters summed over pro_forma_counts), and their plans: shared by `npm run bench:lists` (bench/lists.ts)
 * and test/api/explain.test.ts, hence here: bench/ and test/ never import each other. Also the benchmarks' harness
 * (below).
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

/** The partial indexes of the validation queue (migration 2026_12_02_0002): its statements read pro_formas by them. */
export const QUEUE_INDEXES = [
  'pro_formas_validation_queue_idx',
  'pro_formas_queue_cfa_idx',
  'pro_formas_queue_amount_idx',
  'pro_formas_queue_claimed_by_idx',
  'pro_formas_queue_review_codes_idx',
] as const;

export interface ApiQuery {
  name: string;
  query: Compilable;
  /** A total or counters summed over pro_forma_counts. */
  counted?: boolean;
  /** A statement of the validation queue: reads pro_formas by QUEUE_INDEXES only. */
  queue?: boolean;
  /**
   * A search of issue 13 (the list's new filters, the eligible installments): reads pro_formas, pro_forma_lines,
   * contracts and installments through indexes, never by a sequential scan.
   */
  search?: boolean;
}

/** The big tables no search may scan sequentially. */
export const SEARCHED_TABLES = ['pro_formas', 'pro_forma_lines', 'contracts', 'installments'] as const;

/** The list's searches (issue 13): each new filter's page and total, for a CFA user and for staff. */
export function searchApiQueries(db: Kysely<Database>, cfaId: string): ApiQuery[] {
  const cfa: Scope = { cfaIds: [cfaId] };
  const staff: Scope = { cfaIds: null };
  const first = { page: 1, pageSize: 50 };
  const day = (daysAgo: number) => parisDate(new Date(Date.now() - daysAgo * 86_400_000));
  const searches: [string, ProFormaFilters][] = [
    ['created between two days', { createdFrom: day(10), createdTo: day(9) }],
    ['deposited between two days', { depositedFrom: day(20), depositedTo: day(20) }],
    ['by amount', { minAmountCents: 100_000, maxAmountCents: 101_000 }],
    ['of a contract', { contractNumber: 'CTR-00000042' }],
    ['of an apprentice', { apprentice: 'Lina Bertrand' }],
    ['of an apprentice by one name', { apprentice: 'guéri' }],
    ['by invoice date', { invoiceDate: day(30) }],
    ['by free text (a CFA’s name)', { q: 'CFA 7' }],
    ['by free text (an invoice number)', { q: 'fa-4242' }],
    ['by free text (a number)', { q: '4242' }],
    ['filtered by everything', { status: 'VALIDATED', minAmountCents: 1_000, createdFrom: day(60), q: 'FA-1' }],
  ];
  return searches.flatMap(([label, filters]) =>
    [
      ['CFA', cfa],
      ['staff', staff],
    ].flatMap(([who, scope]) => [
      {
        name: `${who as string} list ${label}, page 1`,
        query: proFormaPageQuery(db, scope as Scope, filters, first),
        search: true,
      },
      {
        name: `${who as string} list ${label}, total`,
        query: proFormaCountQuery(db, scope as Scope, filters),
        search: true,
      },
    ]),
  );
}

/** The eligible installments' statements (page and recap), for each sort and each advanced filter. */
export function eligibleApiQueries(db: Kysely<Database>, cfaId: string): ApiQuery[] {
  const today = parisDate(new Date());
  const first: EligiblePageRequest = { page: 1, pageSize: 50, sort: 'contractNumber', order: 'asc' };
  const requests: [string, EligibleFilters, Partial<EligiblePageRequest>][] = [
    ['', {}, {}],
    [' by amount', {}, { sort: 'amount', order: 'desc' }],
    [' by apprentice', {}, { sort: 'apprentice' }],
    [' by period start, page 3', {}, { sort: 'periodStart', page: 3 }],
    [' of a first name', { apprenticeFirstName: 'lé' }, {}],
    [' of a last name', { apprenticeLastName: 'MART' }, {}],
    [' of a teaching SIRET', { trainingSiret: '00000000090000' }, {}],
    [' of broken contracts', { contractStatus: 'RUPTURE' }, {}],
    [
      ' filtered by everything',
      { apprenticeFirstName: 'l', apprenticeLastName: 'm', contractStatus: 'ENGAGE', startFrom: '2023-01-01' },
      { sort: 'amount' },
    ],
  ];
  return requests.flatMap(([label, filters, page]) => [
    {
      name: `eligible installments${label}, page`,
      query: eligiblePageQuery(db, cfaId, 'PEDAGOGIE', filters, today, { ...first, ...page }),
      search: true,
    },
    {
      name: `eligible installments${label}, recap`,
      query: eligibleRecapQuery(db, cfaId, 'PEDAGOGIE', filters, today),
      search: true,
    },
  ]);
}

/** A validator of the plans (the synthetic data has no users: no portfolio, no claim). */
const PLAN_VALIDATOR = '00000000-0000-4000-8000-000000000001';

/** Every filter of the queue at once, as a validator would combine them. */
export const QUEUE_FILTERS: QueueFilters = {
  cfa: 'cfa 1',
  nature: 'PEDAGOGIE',
  minAmountCents: 10_000,
  maxAmountCents: 400_000,
  waitingMoreThanDays: 2,
  controls: ['TOTAL_AMOUNT', 'IBAN_MATCHES_CFA'],
  engine: 'OCR',
  assigned: 'nobody',
  stage: 'AWAITING_DECISION',
  sampled: false,
};

/** The statements of one request of the validation queue: its page, total and each facet. */
function queueQueries(db: Kysely<Database>, label: string, viewer: QueueViewer, request: QueueRequest): ApiQuery[] {
  const q = validationQueueQueries(db, viewer, request);
  return [
    { name: `validation queue${label}, page ${request.page}`, query: q.page, queue: true },
    { name: `validation queue${label}, total`, query: q.total, queue: true },
    ...(['nature', 'control', 'engine', 'assigned', 'stage', 'sampled', 'cfa'] as const).map((facet) => ({
      name: `validation queue${label}, ${facet} facet`,
      query: q[facet],
      queue: true,
    })),
  ];
}

/** The queue's requests whose plans are checked: the defaults, each sort, each kind of filter, all of them at once. */
export function queueApiQueries(db: Kysely<Database>): ApiQuery[] {
  const now = new Date();
  const all: QueueViewer = { userId: PLAN_VALIDATOR, scope: 'all', now };
  const portfolio: QueueViewer = { ...all, scope: 'portfolio' };
  const first = { page: 1, pageSize: 50, sort: 'waiting', order: 'asc', filters: {} } as const satisfies QueueRequest;
  const page = (name: string, viewer: QueueViewer, request: Partial<QueueRequest>): ApiQuery => ({
    name: `validation queue${name}, page ${request.page ?? 1}`,
    query: validationQueueQueries(db, viewer, { ...first, ...request }).page,
    queue: true,
  });
  return [
    ...queueQueries(db, '', all, first),
    ...queueQueries(db, ' of a portfolio', portfolio, first),
    ...queueQueries(db, ' filtered by everything', portfolio, { ...first, filters: QUEUE_FILTERS }),
    page(' by amount', all, { sort: 'amount', order: 'desc' }),
    page(' by CFA name', all, { sort: 'cfa' }),
    page('', all, { page: 20 }),
    page(' of a CFA by SIRET', all, { filters: { cfa: '00000000000001' } }),
    page(' of a CFA by name', all, { filters: { cfa: 'CFA 7' } }),
    page(' filtered by control', all, { filters: { controls: ['SIRET'] } }),
    page(' filtered by amount', all, { sort: 'amount', filters: { minAmountCents: 100_000, maxAmountCents: 101_000 } }),
    page(' claimed by me', all, { filters: { assigned: 'me' } }),
    page(' claimed by someone', all, { filters: { assigned: 'someone' } }),
    page(' waiting more than 30 days', all, { filters: { waitingMoreThanDays: 30 } }),
    page(' deposited before a day', all, { filters: { depositedBefore: '2026-01-01' } }),
    page(' sampled', all, { filters: { sampled: true } }),
    page(' awaiting a second approval', all, { filters: { stage: 'AWAITING_SECOND_APPROVAL' } }),
  ];
}

/** The list pages and counters the API runs, for a CFA user and for staff. */
export function apiQueries(db: Kysely<Database>, cfaId: string): ApiQuery[] {
  const cfa: Scope = { cfaIds: [cfaId] };
  const staff: Scope = { cfaIds: null };
  const first = { page: 1, pageSize: 50 };
  const page = (scope: Scope, filters: ProFormaFilters, at = first) => proFormaPageQuery(db, scope, filters, at);
  return [
    { name: 'CFA list, page 1', query: page(cfa, {}) },
    { name: 'CFA list, page 20', query: page(cfa, {}, { page: 20, pageSize: 50 }) },
    { name: 'CFA list total', query: proFormaCountQuery(db, cfa, {}), counted: true },
    { name: 'CFA list filtered by status, page 1', query: page(cfa, { status: 'REFUSED' }) },
    {
      name: 'CFA list filtered by status, total',
      query: proFormaCountQuery(db, cfa, { status: 'REFUSED' }),
      counted: true,
    },
    { name: 'CFA list filtered by nature, page 1', query: page(cfa, { nature: 'MOBILITE' }) },
    { name: 'CFA list of a dashboard category, page 1', query: page(cfa, { category: 'REJETEES' }) },
    { name: 'CFA search by invoice number', query: page(cfa, { invoiceNumber: 'FA-4242' }) },
    { name: 'staff list, page 1', query: page(staff, {}) },
    { name: 'staff list total', query: proFormaCountQuery(db, staff, {}), counted: true },
    { name: 'staff list filtered by status, page 1', query: page(staff, { status: 'PAID' }) },
    {
      name: 'staff list filtered by status, total',
      query: proFormaCountQuery(db, staff, { status: 'PAID' }),
      counted: true,
    },
    { name: 'staff search by number', query: page(staff, { number: 'PRO-00004242' }) },
    { name: 'staff search by invoice number', query: page(staff, { invoiceNumber: 'FA-4242' }) },
    { name: 'staff list of one CFA, page 1', query: page(staff, { cfaId }) },
    { name: 'CFA dashboard', query: dashboardQuery(db, cfa), counted: true },
    { name: 'staff dashboard', query: dashboardQuery(db, staff), counted: true },
    ...queueApiQueries(db),
    ...searchApiQueries(db, cfaId),
    ...eligibleApiQueries(db, cfaId),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The benchmarks' harness (bench/lists.ts, bench/decisions.ts): a Temporal dev server, a database of their own, the
// API as its own process (`bin/api.ts`, so that its RSS is its own), and latency percentiles.
// ---------------------------------------------------------------------------------------------------------------

/** A headless, in-memory Temporal dev server with the service's search attributes. */
export async function startBenchTemporal(): Promise<DevServer> {
  const cliPath = await ensureTemporalCli({ configuredPath: process.env['TEMPORAL_CLI'] });
  // A port found free may be taken before the server binds it (other tests run alongside): a few attempts.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({
        cliPath,
        port: await freePort(),
        namespace: 'default',
        searchAttributes: PRO_FORMA_SEARCH_ATTRIBUTES,
        logger: pino({ level: 'silent' }),
      });
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

export interface BenchDatabase {
  /** Its URL, for the API and worker processes. */
  url: string;
  handle: Db;
  drop(): Promise<void>;
}

/** A new, migrated database on the tests' server (TEST_DATABASE_URL, or DATABASE_URL), dropped by `drop()`. */
export async function createBenchDatabase(prefix: string, poolSize = 4): Promise<BenchDatabase> {
  const serverUrl =
    process.env['DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await createDb({ kind: 'postgres', url: url.toString(), poolSize });
  await migrateToLatest(handle.db);
  return {
    url: url.toString(),
    handle,
    drop: async () => {
      await handle.destroy();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Creates a user holding a fresh token; the token. */
export async function createBenchUser(
  db: Kysely<Database>,
  role: 'admin' | 'validator' | 'cfa',
  cfaId: string | null = null,
): Promise<{ id: string; token: string }> {
  const token = generateToken();
  const user = await createUser(db, {
    role,
    name: `Bench ${role}`,
    email: `${role}-${crypto.randomBytes(4).toString('hex')}@bench.example`,
    cfaIds: cfaId === null ? [] : [cfaId],
    rights: BUNDLES[role],
    tokenHash: hashToken(token),
    tokenExpiresAt: null,
  });
  return { id: user.id, token };
}

export interface ServiceProcess {
  pid: number;
  /** The API's base URL (for an API process). */
  url: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Runs `bin/<script>.ts` (api or worker) as its own process with `env` on top of this one's; for the API, resolves
 * once `GET /ready` answers 200. The process's output is kept and printed only if it fails to start.
 */
export async function startServiceProcess(
  script: 'api' | 'worker',
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServiceProcess> {
  const port = script === 'api' ? await freePort() : 0;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'bin', `${script}.ts`), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      HOST: '127.0.0.1',
      ...(port ? { PORT: String(port) } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (gone) throw new Error(`bin/${script}.ts exited at start:\n${output.join('')}`);
    if (script === 'worker' && output.join('').includes('is running')) break;
    if (script === 'api') {
      const ready = await fetch(`${url}/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`bin/${script}.ts did not start within 120 s:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: child.pid as number, url, stop };
}

/** The q-quantile (0 < q ≤ 1) of `values`, nearest rank. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs a benchmark's main and exits: with 0 once it is done (clients may keep handles open), 1 on an error. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** A table with a header rule; the first column left-aligned, the others right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd : cell.padStart).call(cell, widths[i] ?? 0));
  return rows
    .map((r, i) => `${line(r).join('  ')}\n${i === 0 ? `${widths.map((w) => '-'.repeat(w)).join('  ')}\n` : ''}`)
    .join('');
}

/** Writes bench/results/<name>.json (a git-ignored folder). */
export function writeResult(name: string, result: unknown): void {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written bench/results/${name}.json\n`);
}

const ROOT = path.resolve(__dirname, '..');
