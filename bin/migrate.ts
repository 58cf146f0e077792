import { createDb } from '../db/connect';
import { migrateDownAll, migrateToLatest } from '../db/migrate';
import { loadConfig } from '../infra/config';

/** `npm run migrate`: applies the pending migrations and exits. `-- --down-all` rolls everything back. */
async function main(): Promise<void> {
  const config = loadConfig();
  const down = process.argv.includes('--down-all');
  const db = await createDb(config.database);
  try {
    const { results } = down ? await migrateDownAll(db.db) : await migrateToLatest(db.db);
    for (const r of results ?? []) process.stdout.write(`${r.direction} ${r.migrationName}: ${r.status}\n`);
    if (!results?.length) process.stdout.write('Nothing to migrate.\n');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
