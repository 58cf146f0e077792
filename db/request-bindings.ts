import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema';

/**
 * What the API remembers between two requests, in PostgreSQL so that every API instance, and an instance restarted
 * in between, sees it: the request each Idempotency-Key was first used for, and the deposits in flight.
 */

export interface IdempotencyBinding {
  userId: string;
  action: string;
  key: string;
  fingerprint: string;
}

/**
 * Binds the key to `fingerprint` unless it is bound already; returns the fingerprint the key is bound to. The no-op
 * update makes the insert return the existing row, and makes a concurrent first use of the same key wait for the
 * other's commit: two requests racing with one key see the same binding.
 */
export async function bindIdempotencyKey(db: Kysely<Database>, binding: IdempotencyBinding): Promise<string> {
  const row = await db
    .insertInto('idempotency_keys')
    .values({ user_id: binding.userId, action: binding.action, key: binding.key, fingerprint: binding.fingerprint })
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'action', 'key'])
        .doUpdateSet((eb) => ({ fingerprint: eb.ref('idempotency_keys.fingerprint') })),
    )
    .returning('fingerprint')
    .executeTakeFirstOrThrow();
  return row.fingerprint;
}

/**
 * Serialises, per content, the claims of deposits and the removal of an unreferenced file: without it, a refused
 * deposit could see no reference, then delete the file that a concurrent deposit of the same bytes has just stored.
 */
async function lockContent(trx: Transaction<Database>, sha256: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(('x' || left(${sha256}, 16))::bit(64)::bigint)`.execute(trx);
}

/** Records a deposit of `sha256` in flight for the request `requestId`, before its file is stored; returns the claim's id. */
export async function claimDepositedContent(
  db: Kysely<Database>,
  sha256: string,
  requestId: string | null = null,
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await lockContent(trx, sha256);
    const row = await trx
      .insertInto('deposits_in_flight')
      .values({ sha256, request_id: requestId })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/**
 * The deposit was applied: its document row now holds the file. Releases the claim and those of the earlier attempts
 * of the same request (kept when their Update met its deadline).
 */
export async function releaseDepositClaim(db: Kysely<Database>, claimId: string): Promise<void> {
  await db
    .deleteFrom('deposits_in_flight')
    .where((eb) =>
      eb.or([
        eb('id', '=', claimId),
        eb(
          'request_id',
          '=',
          eb.selectFrom('deposits_in_flight as own').select('own.request_id').where('own.id', '=', claimId),
        ),
      ]),
    )
    .execute();
}

/**
 * The deposit was refused: releases its claim and, when no document, no mandate and no other deposit in flight holds
 * the same content, runs `remove` (the file's deletion) under the content's lock. Returns whether the file was removed.
 */
export async function releaseRefusedDeposit(
  db: Kysely<Database>,
  claimId: string,
  sha256: string,
  remove: () => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockContent(trx, sha256);
    await trx.deleteFrom('deposits_in_flight').where('id', '=', claimId).execute();
    const holder = await trx
      .selectFrom('documents')
      .select('sha256')
      .where('sha256', '=', sha256)
      .unionAll(trx.selectFrom('deposits_in_flight').select('sha256').where('sha256', '=', sha256))
      // A signed mandate is stored in the same content-addressed store: the same bytes deposited as an invoice and
      // refused must not take the mandate's file with them.
      .unionAll(
        trx
          .selectFrom('mandates')
          .select('document_sha256 as sha256')
          .where('document_sha256', '=', sha256)
          .$narrowType<{ sha256: string }>(),
      )
      .limit(1)
      .executeTakeFirst();
    if (holder) return false;
    await remove();
    return true;
  });
}
