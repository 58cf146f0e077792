import { sql, type Kysely, type RawBuilder } from 'kysely';

// Payment runs (issue 14): a run collects the validated pro formas awaiting payment, nets each CFA's DEDUCTION credit
// notes (a credit note may be deducted over several runs: what is left is `remaining_cents`), and writes one SEPA
// file of transfers. A payment is in at most one transfer; a transfer's items say which invoices it pays and which
// credit notes it deducts, by how much.

const upStatements: RawBuilder<unknown>[] = [
  sql`
    create table payment_runs (
      id uuid primary key default gen_random_uuid(),
      -- RUN-YYYYMMDD-NN (Paris date), also the SEPA message id.
      number text not null constraint payment_runs_number_key unique,
      trigger text not null constraint payment_runs_trigger_check check (trigger in ('SCHEDULE', 'MANUAL')),
      requested_by uuid constraint payment_runs_requested_by_fkey references users (id),
      grouping text not null constraint payment_runs_grouping_check check (grouping in ('PER_CFA', 'PER_INVOICE')),
      cutoff timestamptz not null,
      execution_date date not null,
      transfer_count int not null constraint payment_runs_transfer_count_check check (transfer_count >= 0),
      total_cents bigint not null constraint payment_runs_total_cents_check check (total_cents >= 0),
      -- The stored pain.001 file (content-addressed); none when the run found nothing to transfer.
      file_sha256 char(64) constraint payment_runs_file_sha256_check check (file_sha256 ~ '^[0-9a-f]{64}$'),
      file_size int,
      created_at timestamptz not null default now()
    )`,
  sql`create index payment_runs_created_at_idx on payment_runs (created_at desc)`,
  sql`
    create table payment_transfers (
      id uuid primary key default gen_random_uuid(),
      run_id uuid not null constraint payment_transfers_run_id_fkey references payment_runs (id),
      cfa_id uuid not null constraint payment_transfers_cfa_id_fkey references cfas (id),
      end_to_end_id text not null constraint payment_transfers_end_to_end_id_key unique,
      -- 0: the credit notes cover the invoices whole (settled by compensation, no line in the file).
      amount_cents bigint not null constraint payment_transfers_amount_cents_check check (amount_cents >= 0),
      creditor_name text not null,
      iban text not null,
      bic text,
      remittance text not null,
      status text not null
        constraint payment_transfers_status_check check (status in ('ISSUED', 'COMPENSATED', 'BOOKED', 'REJECTED')),
      bank_reference text,
      booked_on date,
      reject_reason text
    )`,
  sql`create index payment_transfers_run_id_idx on payment_transfers (run_id)`,
  sql`create index payment_transfers_cfa_id_idx on payment_transfers (cfa_id)`,
  sql`
    create table payment_transfer_items (
      transfer_id uuid not null constraint payment_transfer_items_transfer_id_fkey references payment_transfers (id),
      payment_id uuid not null constraint payment_transfer_items_payment_id_fkey references payments (id),
      kind text not null constraint payment_transfer_items_kind_check check (kind in ('INVOICE', 'DEDUCTION')),
      -- An invoice's amount (positive), or what the transfer deducts of a credit note (negative).
      amount_cents bigint not null,
      -- A credit note deducted in full by this transfer.
      settled boolean not null,
      primary key (transfer_id, payment_id),
      constraint payment_transfer_items_sign_check check ((kind = 'INVOICE') = (amount_cents > 0))
    )`,
  // An invoice is paid by one transfer, whatever the runs: a second run never pays it again.
  sql`create unique index payment_transfer_items_invoice_key on payment_transfer_items (payment_id) where kind = 'INVOICE'`,
  sql`create index payment_transfer_items_payment_id_idx on payment_transfer_items (payment_id)`,
  sql`
    create table payment_run_exclusions (
      id uuid primary key default gen_random_uuid(),
      run_id uuid not null constraint payment_run_exclusions_run_id_fkey references payment_runs (id),
      cfa_id uuid not null constraint payment_run_exclusions_cfa_id_fkey references cfas (id),
      reason text not null,
      detail text not null,
      pro_forma_numbers text[] not null
    )`,
  sql`create index payment_run_exclusions_run_id_idx on payment_run_exclusions (run_id)`,
  // A CFA's BIC: needed to pay an IBAN outside the European Economic Area (Switzerland, Monaco, the UK…).
  sql`
    alter table cfas add column bic text
      constraint cfas_bic_check check (bic ~ '^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$')`,
  // What a DEDUCTION credit note still has to deduct (negative, 0 once deducted); null for other kinds.
  sql`alter table payments add column remaining_cents bigint`,
  sql`update payments set remaining_cents = case when status = 'ORDERED' then amount_cents else 0 end
      where kind = 'DEDUCTION'`,
  sql`
    alter table payments add constraint payments_remaining_cents_check
      check ((kind = 'DEDUCTION') = (remaining_cents is not null) and (remaining_cents is null or remaining_cents <= 0))`,
  // ISSUED: in a run's file, the transfer not yet booked by the bank.
  sql`alter table payments drop constraint payments_status_check`,
  sql`
    alter table payments add constraint payments_status_check
      check (status in ('ORDERED', 'ISSUED', 'NETTED', 'CONFIRMED', 'WITHDRAWN'))`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update payments set status = 'ORDERED' where status = 'ISSUED'`.execute(db);
  await sql`alter table payments drop constraint payments_status_check`.execute(db);
  await sql`
    alter table payments add constraint payments_status_check
      check (status in ('ORDERED', 'NETTED', 'CONFIRMED', 'WITHDRAWN'))`.execute(db);
  await sql`alter table payments drop constraint payments_remaining_cents_check`.execute(db);
  await sql`alter table payments drop column remaining_cents`.execute(db);
  await sql`drop table payment_run_exclusions`.execute(db);
  await sql`drop table payment_transfer_items`.execute(db);
  await sql`drop table payment_transfers`.execute(db);
  await sql`drop table payment_runs`.execute(db);
  await sql`alter table cfas drop column bic`.execute(db);
}
