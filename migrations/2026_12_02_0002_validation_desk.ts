import { sql, type Kysely, type RawBuilder } from 'kysely';

// The validation desk (issue 12): who holds an item, what needs a human on it, the corrections of a reading, the
// second approval above the four-eyes threshold, the sampled controls of trusted CFAs, the validators' portfolios,
// the versions of the refusal catalogue and the audit of every change of reference data.

const STAGES = `('READING', 'CONTROLLING', 'AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL', 'AWAITING_PAYMENT')`;
/** Where a human's decision is awaited: the queue's predicate (domain/process.ts, QUEUE_STAGES). */
const IN_QUEUE = `status = 'UNDER_VALIDATION' and stage in ('AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL')`;

const upStatements: RawBuilder<unknown>[] = [
  sql`alter table pro_formas drop constraint pro_formas_stage_check`,
  sql`alter table pro_formas add constraint pro_formas_stage_check check (stage in ${sql.raw(STAGES)})`,
  // The claim, as the workflow holds it (the read model's copy for the queue); expired when claim_expires_at passed.
  sql`alter table pro_formas add column claimed_by uuid constraint pro_formas_claimed_by_fkey references users (id)`,
  sql`alter table pro_formas add column claim_expires_at timestamptz`,
  sql`
    alter table pro_formas add constraint pro_formas_claim_check
      check ((claimed_by is null) = (claim_expires_at is null))`,
  // What the latest reading needs from a human: the codes of its uncertain or failed controls, its reading engine.
  sql`alter table pro_formas add column review_codes text[] not null default '{}'`,
  sql`alter table pro_formas add column reading_engine text`,
  // A trusted CFA's compliant invoice sent to a human all the same (« contrôle par sondage »).
  sql`alter table pro_formas add column sampled boolean not null default false`,
  // Above the four-eyes threshold: the validator whose approval awaits a second one.
  sql`alter table pro_formas add column first_approved_by uuid constraint pro_formas_first_approved_by_fkey references users (id)`,

  // The queue's indexes: every one partial on the queue's predicate, so that its size is the queue's, not the table's.
  sql`drop index pro_formas_validation_queue_idx`,
  sql`create index pro_formas_validation_queue_idx on pro_formas (deposited_at, number) where ${sql.raw(IN_QUEUE)}`,
  sql`create index pro_formas_queue_cfa_idx on pro_formas (cfa_id, deposited_at) where ${sql.raw(IN_QUEUE)}`,
  sql`create index pro_formas_queue_amount_idx on pro_formas (total_cents, number) where ${sql.raw(IN_QUEUE)}`,
  sql`create index pro_formas_queue_claimed_by_idx on pro_formas (claimed_by, deposited_at) where ${sql.raw(IN_QUEUE)}`,
  sql`create index pro_formas_queue_review_codes_idx on pro_formas using gin (review_codes) where ${sql.raw(IN_QUEUE)}`,

  // Corrections of a reading: the document is never changed; the controls run again on the corrected reading.
  sql`
    create table reading_corrections (
      id uuid primary key default gen_random_uuid(),
      pro_forma_id uuid not null constraint reading_corrections_pro_forma_id_fkey references pro_formas (id),
      document_id uuid not null constraint reading_corrections_document_id_fkey references documents (id),
      field text not null constraint reading_corrections_field_check
        check (field in ('invoiceNumber', 'proFormaNumber', 'totalCents', 'iban', 'siret', 'issueDate', 'dueDate')),
      before jsonb,
      after jsonb,
      justification text not null constraint reading_corrections_justification_check
        check (char_length(justification) between 3 and 1000),
      corrected_by uuid not null constraint reading_corrections_corrected_by_fkey references users (id),
      -- The workflow's step key: a retried activity records the correction once.
      idempotency_key text not null constraint reading_corrections_idempotency_key_key unique,
      corrected_at timestamptz not null default now()
    )`,
  sql`create index reading_corrections_pro_forma_id_idx on reading_corrections (pro_forma_id, corrected_at)`,

  // Portfolios: the CFAs a validator looks after. A CFA in no portfolio is everyone's.
  sql`
    create table validator_portfolios (
      user_id uuid not null constraint validator_portfolios_user_id_fkey references users (id),
      cfa_id uuid not null constraint validator_portfolios_cfa_id_fkey references cfas (id),
      assigned_by uuid constraint validator_portfolios_assigned_by_fkey references users (id),
      assigned_at timestamptz not null default now(),
      constraint validator_portfolios_pkey primary key (user_id, cfa_id)
    )`,
  sql`create index validator_portfolios_cfa_id_idx on validator_portfolios (cfa_id)`,

  // The refusal catalogue's versions: a letter already sent keeps its text (decisions.letter), a past refusal names
  // the version it used; a retired reason is no longer offered.
  sql`alter table refusal_reasons add column version integer not null default 1`,
  sql`alter table refusal_reasons add column retired_at timestamptz`,
  sql`
    create table refusal_reason_versions (
      code text not null constraint refusal_reason_versions_code_fkey references refusal_reasons (code),
      version integer not null constraint refusal_reason_versions_version_check check (version >= 1),
      label text not null constraint refusal_reason_versions_label_check check (char_length(label) > 0),
      letter text not null constraint refusal_reason_versions_letter_check check (char_length(letter) > 0),
      created_by uuid constraint refusal_reason_versions_created_by_fkey references users (id),
      created_at timestamptz not null default now(),
      constraint refusal_reason_versions_pkey primary key (code, version)
    )`,
  sql`
    insert into refusal_reason_versions (code, version, label, letter, created_at)
    select code, 1, label, letter, created_at from refusal_reasons`,
  sql`alter table decisions add column reason_version integer`,

  // The audit of reference data: who changed what, when, before and after; written in the change's transaction.
  sql`
    create table reference_audit (
      id bigint generated always as identity primary key,
      entity text not null constraint reference_audit_entity_check
        check (entity in ('CFA', 'MANDATE', 'USER', 'PORTFOLIO', 'REFUSAL_REASON')),
      entity_id text not null,
      action text not null,
      actor uuid constraint reference_audit_actor_fkey references users (id),
      before jsonb,
      after jsonb,
      at timestamptz not null default now()
    )`,
  sql`create index reference_audit_at_idx on reference_audit (at desc, id desc)`,
  sql`create index reference_audit_entity_idx on reference_audit (entity, entity_id, at desc)`,
  sql`create index reference_audit_actor_idx on reference_audit (actor, at desc)`,

  // A payment order taken back when an admin returns a validated pro forma to validation.
  sql`alter table payments drop constraint payments_status_check`,
  sql`
    alter table payments add constraint payments_status_check
      check (status in ('ORDERED', 'NETTED', 'CONFIRMED', 'WITHDRAWN'))`,
  // A pro forma returned to validation and approved again orders its payment again: one live order at a time.
  sql`alter table payments drop constraint payments_pro_forma_id_key`,
  sql`create unique index payments_live_pro_forma_key on payments (pro_forma_id) where status <> 'WITHDRAWN'`,
  sql`create index payments_pro_forma_id_idx on payments (pro_forma_id)`,

  // Metrics: decisions per day and validator.
  sql`create index decisions_decided_at_idx on decisions (decided_at)`,
];

const downStatements: RawBuilder<unknown>[] = [
  sql`drop index decisions_decided_at_idx`,
  sql`drop index payments_pro_forma_id_idx`,
  sql`drop index payments_live_pro_forma_key`,
  sql`delete from payments where status = 'WITHDRAWN'`,
  sql`alter table payments add constraint payments_pro_forma_id_key unique (pro_forma_id)`,
  sql`alter table payments drop constraint payments_status_check`,
  sql`
    alter table payments add constraint payments_status_check check (status in ('ORDERED', 'NETTED', 'CONFIRMED'))`,
  sql`drop table reference_audit`,
  sql`alter table decisions drop column reason_version`,
  sql`drop table refusal_reason_versions`,
  sql`alter table refusal_reasons drop column retired_at`,
  sql`alter table refusal_reasons drop column version`,
  sql`drop table validator_portfolios`,
  sql`drop table reading_corrections`,
  sql`drop index pro_formas_queue_review_codes_idx`,
  sql`drop index pro_formas_queue_claimed_by_idx`,
  sql`drop index pro_formas_queue_amount_idx`,
  sql`drop index pro_formas_queue_cfa_idx`,
  sql`drop index pro_formas_validation_queue_idx`,
  sql`
    create index pro_formas_validation_queue_idx on pro_formas (deposited_at)
    where status = 'UNDER_VALIDATION' and stage = 'AWAITING_DECISION'`,
  sql`alter table pro_formas drop column first_approved_by`,
  sql`alter table pro_formas drop column sampled`,
  sql`alter table pro_formas drop column reading_engine`,
  sql`alter table pro_formas drop column review_codes`,
  sql`alter table pro_formas drop constraint pro_formas_claim_check`,
  sql`alter table pro_formas drop column claim_expires_at`,
  sql`alter table pro_formas drop column claimed_by`,
  sql`update pro_formas set stage = 'AWAITING_DECISION' where stage = 'AWAITING_SECOND_APPROVAL'`,
  sql`alter table pro_formas drop constraint pro_formas_stage_check`,
  sql`
    alter table pro_formas add constraint pro_formas_stage_check
      check (stage in ('READING', 'CONTROLLING', 'AWAITING_DECISION', 'AWAITING_PAYMENT'))`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of downStatements) await statement.execute(db);
}
