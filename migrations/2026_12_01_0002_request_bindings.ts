import { sql, type Kysely } from 'kysely';

// What the API must remember between two requests, whichever instance answers them: the request each
// Idempotency-Key was first used for, and the deposits whose file is stored but whose workflow update is unanswered.

const upStatements = [
  // A key applies once per user and action; the fingerprint (SHA-256 of the action, the pro forma and the body or
  // the file) tells a retry of the same request from a different request sent with the same key.
  sql`
    create table idempotency_keys (
      user_id uuid not null constraint idempotency_keys_user_id_fkey references users (id),
      action text not null constraint idempotency_keys_action_check check (action ~ '^[a-z-]{1,50}$'),
      key text not null constraint idempotency_keys_key_check check (key ~ '^[A-Za-z0-9._:-]{1,200}$'),
      fingerprint char(64) not null constraint idempotency_keys_fingerprint_check check (fingerprint ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now(),
      constraint idempotency_keys_pkey primary key (user_id, action, key)
    )`,
  // Files are content-addressed, so two deposits of the same bytes share one file: a refused deposit may delete its
  // file only when no document and no other deposit still in flight holds it. A row left by a crash keeps its file,
  // the safe side.
  sql`
    create table deposits_in_flight (
      id uuid primary key default gen_random_uuid(),
      sha256 char(64) not null constraint deposits_in_flight_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now()
    )`,
  sql`create index deposits_in_flight_sha256_idx on deposits_in_flight (sha256)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of upStatements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table deposits_in_flight`.execute(db);
  await sql`drop table idempotency_keys`.execute(db);
}
