import { sql, type Kysely, type RawBuilder } from 'kysely';

// Searches that answer questions (issue 13): the pro forma list's new filters and the eligible installments' advanced
// filters, each read through an index (test/api/explain.test.ts asserts the plans on 100,000 pro formas). No
// PostgreSQL extension (the embedded mode runs these migrations on PGlite): no pg_trgm, no unaccent.
//
// - The apprentice's first and last names apart (the Opco's advanced search has both), split from the existing
//   apprentice_name on its first space: « Léa Martin » → Léa / Martin, « Jean Pierre Dupont » → Jean / Pierre Dupont,
//   a name without a space is all last name (first name ''). A trigger applies the same rule whenever a contract is
//   written without them, so every writer (import, creation, demo data, tests) keeps them filled; the import and the
//   creation may give them apart. Searched by case-insensitive prefix: btree indexes on lower(...) with
//   text_pattern_ops serve `like 'mar%'` whatever the database's collation.
// - « Part of the apprentice's name » in the pro forma list, across every CFA: a GIN index on the name's words
//   (to_tsvector('simple', …), core full-text search), searched by word prefix (`martin:*`): « mart » finds « Léa
//   Martin » and « Martine Dubois ». A true infix (« artin ») would need pg_trgm.
// - The CFA's teaching SIRET (« SIRET CFA pédagogique »), optional.
// - The issue date read on a pro forma's latest invoice, copied to pro_formas by a trigger on extractions (the row the
//   reading records), so that the list filters it through an index.

const NAME_SPLIT = `
    create function contracts_split_apprentice_name() returns trigger language plpgsql as $$
    declare
      full_name text := btrim(new.apprentice_name);
      at int := position(' ' in btrim(new.apprentice_name));
    begin
      if tg_op = 'UPDATE' and new.apprentice_name is not distinct from old.apprentice_name
         and new.apprentice_first_name is not null and new.apprentice_last_name is not null then
        return new;
      end if;
      if tg_op = 'UPDATE' and new.apprentice_name is distinct from old.apprentice_name
         and new.apprentice_first_name is not distinct from old.apprentice_first_name
         and new.apprentice_last_name is not distinct from old.apprentice_last_name then
        -- The full name changed, not its parts: split again.
        new.apprentice_first_name := null;
        new.apprentice_last_name := null;
      end if;
      if new.apprentice_first_name is null and new.apprentice_last_name is null then
        if at = 0 then
          new.apprentice_first_name := '';
          new.apprentice_last_name := full_name;
        else
          new.apprentice_first_name := left(full_name, at - 1);
          new.apprentice_last_name := btrim(substr(full_name, at + 1));
        end if;
      end if;
      new.apprentice_first_name := coalesce(new.apprentice_first_name, '');
      new.apprentice_last_name := coalesce(new.apprentice_last_name, '');
      return new;
    end
    $$`;

const ISSUE_DATE = `
    create function extractions_copy_issue_date() returns trigger language plpgsql as $$
    declare
      read_date date;
    begin
      begin
        read_date := case when new.fields ->> 'issueDate' ~ '^\\d{4}-\\d{2}-\\d{2}$'
                          then (new.fields ->> 'issueDate')::date end;
      exception when others then
        read_date := null; -- an impossible date read (2026-02-30) is no date, never a failed recording
      end;
      update pro_formas p set invoice_issue_date = read_date
      from documents d
      where d.id = new.document_id and p.id = d.pro_forma_id
        and d.version = (select max(v.version) from documents v where v.pro_forma_id = d.pro_forma_id)
        and p.invoice_issue_date is distinct from read_date;
      return null;
    end
    $$`;

const upStatements: RawBuilder<unknown>[] = [
  sql`alter table contracts add column apprentice_first_name text`,
  sql`alter table contracts add column apprentice_last_name text`,
  sql`
    alter table contracts add column training_siret char(14)
      constraint contracts_training_siret_check check (training_siret ~ '^[0-9]{14}$')`,
  sql.raw(NAME_SPLIT),
  sql`
    create trigger contracts_split_apprentice_name before insert or update on contracts
    for each row execute function contracts_split_apprentice_name()`,
  // Fills the existing rows (the trigger splits them).
  sql`update contracts set apprentice_first_name = null, apprentice_last_name = null`,
  sql`alter table contracts alter column apprentice_first_name set not null`,
  sql`alter table contracts alter column apprentice_last_name set not null`,
  sql`
    create index contracts_cfa_first_name_idx on contracts (cfa_id, lower(apprentice_first_name) text_pattern_ops)`,
  sql`create index contracts_cfa_last_name_idx on contracts (cfa_id, lower(apprentice_last_name) text_pattern_ops)`,
  sql`create index contracts_cfa_training_siret_idx on contracts (cfa_id, training_siret)`,
  sql`create index contracts_apprentice_words_idx on contracts using gin (to_tsvector('simple', apprentice_name))`,
  // A contract's installments read from the index alone (index-only scans): the eligible installments of a CFA and
  // the pro formas of the contracts a search found are nested loops over the contracts, not a scan of installments.
  sql`
    create index installments_contract_covering_idx on installments (contract_id, nature, period_start)
    include (id, amount_cents, period_end)`,

  sql`alter table pro_formas add column invoice_issue_date date`,
  sql.raw(ISSUE_DATE),
  sql`
    create trigger extractions_copy_issue_date after insert or update of fields on extractions
    for each row execute function extractions_copy_issue_date()`,
  // The readings already recorded (the trigger copies the latest document's).
  sql`update extractions set fields = fields`,

  // The list's new filters; the CFA's own lists combine them with pro_formas_cfa_id_created_at_idx (BitmapAnd).
  sql`create index pro_formas_deposited_at_idx on pro_formas (deposited_at) where deposited_at is not null`,
  sql`create index pro_formas_total_cents_idx on pro_formas (total_cents)`,
  sql`
    create index pro_formas_invoice_issue_date_idx on pro_formas (invoice_issue_date)
    where invoice_issue_date is not null`,
  // Free text: the invoice number by case-insensitive prefix.
  sql`
    create index pro_formas_invoice_number_prefix_idx on pro_formas (lower(invoice_number) text_pattern_ops)
    where invoice_number is not null`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'pro_formas_invoice_number_prefix_idx',
    'pro_formas_invoice_issue_date_idx',
    'pro_formas_total_cents_idx',
    'pro_formas_deposited_at_idx',
    'installments_contract_covering_idx',
    'contracts_apprentice_words_idx',
    'contracts_cfa_training_siret_idx',
    'contracts_cfa_last_name_idx',
    'contracts_cfa_first_name_idx',
  ]) {
    await sql`drop index ${sql.id(name)}`.execute(db);
  }
  await sql`drop trigger extractions_copy_issue_date on extractions`.execute(db);
  await sql`drop function extractions_copy_issue_date()`.execute(db);
  await sql`alter table pro_formas drop column invoice_issue_date`.execute(db);
  await sql`drop trigger contracts_split_apprentice_name on contracts`.execute(db);
  await sql`drop function contracts_split_apprentice_name()`.execute(db);
  await sql`alter table contracts drop column training_siret`.execute(db);
  await sql`alter table contracts drop column apprentice_last_name`.execute(db);
  await sql`alter table contracts drop column apprentice_first_name`.execute(db);
}
