import type { Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * Browser sessions of the web pages. The cookie holds a random secret; only its SHA-256 is stored. A session ends at
 * sign-out or at its expiry (never later than the token it was opened with); a revoked user's sessions stop at once
 * (the API checks the user on every request).
 */

export interface WebSession {
  id: string;
  userId: string;
  csrfToken: string;
  expiresAt: Date;
}

type Db = Kysely<Database>;

export async function openWebSession(
  db: Db,
  session: { userId: string; secretHash: string; csrfToken: string; expiresAt: Date },
): Promise<WebSession> {
  const row = await db
    .insertInto('web_sessions')
    .values({
      user_id: session.userId,
      secret_hash: session.secretHash,
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
    })
    .returning(['id', 'user_id', 'csrf_token', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, userId: row.user_id, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

/** The live session whose secret hashes to `secretHash` (not ended, not expired at `now`). */
export async function findWebSession(db: Db, secretHash: string, now: Date): Promise<WebSession | undefined> {
  const row = await db
    .selectFrom('web_sessions')
    .select(['id', 'user_id', 'csrf_token', 'expires_at'])
    .where('secret_hash', '=', secretHash)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row && { id: row.id, userId: row.user_id, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

/** Ends the session (sign-out); true when it was live. */
export async function endWebSession(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('web_sessions')
    .set({ ended_at: now })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
