import { sql, type Kysely } from 'kysely';

// « Mon CFA » (issue 13): the addresses a CFA wants its e-mails at, each with the kinds of e-mail it receives. A CFA
// without any is written to at its main address (cfas.email), as before.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table cfa_notification_emails (
      id uuid primary key default gen_random_uuid(),
      cfa_id uuid not null constraint cfa_notification_emails_cfa_id_fkey references cfas (id),
      email text not null constraint cfa_notification_emails_email_check
        check (position('@' in email) > 1 and char_length(email) <= 254),
      -- Template codes (domain/mail-templates.ts); checked by the API, at least one.
      kinds text[] not null constraint cfa_notification_emails_kinds_check check (cardinality(kinds) > 0),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create unique index cfa_notification_emails_cfa_email_key on cfa_notification_emails (cfa_id, lower(email))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table cfa_notification_emails`.execute(db);
}
