import { sql, type Kysely, type RawBuilder } from 'kysely';

// One statement per query: PGlite runs parameterised (extended protocol) queries, which refuse several statements.
// Constraints carry explicit names so the application can map a violation (error.constraint) to a domain error.

const STATUSES = `('AWAITING_INVOICE', 'UNDER_VALIDATION', 'VALIDATED', 'PAID', 'REFUSED', 'CANCELLED')`;
const NATURES = `('PEDAGOGIE', 'FRAIS_ANNEXES', 'PREMIER_EQUIPEMENT', 'MOBILITE')`;
const SETTLEMENT_MODES = `('DEDUCTION', 'REMBOURSEMENT')`;

const upStatements: RawBuilder<unknown>[] = [
  sql`
    create function set_updated_at() returns trigger language plpgsql as $$
    begin
      -- An explicit value from the caller wins; otherwise any change of the row moves updated_at.
      if new.updated_at is not distinct from old.updated_at then
        new.updated_at := now();
      end if;
      return new;
    end
    $$`,

  sql`
    create table cfas (
      id uuid primary key default gen_random_uuid(),
      siret char(14) not null constraint cfas_siret_key unique
        constraint cfas_siret_check check (siret ~ '^[0-9]{14}$'),
      name text not null constraint cfas_name_check check (char_length(name) > 0),
      email text not null constraint cfas_email_check check (position('@' in email) > 1),
      -- Stored normalized (upper case, no spaces); the mod-97 check is a domain rule, the shape is kept here.
      iban text not null constraint cfas_iban_check check (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
      trusted boolean not null default false,
      credit_note_settlement text not null default 'DEDUCTION'
        constraint cfas_credit_note_settlement_check check (credit_note_settlement in ${sql.raw(SETTLEMENT_MODES)}),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`,
  sql`create trigger cfas_set_updated_at before update on cfas for each row execute function set_updated_at()`,

  sql`
    create table users (
      id uuid primary key default gen_random_uuid(),
      role text not null constraint users_role_check check (role in ('admin', 'validator', 'cfa')),
      name text not null constraint users_name_check check (char_length(name) > 0),
      email text not null constraint users_email_check check (position('@' in email) > 1),
      cfa_id uuid constraint users_cfa_id_fkey references cfas (id),
      -- Tokens are shown once and stored as their SHA-256 (hex); the raw token never reaches the database.
      token_hash text not null constraint users_token_hash_key unique
        constraint users_token_hash_check check (token_hash ~ '^[0-9a-f]{64}$'),
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      -- A CFA user belongs to exactly one CFA; staff (admin, validator) belong to none.
      constraint users_cfa_check check ((role = 'cfa') = (cfa_id is not null))
    )`,
  sql`create unique index users_email_key on users (lower(email))`,
  sql`create index users_cfa_id_idx on users (cfa_id)`,

  sql`
    create table mandates (
      id uuid primary key default gen_random_uuid(),
      cfa_id uuid not null constraint mandates_cfa_id_fkey references cfas (id),
      valid_from date not null,
      valid_to date,
      created_at timestamptz not null default now(),
      constraint mandates_period_check check (valid_to is null or valid_to >= valid_from)
    )`,
  sql`create index mandates_cfa_id_valid_from_idx on mandates (cfa_id, valid_from)`,

  sql`
    create table contracts (
      id uuid primary key default gen_random_uuid(),
      cfa_id uuid not null constraint contracts_cfa_id_fkey references cfas (id),
      number text not null constraint contracts_number_key unique
        constraint contracts_number_check check (char_length(number) > 0),
      label text not null,
      apprentice_name text not null,
      employer_name text not null,
      employer_siret char(14) not null constraint contracts_employer_siret_check check (employer_siret ~ '^[0-9]{14}$'),
      start_date date not null,
      end_date date not null,
      status text not null constraint contracts_status_check check (status in ('ENGAGE', 'RUPTURE')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint contracts_period_check check (end_date >= start_date)
    )`,
  sql`create index contracts_cfa_id_number_idx on contracts (cfa_id, number)`,
  sql`
    create trigger contracts_set_updated_at before update on contracts
    for each row execute function set_updated_at()`,

  sql`
    create table installments (
      id uuid primary key default gen_random_uuid(),
      contract_id uuid not null constraint installments_contract_id_fkey references contracts (id),
      nature text not null constraint installments_nature_check check (nature in ${sql.raw(NATURES)}),
      period_start date not null,
      period_end date not null,
      -- Negative for an overpayment (trop perçu after a rupture or an amendment); zero bills nothing.
      amount_cents bigint not null constraint installments_amount_cents_check check (amount_cents <> 0),
      created_at timestamptz not null default now(),
      constraint installments_period_check check (period_end >= period_start),
      -- A re-import of the same échéance cannot create it twice; also the (contract_id, nature, period_start) index.
      constraint installments_contract_nature_period_key unique (contract_id, nature, period_start),
      -- Target of pro_forma_lines' composite key, so a line cannot carry another nature than its installment.
      constraint installments_id_nature_key unique (id, nature)
    )`,

  // Never cycles: a pro forma number is never reused.
  sql`create sequence pro_forma_number_seq as bigint minvalue 1 maxvalue 99999999 no cycle`,

  sql`
    create table pro_formas (
      id uuid primary key default gen_random_uuid(),
      number text not null constraint pro_formas_number_key unique
        constraint pro_formas_number_check check (number ~ '^PRO-[0-9]{8}$'),
      workflow_id text not null constraint pro_formas_workflow_id_key unique,
      cfa_id uuid not null constraint pro_formas_cfa_id_fkey references cfas (id),
      kind text not null constraint pro_formas_kind_check check (kind in ('INVOICE', 'CREDIT_NOTE')),
      nature text not null constraint pro_formas_nature_check check (nature in ${sql.raw(NATURES)}),
      total_cents bigint not null,
      status text not null constraint pro_formas_status_check check (status in ${sql.raw(STATUSES)}),
      stage text constraint pro_formas_stage_check
        check (stage in ('READING', 'CONTROLLING', 'AWAITING_DECISION', 'AWAITING_PAYMENT')),
      settlement_mode text
        constraint pro_formas_settlement_mode_check check (settlement_mode in ${sql.raw(SETTLEMENT_MODES)}),
      invoice_number text,
      refusal_origin text constraint pro_formas_refusal_origin_check check (refusal_origin in ('AUTOMATIC', 'MANUAL')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deposited_at timestamptz,
      decided_at timestamptz,
      validated_at timestamptz,
      refused_at timestamptz,
      paid_at timestamptz,
      cancelled_at timestamptz,
      -- Set by the workflow's first activity: a row still without it after a while has lost its workflow start
      -- (the process died between the commit and the start) and is started again by the reconciliation.
      workflow_started_at timestamptz,
      -- Mixed signs give two pro formas: an invoice (positive) and a credit note (negative).
      constraint pro_formas_total_sign_check
        check ((kind = 'INVOICE' and total_cents > 0) or (kind = 'CREDIT_NOTE' and total_cents < 0)),
      -- Only a credit note is settled by deduction or reimbursement.
      constraint pro_formas_settlement_mode_kind_check check ((kind = 'CREDIT_NOTE') = (settlement_mode is not null)),
      constraint pro_formas_id_nature_key unique (id, nature)
    )`,
  sql`create index pro_formas_cfa_id_created_at_idx on pro_formas (cfa_id, created_at desc)`,
  sql`create index pro_formas_status_created_at_idx on pro_formas (status, created_at desc)`,
  sql`create index pro_formas_cfa_id_status_created_at_idx on pro_formas (cfa_id, status, created_at desc)`,
  sql`create index pro_formas_cfa_id_nature_created_at_idx on pro_formas (cfa_id, nature, created_at desc)`,
  // Search by invoice number, and the duplicate-invoice control (same number on another live pro forma of the CFA).
  sql`create index pro_formas_cfa_id_invoice_number_idx on pro_formas (cfa_id, invoice_number)`,
  sql`
    create index pro_formas_validation_queue_idx on pro_formas (deposited_at)
    where status = 'UNDER_VALIDATION' and stage = 'AWAITING_DECISION'`,

  sql`
    create table pro_forma_lines (
      id uuid primary key default gen_random_uuid(),
      pro_forma_id uuid not null,
      installment_id uuid not null,
      nature text not null,
      amount_cents bigint not null constraint pro_forma_lines_amount_cents_check check (amount_cents <> 0),
      -- Set when the pro forma is cancelled: the installment is eligible again.
      released_at timestamptz,
      constraint pro_forma_lines_pro_forma_fkey foreign key (pro_forma_id, nature) references pro_formas (id, nature),
      constraint pro_forma_lines_installment_fkey
        foreign key (installment_id, nature) references installments (id, nature),
      -- Also serves as the index on pro_forma_id.
      constraint pro_forma_lines_pro_forma_installment_key unique (pro_forma_id, installment_id)
    )`,
  // Installments in a live pro forma are no longer eligible: one installment, at most one unreleased line.
  sql`
    create unique index pro_forma_lines_live_installment_key on pro_forma_lines (installment_id)
    where released_at is null`,
  sql`create index pro_forma_lines_installment_id_idx on pro_forma_lines (installment_id)`,

  // CANCELLED and PAID are final. Cancelling releases the lines in the same statement, so the installments are
  // eligible again exactly when the cancellation commits.
  sql`
    create function pro_formas_guard_status() returns trigger language plpgsql as $$
    begin
      if old.status in ('CANCELLED', 'PAID') and new.status <> old.status then
        raise exception 'pro forma % is % and cannot become %', old.number, old.status, new.status
          using errcode = 'check_violation', constraint = 'pro_formas_final_status_check', table = 'pro_formas';
      end if;
      if new.status = 'CANCELLED' and old.status <> 'CANCELLED' then
        new.cancelled_at := coalesce(new.cancelled_at, now());
      end if;
      return new;
    end
    $$`,
  sql`
    create trigger pro_formas_guard_status before update of status on pro_formas
    for each row execute function pro_formas_guard_status()`,
  sql`
    create trigger pro_formas_set_updated_at before update on pro_formas
    for each row execute function set_updated_at()`,
  sql`
    create function pro_formas_release_lines() returns trigger language plpgsql as $$
    begin
      update pro_forma_lines set released_at = now() where pro_forma_id = new.id and released_at is null;
      return null;
    end
    $$`,
  sql`
    create trigger pro_formas_release_lines after update of status on pro_formas
    for each row when (new.status = 'CANCELLED' and old.status is distinct from 'CANCELLED')
    execute function pro_formas_release_lines()`,
  // A line is released exactly when its pro forma is cancelled. Un-releasing would put an installment that may
  // already be in a new pro forma in two live ones; an unreleased line of a cancelled one would hold it forever.
  sql`
    create function pro_forma_lines_guard_release() returns trigger language plpgsql as $$
    declare
      pro_forma_status text;
    begin
      select status into pro_forma_status from pro_formas where id = new.pro_forma_id;
      if (pro_forma_status = 'CANCELLED') <> (new.released_at is not null) then
        raise exception 'line % of pro forma % (%): released_at must be set exactly when the pro forma is cancelled',
            new.id, new.pro_forma_id, pro_forma_status
          using errcode = 'check_violation', constraint = 'pro_forma_lines_released_check', table = 'pro_forma_lines';
      end if;
      return new;
    end
    $$`,
  sql`
    create trigger pro_forma_lines_guard_release before insert or update on pro_forma_lines
    for each row execute function pro_forma_lines_guard_release()`,

  sql`
    create table documents (
      id uuid primary key default gen_random_uuid(),
      pro_forma_id uuid not null constraint documents_pro_forma_id_fkey references pro_formas (id),
      -- Every deposit is kept: a re-deposit is the next version, never an overwrite.
      version int not null constraint documents_version_check check (version > 0),
      file_name text not null constraint documents_file_name_check check (char_length(file_name) between 1 and 50),
      mime_type text not null
        constraint documents_mime_type_check
        check (mime_type in ('application/pdf', 'image/jpeg', 'image/png', 'image/gif')),
      -- At most 5 MB (5 × 1024 × 1024 bytes), as the CFA is told.
      size_bytes bigint not null constraint documents_size_bytes_check check (size_bytes > 0 and size_bytes <= 5242880),
      sha256 char(64) not null constraint documents_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
      storage_key text not null,
      uploaded_by uuid constraint documents_uploaded_by_fkey references users (id),
      request_id text constraint documents_request_id_key unique,
      uploaded_at timestamptz not null default now(),
      -- Also serves as the index on pro_forma_id.
      constraint documents_pro_forma_version_key unique (pro_forma_id, version)
    )`,
  // Duplicate-document control: the same file deposited on another pro forma.
  sql`create index documents_sha256_idx on documents (sha256)`,
  sql`create index documents_uploaded_by_idx on documents (uploaded_by)`,

  sql`
    create table extractions (
      id uuid primary key default gen_random_uuid(),
      document_id uuid not null constraint extractions_document_id_key unique
        constraint extractions_document_id_fkey references documents (id),
      engine text not null
        constraint extractions_engine_check check (engine in ('FACTURX', 'TEXT_LAYER', 'OCR', 'NONE')),
      fields jsonb not null default '{}',
      field_confidences jsonb,
      confidence double precision constraint extractions_confidence_check check (confidence between 0 and 1),
      page_count int constraint extractions_page_count_check check (page_count >= 0),
      duration_ms int constraint extractions_duration_ms_check check (duration_ms >= 0),
      error text,
      created_at timestamptz not null default now()
    )`,

  sql`
    create table refusal_reasons (
      code text primary key constraint refusal_reasons_code_check check (code ~ '^[A-Z][A-Z0-9_]*$'),
      label text not null constraint refusal_reasons_label_check check (char_length(label) > 0),
      letter text not null constraint refusal_reasons_letter_check check (char_length(letter) > 0),
      -- Usable by the automatic controls; the others are chosen by a validator.
      automatic boolean not null default false,
      -- A reason is retired, never deleted: past decisions refer to it.
      active boolean not null default true,
      created_at timestamptz not null default now()
    )`,

  sql`
    create table control_results (
      id uuid primary key default gen_random_uuid(),
      document_id uuid not null constraint control_results_document_id_fkey references documents (id),
      pro_forma_id uuid not null constraint control_results_pro_forma_id_fkey references pro_formas (id),
      code text not null constraint control_results_code_check check (char_length(code) > 0),
      outcome text not null
        constraint control_results_outcome_check check (outcome in ('PASSED', 'FAILED', 'NEEDS_REVIEW')),
      passed boolean generated always as (outcome = 'PASSED') stored,
      message text not null,
      reason_code text constraint control_results_reason_code_fkey references refusal_reasons (code),
      evidence jsonb,
      created_at timestamptz not null default now(),
      -- One result per control and document: a retried activity cannot record it twice.
      constraint control_results_document_code_key unique (document_id, code)
    )`,
  sql`create index control_results_pro_forma_id_idx on control_results (pro_forma_id)`,

  sql`
    create table decisions (
      id uuid primary key default gen_random_uuid(),
      pro_forma_id uuid not null constraint decisions_pro_forma_id_fkey references pro_formas (id),
      document_id uuid constraint decisions_document_id_fkey references documents (id),
      origin text not null constraint decisions_origin_check check (origin in ('AUTOMATIC', 'MANUAL')),
      decision text not null constraint decisions_decision_check check (decision in ('APPROVE', 'REFUSE')),
      reason_code text constraint decisions_reason_code_fkey references refusal_reasons (code),
      comment text,
      letter text,
      decided_by uuid constraint decisions_decided_by_fkey references users (id),
      request_id text constraint decisions_request_id_key unique,
      decided_at timestamptz not null default now(),
      -- A refusal always names its reason; an approval has none.
      constraint decisions_reason_check check ((decision = 'REFUSE') = (reason_code is not null))
    )`,
  sql`create index decisions_pro_forma_id_decided_at_idx on decisions (pro_forma_id, decided_at)`,
  sql`create index decisions_document_id_idx on decisions (document_id)`,
  sql`create index decisions_decided_by_idx on decisions (decided_by)`,

  sql`
    create table payments (
      id uuid primary key default gen_random_uuid(),
      pro_forma_id uuid not null constraint payments_pro_forma_id_key unique
        constraint payments_pro_forma_id_fkey references pro_formas (id),
      cfa_id uuid not null constraint payments_cfa_id_fkey references cfas (id),
      kind text not null constraint payments_kind_check check (kind in ('TRANSFER', 'DEDUCTION', 'REIMBURSEMENT')),
      amount_cents bigint not null constraint payments_amount_cents_check check (amount_cents <> 0),
      status text not null constraint payments_status_check check (status in ('ORDERED', 'NETTED', 'CONFIRMED')),
      -- A DEDUCTION credit note is netted against the CFA's next transfer.
      netted_in_payment_id uuid constraint payments_netted_in_payment_id_fkey references payments (id),
      reference text,
      ordered_at timestamptz not null default now(),
      confirmed_at timestamptz
    )`,
  // Netting looks up a CFA's outstanding deductions.
  sql`create index payments_cfa_id_status_idx on payments (cfa_id, status)`,
  sql`create index payments_netted_in_payment_id_idx on payments (netted_in_payment_id)`,

  sql`
    create table notifications (
      id uuid primary key default gen_random_uuid(),
      pro_forma_id uuid constraint notifications_pro_forma_id_fkey references pro_formas (id),
      recipient text not null,
      template text not null,
      subject text not null,
      status text not null constraint notifications_status_check check (status in ('PENDING', 'SENT', 'FAILED')),
      transport text constraint notifications_transport_check check (transport in ('SMTP', 'OUTBOX')),
      attempts int not null default 0 constraint notifications_attempts_check check (attempts >= 0),
      error text,
      -- One e-mail per workflow step, however often the activity is retried.
      idempotency_key text not null constraint notifications_idempotency_key_key unique,
      location text,
      created_at timestamptz not null default now(),
      sent_at timestamptz
    )`,
  sql`create index notifications_pro_forma_id_idx on notifications (pro_forma_id)`,

  sql`
    create table audit_events (
      id bigint generated always as identity primary key,
      pro_forma_id uuid constraint audit_events_pro_forma_id_fkey references pro_formas (id),
      actor text not null constraint audit_events_actor_check check (char_length(actor) > 0),
      action text not null constraint audit_events_action_check check (char_length(action) > 0),
      from_status text constraint audit_events_from_status_check check (from_status in ${sql.raw(STATUSES)}),
      to_status text constraint audit_events_to_status_check check (to_status in ${sql.raw(STATUSES)}),
      details jsonb,
      idempotency_key text constraint audit_events_idempotency_key_key unique,
      at timestamptz not null default now()
    )`,
  sql`create index audit_events_pro_forma_id_at_idx on audit_events (pro_forma_id, at)`,
];

// Reference data such as refusal_reasons.code is never deleted (reasons are retired), so its referencing columns
// (control_results.reason_code, decisions.reason_code) need no index for the foreign-key check.

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const statements = [
    sql`drop table audit_events`,
    sql`drop table notifications`,
    sql`drop table payments`,
    sql`drop table decisions`,
    sql`drop table control_results`,
    sql`drop table refusal_reasons`,
    sql`drop table extractions`,
    sql`drop table documents`,
    sql`drop table pro_forma_lines`,
    sql`drop table pro_formas`,
    sql`drop sequence pro_forma_number_seq`,
    sql`drop table installments`,
    sql`drop table contracts`,
    sql`drop table mandates`,
    sql`drop table users`,
    sql`drop table cfas`,
    sql`drop function pro_forma_lines_guard_release()`,
    sql`drop function pro_formas_release_lines()`,
    sql`drop function pro_formas_guard_status()`,
    sql`drop function set_updated_at()`,
  ];
  for (const statement of statements) await statement.execute(db);
}
