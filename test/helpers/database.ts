import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../../db/connect';
import { MIGRATIONS_DIR, createMigrator, migrateToLatest } from '../../db/migrate';
import type { Database } from '../../db/schema';

/** Server used by the tests; each test file gets its own database on it. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Db {
  url: string;
  name: string;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (admin: Kysely<unknown>) => Promise<T>): Promise<T> {
  const admin = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: TEST_PG_URL, max: 1 }) }),
  });
  try {
    return await fn(admin);
  } finally {
    await admin.destroy();
  }
}

/** A fresh, empty PostgreSQL database; migrated unless `migrate: false`. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${crypto.randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => sql.raw(`create database ${name}`).execute(admin));
  const url = urlFor(name);
  const handle = await createDb({ kind: 'postgres', url, poolSize: 5 });
  if (options.migrate !== false) {
    await migrateToLatest(handle.db);
    // Every test file has its own database but the run shares one Temporal server: pro forma numbers (hence
    // workflow ids) must not repeat across files, so each database numbers from its own random block.
    const start = 1 + crypto.randomInt(0, 9_000) * 10_000;
    await sql.raw(`alter sequence pro_forma_number_seq restart with ${start}`).execute(handle.db);
  }
  return {
    ...handle,
    url,
    name,
    drop: async () => {
      await handle.destroy();
      await withAdmin((admin) => sql.raw(`drop database if exists ${name} with (force)`).execute(admin));
    },
  };
}

/** Migrates `db` up to the migration just before `migration`: the schema a data migration test writes legacy rows in. */
export async function migrateToBefore(db: Kysely<Database>, migration: string): Promise<void> {
  const names = fs
    .readdirSync(MIGRATIONS_DIR)
    .map((file) => path.basename(file, path.extname(file)))
    .sort();
  const previous = names[names.indexOf(migration) - 1];
  if (!previous) throw new Error(`no migration before ${migration} in ${names.join(', ')}`);
  const before = await createMigrator(db).migrateTo(previous);
  if (before.error) throw before.error;
}
