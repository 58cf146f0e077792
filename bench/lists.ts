import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { dashboardQuery } from '../db/dashboard';
import { proFormaCountQuery, proFormaPageQuery } from '../db/pro-forma-list';
import type { Database } from '../db/schema';
import { seedProFormas } from '../db/synthetic-data';
import { validationQueue } from '../db/validation-queue';
import {
  apiQueries,
  createBenchDatabase,
  createBenchUser,
  formatTable,
  planText,
  quantile,
  startBenchTemporal,
  startServiceProcess,
  writeResult,
  runBench,
  seconds,
} from '../support/api-lists';
import { stopOnExit } from '../support/stop-on-exit';
import { mib, sampleTreeRss } from '../support/rss';

/**
 * `npm run bench:lists`: the lists and dashboards at scale. For each size (10,000 then 1,000,000 pro formas, bulk
 * loaded by db/synthetic-data.ts), the API runs as its own process (`bin/api.ts`) on that database and answers, one
 * request at a time, the staff dashboard, a CFA's dashboard, a staff list filtered by status, a CFA's list filtered
 * by status and the validation queue; the baseline is a plain indexed SELECT of the same rows (same page size, same
 * columns), straight on the pg driver from this process. Requests alternate with their baseline, case by case, so a
 * drift of the machine weighs on both. The table gives the p95s, the ratio API / baseline (goal ≤ 2) and the growth
 * from the smallest to the largest size (goal: flat). The "API SQL" column is the API's own statements run directly
 * (the page and its total in parallel, as the API runs them, the totals and dashboards summed over the groups of
 * pro_forma_counts; one request in four): what of the API's time is the database's.
 *
 * Environment: LIST_SIZES (default 10000,1000000), CFAS (default 50), BENCH_REQUESTS (default 200 per case and side),
 * BENCH_PLANS=1 also prints, at each size, every list and dashboard statement of the API with its median time and
 * its plan (EXPLAIN ANALYZE). Writes bench/results/lists.json.
 */

const SIZES = (process.env['LIST_SIZES'] ?? '10000,1000000').split(',').map(Number);
const CFAS = Number(process.env['CFAS'] ?? 50);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 200);
const WARMUP = 20;
const PAGE_SIZE = 50;

/** The columns of a list item (db/pro-forma-summary.ts), written plainly. */
const ITEM_COLUMNS = `p.id, p.number, p.kind, p.nature, p.total_cents, p.status, p.stage, p.settlement_mode,
  p.invoice_number, p.refusal_origin, p.created_at, p.updated_at, p.deposited_at, p.decided_at, p.validated_at,
  p.refused_at, p.paid_at, p.cancelled_at, c.id as cfa_id, c.siret as cfa_siret, c.name as cfa_name,
  (select count(*) from pro_forma_lines l where l.pro_forma_id = p.id) as line_count`;
const DASHBOARD_COLUMNS = `status, refusal_origin, count(*) as n, count(deposited_at) as deposited,
  max(deposited_at), max(validated_at), max(refused_at), max(paid_at)`;

interface Case {
  name: string;
  /** The API request, with the token of `as`. */
  url: string;
  as: 'staff' | 'cfa';
  /** The baseline: plain SQL and its parameters. */
  baseline: { text: string; values: unknown[] };
  /** The API's own statements, run directly as the API runs them. */
  apiSql: (db: Kysely<Database>) => Promise<unknown>;
}

function cases(cfaId: string): Case[] {
  const staff = { cfaIds: null };
  const cfa = { cfaIds: [cfaId] };
  const first = { page: 1, pageSize: PAGE_SIZE };
  return [
    {
      name: 'staff dashboard',
      url: '/api/dashboard',
      as: 'staff',
      baseline: {
        text: `select ${DASHBOARD_COLUMNS} from pro_formas where status <> 'AWAITING_INVOICE' group by 1, 2`,
        values: [],
      },
      apiSql: (db) => dashboardQuery(db, staff).execute(),
    },
    {
      name: 'CFA dashboard',
      url: '/api/dashboard',
      as: 'cfa',
      baseline: {
        text: `select ${DASHBOARD_COLUMNS} from pro_formas where cfa_id = $1 and status <> 'AWAITING_INVOICE' group by 1, 2`,
        values: [cfaId],
      },
      apiSql: (db) => dashboardQuery(db, cfa).execute(),
    },
    {
      name: 'staff list, status REFUSED, page 1',
      url: `/api/pro-formas?status=REFUSED&page=1&pageSize=${PAGE_SIZE}`,
      as: 'staff',
      baseline: {
        text: `select ${ITEM_COLUMNS} from pro_formas p join cfas c on c.id = p.cfa_id where p.status = $1
               order by p.created_at desc, p.number desc limit ${PAGE_SIZE}`,
        values: ['REFUSED'],
      },
      apiSql: (db) =>
        Promise.all([
          proFormaPageQuery(db, staff, { status: 'REFUSED' }, first).execute(),
          proFormaCountQuery(db, staff, { status: 'REFUSED' }).executeTakeFirstOrThrow(),
        ]),
    },
    {
      name: 'CFA list, status REFUSED, page 1',
      url: `/api/pro-formas?status=REFUSED&page=1&pageSize=${PAGE_SIZE}`,
      as: 'cfa',
      baseline: {
        text: `select ${ITEM_COLUMNS} from pro_formas p join cfas c on c.id = p.cfa_id where p.cfa_id = $1
               and p.status = $2 order by p.created_at desc, p.number desc limit ${PAGE_SIZE}`,
        values: [cfaId, 'REFUSED'],
      },
      apiSql: (db) =>
        Promise.all([
          proFormaPageQuery(db, cfa, { status: 'REFUSED' }, first).execute(),
          proFormaCountQuery(db, cfa, { status: 'REFUSED' }).executeTakeFirstOrThrow(),
        ]),
    },
    {
      name: 'validation queue, page 1',
      url: `/api/validation/queue?page=1&pageSize=${PAGE_SIZE}`,
      as: 'staff',
      baseline: {
        text: `select ${ITEM_COLUMNS} from pro_formas p join cfas c on c.id = p.cfa_id
               where p.status = 'UNDER_VALIDATION' and p.stage in ('AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL')
               order by p.deposited_at asc, p.number asc limit ${PAGE_SIZE}`,
        values: [],
      },
      // The page, its total and its seven facets, as the API runs them for an admin (the whole queue).
      apiSql: (db) =>
        validationQueue(
          db,
          { userId: '00000000-0000-4000-8000-000000000001', scope: 'all', now: new Date() },
          { ...first, sort: 'waiting', order: 'asc', filters: {} },
        ),
    },
  ];
}

/**
 * With BENCH_PLANS=1: every list page, list total and dashboard statement of the API
 * (support/api-lists.ts, whose plans test/api/explain.test.ts asserts), its median over 20 runs and its plan.
 */
async function printPlans(db: Kysely<Database>, cfaId: string, size: number): Promise<void> {
  for (const { name, query } of apiQueries(db, cfaId)) {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) times.push(await time(() => db.executeQuery(query.compile())));
    process.stdout.write(`== ${name} (${size.toLocaleString('en')}): median ${quantile(times, 0.5).toFixed(2)} ms\n`);
    process.stdout.write(`${await planText(db, query, true)}\n\n`);
  }
}

interface Measured {
  api: number[];
  baseline: number[];
  apiSql: number[];
}

/** What this run started, stopped in reverse order at the end, also on SIGINT/SIGTERM. */
const { stopping, stopAll } = stopOnExit();

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function measureSize(temporalAddress: string, size: number) {
  const database = await createBenchDatabase('bench_lists', 4);
  stopping.push({ name: 'database', stop: () => database.drop() });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lists-'));
  stopping.push({ name: 'data folder', stop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  stopping.push({ name: 'baseline pool', stop: () => pool.end() });
  try {
    const seeding = performance.now();
    const { firstCfaId } = await seedProFormas(database.handle.db, size, CFAS);
    const seedMs = performance.now() - seeding;
    process.stdout.write(`${size.toLocaleString('en')} pro formas over ${CFAS} CFAs seeded in ${seconds(seedMs)}\n`);
    const staff = await createBenchUser(database.handle.db, 'validator');
    const cfa = await createBenchUser(database.handle.db, 'cfa', firstCfaId);
    const api = await startServiceProcess('api', {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporalAddress,
      DATA_DIR: dataDir,
      DEMO_DATA: 'false',
    });
    stopping.push({ name: 'API process', stop: () => api.stop() });
    const rss = sampleTreeRss(api.pid);
    const all = cases(firstCfaId);
    if (process.env['BENCH_PLANS'] === '1') await printPlans(database.handle.db, firstCfaId, size);
    const measured = new Map<string, Measured>(all.map((c) => [c.name, { api: [], baseline: [], apiSql: [] }]));
    const tokens = { staff: staff.token, cfa: cfa.token };
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      for (const c of all) {
        const url = `${api.url}${c.url}`;
        const apiMs = await time(async () => {
          const response = await fetch(url, { headers: { authorization: `Bearer ${tokens[c.as]}` } });
          const body = await response.text();
          if (response.status !== 200) throw new Error(`${c.url}: ${response.status} ${body}`);
        });
        const baseMs = await time(() => pool.query(c.baseline.text, c.baseline.values));
        // The breakdown needs fewer samples: one request in four.
        const sqlMs = i % 4 === 0 ? await time(() => c.apiSql(database.handle.db)) : undefined;
        if (i < WARMUP) continue;
        const m = measured.get(c.name) as Measured;
        m.api.push(apiMs);
        m.baseline.push(baseMs);
        if (sqlMs !== undefined) m.apiSql.push(sqlMs);
      }
    }
    const peak = rss.stop();
    return {
      size,
      seedMs,
      apiPeakRssMiB: mib(peak.peakTreeRssBytes),
      cases: all.map((c) => {
        const m = measured.get(c.name) as Measured;
        const api95 = quantile(m.api, 0.95);
        const base95 = quantile(m.baseline, 0.95);
        return {
          name: c.name,
          apiP95: api95,
          baselineP95: base95,
          apiSqlP95: quantile(m.apiSql, 0.95),
          apiP50: quantile(m.api, 0.5),
          baselineP50: quantile(m.baseline, 0.5),
          ratio: api95 / base95,
        };
      }),
    };
  } finally {
    await stopAll();
  }
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  const temporal = await startBenchTemporal();
  const results: (Awaited<ReturnType<typeof measureSize>> & { totalMs: number })[] = [];
  try {
    for (const size of SIZES) {
      const started = performance.now();
      const result = await measureSize(temporal.address, size);
      results.push({ ...result, totalMs: performance.now() - started });
      process.stdout.write(`${size.toLocaleString('en')}: measured in ${seconds(performance.now() - started)}\n`);
    }
  } finally {
    await stopAll();
    await temporal.stop();
  }
  const small = results[0];
  const large = results[results.length - 1];
  if (!small || !large) return;
  const header = ['case (p95, ms)'];
  for (const r of results) header.push(`API ${short(r.size)}`, `base ${short(r.size)}`, `ratio ${short(r.size)}`);
  header.push(`API SQL ${short(large.size)}`, 'API growth', 'base growth', 'ratio ≤ 2', 'flat');
  const rows = small.cases.map((c, i) => {
    const row = [c.name];
    for (const r of results) {
      const rc = r.cases[i] as (typeof r.cases)[number];
      row.push(rc.apiP95.toFixed(2), rc.baselineP95.toFixed(2), rc.ratio.toFixed(2));
    }
    const lc = large.cases[i] as typeof c;
    const growth = lc.apiP95 / c.apiP95;
    row.push(
      lc.apiSqlP95.toFixed(2),
      `×${growth.toFixed(2)}`,
      `×${(lc.baselineP95 / c.baselineP95).toFixed(2)}`,
      results.every((r) => (r.cases[i] as typeof c).ratio <= 2) ? 'met' : 'MISSED',
      growth <= 1.5 ? 'yes' : 'NO',
    );
    return row;
  });
  process.stdout.write(
    `\nLists and dashboards through the API (its own process) vs a plain indexed SELECT of the same rows, ` +
      `${REQUESTS} requests each, one at a time\n`,
  );
  process.stdout.write(formatTable([header, ...rows]));
  process.stdout.write(
    results
      .map(
        (r) =>
          `${r.size.toLocaleString('en')}: seeded in ${seconds(r.seedMs)}, API peak RSS ${r.apiPeakRssMiB} MiB, ` +
          `size done in ${seconds(r.totalMs)}`,
      )
      .join('\n') + `\nwhole bench ${seconds(performance.now() - wallStart)} ("flat": growth ≤ ×1.5)\n`,
  );
  writeResult('lists', {
    requests: REQUESTS,
    pageSize: PAGE_SIZE,
    sizes: results,
    totalMs: performance.now() - wallStart,
  });
}

function short(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : size >= 1000 ? `${size / 1000}k` : String(size);
}

runBench(main);
