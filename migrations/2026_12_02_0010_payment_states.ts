import { sql, type Kysely, type RawBuilder } from 'kysely';

// The payment runs wired into the process (issue 14): a validated pro forma whose transfer is in a run's file is at
// stage PAYMENT_ISSUED (« Paiement émis ») until the bank books or rejects it; a rejected transfer's payment is kept
// (REJECTED) and a new order awaits the next run; the bank's files are recorded with what each line did, so that
// none is applied twice; a CFA whose transfer the bank rejected has its IBAN flagged for checking; a run started
// by a workflow is found again by that workflow's id (a retried activity never makes a second run).

const STAGES = `('READING', 'CONTROLLING', 'AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL', 'AWAITING_PAYMENT', 'PAYMENT_ISSUED')`;

const upStatements: RawBuilder<unknown>[] = [
  sql`alter table pro_formas drop constraint pro_formas_stage_check`,
  sql`alter table pro_formas add constraint pro_formas_stage_check check (stage in ${sql.raw(STAGES)})`,

  sql`alter table payments drop constraint payments_status_check`,
  sql`
    alter table payments add constraint payments_status_check
      check (status in ('ORDERED', 'ISSUED', 'NETTED', 'CONFIRMED', 'WITHDRAWN', 'REJECTED'))`,
  sql`drop index payments_live_pro_forma_key`,
  sql`
    create unique index payments_live_pro_forma_key on payments (pro_forma_id)
      where status not in ('WITHDRAWN', 'REJECTED')`,

  sql`alter table payment_runs add column request_key text constraint payment_runs_request_key_key unique`,

  // Set when the bank rejected a transfer to the CFA's IBAN (what it said); cleared when an admin changes the IBAN or
  // clears it. A flagged CFA is left out of the runs until then.
  sql`alter table cfas add column iban_flag text`,
  sql`alter table cfas add column iban_flagged_at timestamptz`,

  sql`
    create table bank_files (
      id uuid primary key default gen_random_uuid(),
      -- The stored file (content-addressed): the same file twice is the same bank file, applied once.
      sha256 char(64) not null constraint bank_files_sha256_key unique
        constraint bank_files_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
      file_name text not null,
      kind text not null constraint bank_files_kind_check check (kind in ('camt.054', 'pain.002')),
      message_id text not null,
      source text not null constraint bank_files_source_check check (source in ('UPLOAD', 'FOLDER')),
      uploaded_by uuid constraint bank_files_uploaded_by_fkey references users (id),
      received_at timestamptz not null default now(),
      applied_count int not null,
      reported_count int not null
    )`,
  sql`create index bank_files_received_at_idx on bank_files (received_at desc)`,
  sql`
    create table bank_file_lines (
      file_id uuid not null constraint bank_file_lines_file_id_fkey references bank_files (id),
      line int not null,
      -- BOOK, REJECT or RECEIVE when applied; null when reported.
      action text constraint bank_file_lines_action_check check (action in ('BOOK', 'REJECT', 'RECEIVE')),
      -- Why a line was reported and applied to nothing (domain/reconciliation.ts, ReportReason).
      reason text,
      end_to_end_id text,
      pro_forma_number text,
      amount_cents bigint,
      detail text not null,
      primary key (file_id, line),
      constraint bank_file_lines_outcome_check check ((action is null) <> (reason is null))
    )`,
  sql`create index bank_file_lines_end_to_end_id_idx on bank_file_lines (end_to_end_id)`,

  // Starting a run, pausing its schedule and applying the bank's files: the admins who confirm payments.
  sql`
    update users set rights = array_append(rights, 'payment-runs:manage')
    where role = 'admin' and 'payments:confirm' = any(rights) and not ('payment-runs:manage' = any(rights))`,
];

const downStatements: RawBuilder<unknown>[] = [
  sql`update users set rights = array_remove(rights, 'payment-runs:manage')`,
  sql`drop table bank_file_lines`,
  sql`drop table bank_files`,
  sql`alter table cfas drop column iban_flagged_at`,
  sql`alter table cfas drop column iban_flag`,
  sql`alter table payment_runs drop column request_key`,
  sql`drop index payments_live_pro_forma_key`,
  sql`delete from payments where status = 'REJECTED'`,
  sql`create unique index payments_live_pro_forma_key on payments (pro_forma_id) where status <> 'WITHDRAWN'`,
  sql`alter table payments drop constraint payments_status_check`,
  sql`
    alter table payments add constraint payments_status_check
      check (status in ('ORDERED', 'ISSUED', 'NETTED', 'CONFIRMED', 'WITHDRAWN'))`,
  sql`update pro_formas set stage = 'AWAITING_PAYMENT' where stage = 'PAYMENT_ISSUED'`,
  sql`alter table pro_formas drop constraint pro_formas_stage_check`,
  sql`
    alter table pro_formas add constraint pro_formas_stage_check
      check (stage in ('READING', 'CONTROLLING', 'AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL', 'AWAITING_PAYMENT'))`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of downStatements) await statement.execute(db);
}
