import { sql, type Kysely } from 'kysely';

// Users and rights (issue 13): rights granted per user (each role's usual rights become its bundle: the lists below
// are the bundles as they stood when this migration was written), a user acting for several CFAs, tokens that
// expire, and invitations that let a new user set its token through a one-time link.

const BUNDLES = {
  admin: [
    'pro-formas:read',
    'pro-formas:export',
    'contracts:read',
    'mandates:read',
    'validation-queue:read',
    'validation:claim',
    'refusal-reasons:read',
    'audit:read',
    'metrics:read',
    'pro-formas:administer',
    'payments:confirm',
    'admin:manage',
  ],
  validator: [
    'pro-formas:read',
    'pro-formas:export',
    'contracts:read',
    'mandates:read',
    'validation-queue:read',
    'validation:claim',
    'pro-formas:decide',
    'pro-formas:correct',
    'refusal-reasons:read',
  ],
  cfa: [
    'pro-formas:read',
    'pro-formas:export',
    'contracts:read',
    'mandates:read',
    'installments:read',
    'pro-formas:generate',
    'pro-formas:deposit',
    'pro-formas:cancel',
    'my-cfa:read',
    'my-cfa:manage',
    'cfa-users:manage',
  ],
};

export async function up(db: Kysely<any>): Promise<void> {
  // Right codes (domain/rights.ts), checked by the API.
  await sql`alter table users add column rights text[] not null default '{}'`.execute(db);
  for (const [role, rights] of Object.entries(BUNDLES)) {
    await sql`update users set rights = ${rights}::text[] where role = ${role}`.execute(db);
  }
  await sql`alter table users alter column rights drop default`.execute(db);

  // The CFAs a CFA user acts for (at least one, checked by the API); staff act for none.
  await sql`
    create table user_cfas (
      user_id uuid not null constraint user_cfas_user_id_fkey references users (id),
      cfa_id uuid not null constraint user_cfas_cfa_id_fkey references cfas (id),
      primary key (user_id, cfa_id)
    )`.execute(db);
  await sql`create index user_cfas_cfa_id_idx on user_cfas (cfa_id)`.execute(db);
  await sql`insert into user_cfas (user_id, cfa_id) select id, cfa_id from users where cfa_id is not null`.execute(db);
  await sql`alter table users drop constraint users_cfa_check`.execute(db);
  await sql`alter table users drop column cfa_id`.execute(db);

  // An invited user has no token until it accepts its invitation; a token may expire (null: never).
  await sql`alter table users alter column token_hash drop not null`.execute(db);
  await sql`alter table users add column token_expires_at timestamptz`.execute(db);
  await sql`alter table users add column created_by uuid constraint users_created_by_fkey references users (id)`.execute(
    db,
  );

  // One-time links that set a user's token. The link's secret is made and e-mailed by the invitation workflow's
  // activity, which stores only its SHA-256: neither the API, nor the workflow's history, nor this table holds it.
  await sql`
    create table invitations (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null constraint invitations_user_id_fkey references users (id),
      token_hash text constraint invitations_token_hash_key unique
        constraint invitations_token_hash_check check (token_hash ~ '^[0-9a-f]{64}$'),
      created_by uuid constraint invitations_created_by_fkey references users (id),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      sent_at timestamptz,
      accepted_at timestamptz,
      -- Replaced by a newer invitation, or the user was revoked.
      cancelled_at timestamptz,
      constraint invitations_outcome_check check (accepted_at is null or cancelled_at is null)
    )`.execute(db);
  // At most one invitation of a user is open.
  await sql`
    create unique index invitations_open_key on invitations (user_id)
      where accepted_at is null and cancelled_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table invitations`.execute(db);
  await sql`alter table users drop column created_by`.execute(db);
  await sql`alter table users drop column token_expires_at`.execute(db);
  await sql`alter table users add column cfa_id uuid constraint users_cfa_id_fkey references cfas (id)`.execute(db);
  await sql`
    update users set cfa_id = (select min(cfa_id::text)::uuid from user_cfas where user_id = users.id)`.execute(db);
  await sql`create index users_cfa_id_idx on users (cfa_id)`.execute(db);
  await sql`alter table users add constraint users_cfa_check check ((role = 'cfa') = (cfa_id is not null))`.execute(db);
  await sql`drop table user_cfas`.execute(db);
  await sql`alter table users alter column token_hash set not null`.execute(db);
  await sql`alter table users drop column rights`.execute(db);
}
