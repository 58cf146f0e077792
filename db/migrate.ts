import fs from 'node:fs/promises';
import path from 'node:path';
import { FileMigrationProvider, Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

export function createMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
  });
}

/** Applies every pending migration. kysely reports failure in the result instead of throwing: we throw. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResultSet> {
  return check(await createMigrator(db).migrateToLatest());
}

/** Rolls every migration back (tests and `npm run migrate -- --down-all`). */
export async function migrateDownAll<DB>(db: Kysely<DB>): Promise<MigrationResultSet> {
  return check(await createMigrator(db).migrateTo(NO_MIGRATIONS));
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error : new Error(String(result.error));
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${cause.message}`, { cause });
  }
  return result;
}
