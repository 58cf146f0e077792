import { sql, type Kysely } from 'kysely';

// Issue 13: the CFA's contracts and their schedules (the searches of GET /api/contracts stay index-backed, see
// test/api/contracts-explain.test.ts), and mandates as signed documents with an expiry reminder.

const INDEXES = [
  // A CFA's contracts by start date or apprentice name (its contracts by number: contracts_cfa_id_number_idx).
  sql`create index contracts_cfa_id_start_date_idx on contracts (cfa_id, start_date, number)`,
  sql`create index contracts_cfa_id_apprentice_name_idx on contracts (cfa_id, apprentice_name, number)`,
  // Every CFA's contracts (staff) by start date or apprentice name (by number: contracts_number_key).
  sql`create index contracts_start_date_idx on contracts (start_date, number)`,
  sql`create index contracts_apprentice_name_idx on contracts (apprentice_name, number)`,
  // A number's prefix (LIKE 'DECA-0001%'), whatever the database's collation.
  sql`create index contracts_number_pattern_idx on contracts (number text_pattern_ops)`,
  sql`create index contracts_cfa_id_number_pattern_idx on contracts (cfa_id, number text_pattern_ops)`,
  // An employer's contracts.
  sql`create index contracts_employer_siret_idx on contracts (employer_siret, cfa_id)`,
  // The mandates whose expiry has not been announced yet (the daily reminder).
  sql`
    create index mandates_expiry_reminder_idx on mandates (valid_to)
    where valid_to is not null and expiry_notified_at is null`,
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table mandates
      add column document_sha256 text
        constraint mandates_document_sha256_check check (document_sha256 ~ '^[0-9a-f]{64}$'),
      add column document_file_name text
        constraint mandates_document_file_name_check check (char_length(document_file_name) between 1 and 255),
      add column document_mime_type text
        constraint mandates_document_mime_type_check check (document_mime_type in ('application/pdf')),
      add column document_size_bytes bigint
        constraint mandates_document_size_bytes_check check (document_size_bytes > 0),
      add column uploaded_by uuid constraint mandates_uploaded_by_fkey references users (id),
      add column uploaded_at timestamptz,
      add column expiry_notified_at timestamptz,
      add constraint mandates_document_check check (
        (document_sha256 is null and document_file_name is null and document_mime_type is null
          and document_size_bytes is null and uploaded_at is null)
        or (document_sha256 is not null and document_file_name is not null and document_mime_type is not null
          and document_size_bytes is not null and uploaded_at is not null))`.execute(db);
  await sql`create index mandates_uploaded_by_idx on mandates (uploaded_by)`.execute(db);
  // Whether a stored file is still a mandate's (before the store deletes content, e.g. a refused deposit's).
  await sql`
    create index mandates_document_sha256_idx on mandates (document_sha256)
    where document_sha256 is not null`.execute(db);
  for (const statement of INDEXES) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'mandates_expiry_reminder_idx',
    'contracts_employer_siret_idx',
    'contracts_cfa_id_number_pattern_idx',
    'contracts_number_pattern_idx',
    'contracts_apprentice_name_idx',
    'contracts_start_date_idx',
    'contracts_cfa_id_apprentice_name_idx',
    'contracts_cfa_id_start_date_idx',
    'mandates_document_sha256_idx',
    'mandates_uploaded_by_idx',
  ]) {
    await sql`drop index ${sql.id(name)}`.execute(db);
  }
  await sql`
    alter table mandates
      drop constraint mandates_document_check,
      drop column expiry_notified_at,
      drop column uploaded_at,
      drop column uploaded_by,
      drop column document_size_bytes,
      drop column document_mime_type,
      drop column document_file_name,
      drop column document_sha256`.execute(db);
}
