import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createDb } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import { readDashboard } from '../db/dashboard';
import type { Database } from '../db/schema';
import { seedProFormas } from '../db/synthetic-data';
import { apiQueries, planText } from '../support/api-lists';

/**
 * `npm run bench:api`: the API's list pages and dashboard on 100,000 pro formas (PostgreSQL at DATABASE_URL, or
 * TEST_DATABASE_URL, default the tests' server): each query's plan (EXPLAIN ANALYZE) and its median time. The
 * seeding and the plan reading (support/api-lists.ts) are shared with test/api/explain.test.ts, which asserts that
 * no plan scans the pro_formas table sequentially.
 *
 * Environment: PRO_FORMAS (default 100000), CFAS (default 50), BENCH_RUNS (default 20); KEEP_DATABASE=1 keeps the
 * seeded database (its name is printed) to explore plans in psql.
 */

async function main(): Promise<void> {
  const count = Number(process.env['PRO_FORMAS'] ?? 100_000);
  const cfas = Number(process.env['CFAS'] ?? 50);
  const runs = Number(process.env['BENCH_RUNS'] ?? 20);
  const serverUrl =
    process.env['DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_api_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: serverUrl, max: 1 }) }),
  });
  await sql.raw(`create database ${name}`).execute(admin);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await createDb({ kind: 'postgres', url: url.toString(), poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    const seeding = performance.now();
    const { firstCfaId: cfaId } = await seedProFormas(handle.db, count, cfas);
    process.stdout.write(
      `seeded ${count} pro formas over ${cfas} CFAs in ${Math.round(performance.now() - seeding)} ms\n\n`,
    );
    for (const { name: label, query, dashboard } of apiQueries(handle.db, cfaId)) {
      // The dashboard runs as the API runs it: through readDashboard and its planner setting.
      const run = <T>(read: (db: Kysely<Database>) => Promise<T>) =>
        dashboard ? readDashboard(handle.db, read) : read(handle.db);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await run((db) => db.executeQuery(query.compile()));
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? 0;
      process.stdout.write(`== ${label}: median ${median.toFixed(2)} ms over ${runs} runs\n`);
      process.stdout.write(`${await run((db) => planText(db, query, true))}\n\n`);
    }
  } finally {
    await handle.destroy();
    if (process.env['KEEP_DATABASE'] === '1') process.stdout.write(`kept database ${name}\n`);
    else await sql.raw(`drop database if exists ${name} with (force)`).execute(admin);
    await admin.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
