import { sql, type Kysely } from 'kysely';

// Indexes the HTTP API's lists and dashboard need to stay index-backed with 100,000 pro formas and more
// (test/api/explain.test.ts asserts the plans; `npm run bench:api` prints them with timings).

const upStatements = [
  // Staff lists, newest first (CFA lists use pro_formas_cfa_id_created_at_idx); the number breaks the ties of two
  // pro formas generated in one transaction, so pages never overlap.
  sql`create index pro_formas_created_at_number_idx on pro_formas (created_at desc, number desc)`,
  // Search by invoice number across every CFA (staff); the CFA's own search uses pro_formas_cfa_id_invoice_number_idx.
  sql`create index pro_formas_invoice_number_idx on pro_formas (invoice_number) where invoice_number is not null`,
  // The dashboard's counters and their last-update times, read from the index alone (index-only scans).
  sql`
    create index pro_formas_counters_idx on pro_formas (status, refusal_origin)
    include (deposited_at, validated_at, refused_at, paid_at)`,
  sql`
    create index pro_formas_cfa_id_counters_idx on pro_formas (cfa_id, status, refusal_origin)
    include (deposited_at, validated_at, refused_at, paid_at)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'pro_formas_cfa_id_counters_idx',
    'pro_formas_counters_idx',
    'pro_formas_invoice_number_idx',
    'pro_formas_created_at_number_idx',
  ]) {
    await sql`drop index ${sql.id(name)}`.execute(db);
  }
}
