import fs from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Config } from '../infra/config';
import type { Database } from './schema';

// node-postgres returns int8 (our bigint cents, count(*)) as strings and turns `date` into a local-midnight Date.
// Cents stay far below 2^53, so numbers are exact; a calendar date stays the 'YYYY-MM-DD' string it is.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => toSafeNumber(v));
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export interface Db {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Closes the pool or the embedded database. */
  destroy(): Promise<void>;
}

export async function createDb(database: Config['database']): Promise<Db> {
  if (database.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: database.url, max: database.poolSize });
    // An idle client losing its server (restart, failover) emits 'error' on the pool; without a listener it crashes.
    pool.on('error', () => undefined);
    // So does a checked-out client (inside a transaction, between two statements): its queries fail, the pool drops it.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', destroy: () => db.destroy() };
  }
  fs.mkdirSync(database.dataDir, { recursive: true });
  const pglite = await PGlite.create(database.dataDir, {
    parsers: { 20: (v: string) => toSafeNumber(v), 1082: (v: string) => v },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    destroy: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

export async function pingDb(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

function toSafeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} exceeds the safe integer range`);
  return n;
}
