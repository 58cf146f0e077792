import type { Kysely } from 'kysely';

// Where each value read was found on the deposited document's pages (issue 15: the validation page draws it over
// the document). Readings recorded before have none; the page then says so.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('extractions').addColumn('field_positions', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('extractions').dropColumn('field_positions').execute();
}
