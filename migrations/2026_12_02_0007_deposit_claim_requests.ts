import { sql, type Kysely } from 'kysely';

// A deposit's claim on its content names the request it belongs to: when an attempt's Update met its deadline (its
// claim kept, since the workflow may have taken the file) and the client's retry of the same request succeeds, the
// success releases the claims of every attempt of that request, not only its own.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deposits_in_flight add column request_id text`.execute(db);
  await sql`create index deposits_in_flight_request_id_idx on deposits_in_flight (request_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table deposits_in_flight drop column request_id`.execute(db);
}
