import { sql, type Kysely, type Transaction } from 'kysely';
import { isRight, normalizeRights, type Right } from '../domain/rights';
import { uniquely } from './errors';
import { replacePortfolioIn } from './portfolios';
import { writeAudit } from './reference-audit';
import type { Database, JsonRecord, UserRoleCode } from './schema';

/**
 * Users, their rights and CFAs, their tokens and invitations. Tokens and invitation links are stored as their SHA-256
 * only. Every change audits itself (db/reference-audit.ts, entity USER) in its own transaction; the audit never
 * holds a token nor its hash.
 */

/** Who makes a change (a user's id; null for the service's own seeding). */
export interface UserChangeOptions {
  actor?: string | null;
}

export type UserStatus = 'INVITED' | 'ACTIVE' | 'REVOKED';

export interface UserView {
  id: string;
  role: UserRoleCode;
  name: string;
  email: string;
  /** The first of `cfaIds` (null for staff): the one CFA of the first contract's users. */
  cfaId: string | null;
  cfaIds: string[];
  rights: Right[];
  /** INVITED: no token yet (an invitation may be open); ACTIVE: holds a token; REVOKED. */
  status: UserStatus;
  tokenExpiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface AuthenticatedUser {
  id: string;
  role: UserRoleCode;
  name: string;
  email: string;
  rights: Right[];
  cfaIds: string[];
  revoked: boolean;
  tokenExpiresAt: Date | null;
}

type Db = Kysely<Database>;

/** The user's CFA ids, in a stable order (a subquery of a select from `users`). */
const cfaIdsColumn = sql<
  string[]
>`coalesce((select array_agg(uc.cfa_id::text order by uc.cfa_id) from user_cfas uc where uc.user_id = users.id), '{}')`.as(
  'cfa_ids',
);

function userColumns(db: Db) {
  return db
    .selectFrom('users')
    .select([
      'id',
      'role',
      'name',
      'email',
      'rights',
      'token_hash',
      'token_expires_at',
      'created_at',
      'revoked_at',
      cfaIdsColumn,
    ]);
}

type UserRow = {
  id: string;
  role: UserRoleCode;
  name: string;
  email: string;
  rights: string[];
  token_hash: string | null;
  token_expires_at: Date | null;
  created_at: Date;
  revoked_at: Date | null;
  cfa_ids: string[];
};

function rightsOf(stored: readonly string[]): Right[] {
  return normalizeRights(stored.filter(isRight));
}

function toUser(row: UserRow): UserView {
  return {
    id: row.id,
    role: row.role,
    name: row.name,
    email: row.email,
    cfaId: row.cfa_ids[0] ?? null,
    cfaIds: row.cfa_ids,
    rights: rightsOf(row.rights),
    status: row.revoked_at !== null ? 'REVOKED' : row.token_hash === null ? 'INVITED' : 'ACTIVE',
    tokenExpiresAt: row.token_expires_at === null ? null : row.token_expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at === null ? null : row.revoked_at.toISOString(),
  };
}

/** What the audit keeps of a user: never its token nor the token's hash. */
function snapshot(user: UserView): JsonRecord {
  return {
    role: user.role,
    name: user.name,
    email: user.email,
    cfaIds: user.cfaIds,
    rights: user.rights,
    status: user.status,
    tokenExpiresAt: user.tokenExpiresAt,
    revokedAt: user.revokedAt,
  };
}

async function lockedUser(trx: Transaction<Database>, id: string): Promise<UserView | undefined> {
  // Locks the user's row (not the subquery's): concurrent changes of the same user are serialized.
  const locked = await trx.selectFrom('users').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
  if (!locked) return undefined;
  const row = await userColumns(trx).where('id', '=', id).executeTakeFirstOrThrow();
  return toUser(row);
}

async function replaceCfas(trx: Transaction<Database>, userId: string, cfaIds: readonly string[]): Promise<void> {
  await trx.deleteFrom('user_cfas').where('user_id', '=', userId).execute();
  const unique = [...new Set(cfaIds)];
  if (unique.length > 0) {
    await trx
      .insertInto('user_cfas')
      .values(unique.map((cfaId) => ({ user_id: userId, cfa_id: cfaId })))
      .execute();
  }
}

/** The user holding the token whose SHA-256 is `tokenHash` (revoked, expired or not). */
export async function findUserByTokenHash(db: Db, tokenHash: string): Promise<AuthenticatedUser | undefined> {
  const row = await userColumns(db).where('token_hash', '=', tokenHash).executeTakeFirst();
  return (
    row && {
      id: row.id,
      role: row.role,
      name: row.name,
      email: row.email,
      rights: rightsOf(row.rights),
      cfaIds: row.cfa_ids,
      revoked: row.revoked_at !== null,
      tokenExpiresAt: row.token_expires_at,
    }
  );
}

export interface NewUser {
  role: UserRoleCode;
  name: string;
  email: string;
  /** At least one for a cfa user, none for staff (the caller checks). */
  cfaIds: readonly string[];
  rights: readonly Right[];
  /** Null: the user gets its token by accepting an invitation. */
  tokenHash: string | null;
  tokenExpiresAt: Date | null;
}

export interface InvitationRequest {
  expiresAt: Date;
  /** Runs in the transaction once the invitation is written (starts the workflow that e-mails it). */
  beforeCommit?: (invitation: OpenedInvitation) => Promise<void>;
}

export interface OpenedInvitation {
  id: string;
  userId: string;
  expiresAt: string;
}

async function openInvitationIn(
  trx: Transaction<Database>,
  userId: string,
  request: InvitationRequest,
  actor: string | null,
): Promise<OpenedInvitation> {
  const now = new Date();
  // A new link replaces the open one: only the latest e-mail works.
  await trx
    .updateTable('invitations')
    .set({ cancelled_at: now })
    .where('user_id', '=', userId)
    .where('accepted_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .execute();
  const row = await trx
    .insertInto('invitations')
    .values({ user_id: userId, created_by: actor, expires_at: request.expiresAt })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  const opened = { id: row.id, userId, expiresAt: row.expires_at.toISOString() };
  await writeAudit(trx, {
    entity: 'USER',
    entityId: userId,
    action: 'INVITE',
    actor,
    before: null,
    after: { expiresAt: opened.expiresAt },
  });
  await request.beforeCommit?.(opened);
  return opened;
}

/** Creates a user (its token given by hash, or an invitation opened for it). */
export async function createUser(
  db: Db,
  user: NewUser,
  options: UserChangeOptions & { invitation?: InvitationRequest } = {},
): Promise<UserView & { invitation?: OpenedInvitation }> {
  return db.transaction().execute(async (trx) => {
    const inserted = await uniquely(() =>
      trx
        .insertInto('users')
        .values({
          role: user.role,
          name: user.name,
          email: user.email,
          rights: normalizeRights(user.rights),
          token_hash: user.tokenHash,
          token_expires_at: user.tokenExpiresAt,
          created_by: options.actor ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    await replaceCfas(trx, inserted.id, user.cfaIds);
    const created = toUser(await userColumns(trx).where('id', '=', inserted.id).executeTakeFirstOrThrow());
    await writeAudit(trx, {
      entity: 'USER',
      entityId: created.id,
      action: 'CREATE',
      actor: options.actor ?? null,
      before: null,
      after: snapshot(created),
    });
    if (!options.invitation) return created;
    const invitation = await openInvitationIn(trx, created.id, options.invitation, options.actor ?? null);
    return { ...created, invitation };
  });
}

/** Every user, or those acting for one of `cfaIds`, by creation. */
export async function listUsers(db: Db, filter: { cfaIds?: readonly string[] } = {}): Promise<UserView[]> {
  let query = userColumns(db);
  const cfaIds = filter.cfaIds;
  if (cfaIds !== undefined) {
    if (cfaIds.length === 0) return [];
    query = query.where('id', 'in', (eb) =>
      eb
        .selectFrom('user_cfas')
        .select('user_id')
        .where('cfa_id', 'in', [...cfaIds]),
    );
  }
  const rows = await query.orderBy('created_at').orderBy('email').execute();
  return rows.map(toUser);
}

export async function findUser(db: Db, id: string): Promise<UserView | undefined> {
  const row = await userColumns(db).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export interface UserChanges {
  role?: UserRoleCode;
  name?: string;
  email?: string;
  /** Replaces the user's CFAs. */
  cfaIds?: readonly string[];
  /** Replaces the user's rights. */
  rights?: readonly Right[];
}

/**
 * Changes a user (the caller gives a consistent whole: a cfa user has CFAs, staff none; rights its role may hold). A
 * validator who stops being one leaves its portfolio: the CFAs it looked after are everyone's again (audited).
 */
export async function updateUser(
  db: Db,
  id: string,
  changes: UserChanges,
  options: UserChangeOptions = {},
): Promise<UserView | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await lockedUser(trx, id);
    if (!before) return undefined;
    await uniquely(() =>
      trx
        .updateTable('users')
        .set({
          ...(changes.role !== undefined && { role: changes.role }),
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.email !== undefined && { email: changes.email }),
          ...(changes.rights !== undefined && { rights: normalizeRights(changes.rights) }),
        })
        .where('id', '=', id)
        .execute(),
    );
    if (changes.cfaIds !== undefined) await replaceCfas(trx, id, changes.cfaIds);
    const after = toUser(await userColumns(trx).where('id', '=', id).executeTakeFirstOrThrow());
    if (JSON.stringify(snapshot(before)) === JSON.stringify(snapshot(after))) return after;
    await writeAudit(trx, {
      entity: 'USER',
      entityId: id,
      action: 'UPDATE',
      actor: options.actor ?? null,
      before: snapshot(before),
      after: snapshot(after),
    });
    if (before.role === 'validator' && after.role !== 'validator') {
      await replacePortfolioIn(trx, id, [], options.actor ?? null);
    }
    return after;
  });
}

/**
 * Revokes the user: its token stops working and its open invitation is cancelled (idempotent: a revoked user keeps
 * its first revocation time, and is audited once).
 */
export async function revokeUser(db: Db, id: string, options: UserChangeOptions = {}): Promise<UserView | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await lockedUser(trx, id);
    if (!before || before.revokedAt !== null) return before;
    const now = new Date();
    await trx.updateTable('users').set({ revoked_at: now }).where('id', '=', id).execute();
    await trx
      .updateTable('invitations')
      .set({ cancelled_at: now })
      .where('user_id', '=', id)
      .where('accepted_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .execute();
    const after = toUser(await userColumns(trx).where('id', '=', id).executeTakeFirstOrThrow());
    await writeAudit(trx, {
      entity: 'USER',
      entityId: id,
      action: 'REVOKE',
      actor: options.actor ?? null,
      before: snapshot(before),
      after: snapshot(after),
    });
    return after;
  });
}

/**
 * Gives the user a new token (the old one stops working at once), and lifts a revocation. `TOKEN_REPLACED` by an
 * admin, `TOKEN_ROTATED` by the user itself.
 */
export async function replaceUserToken(
  db: Db,
  id: string,
  token: { hash: string; expiresAt: Date | null },
  options: UserChangeOptions & { action?: 'TOKEN_REPLACED' | 'TOKEN_ROTATED' } = {},
): Promise<UserView | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await lockedUser(trx, id);
    if (!before) return undefined;
    await trx
      .updateTable('users')
      .set({ token_hash: token.hash, token_expires_at: token.expiresAt, revoked_at: null })
      .where('id', '=', id)
      .execute();
    const after = toUser(await userColumns(trx).where('id', '=', id).executeTakeFirstOrThrow());
    await writeAudit(trx, {
      entity: 'USER',
      entityId: id,
      action: options.action ?? 'TOKEN_REPLACED',
      actor: options.actor ?? null,
      before: snapshot(before),
      after: snapshot(after),
    });
    return after;
  });
}

/** Opens a new invitation for the user (the open one, if any, stops working); undefined for an unknown user. */
export async function inviteUser(
  db: Db,
  userId: string,
  request: InvitationRequest,
  options: UserChangeOptions = {},
): Promise<OpenedInvitation | undefined> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockedUser(trx, userId))) return undefined;
    return openInvitationIn(trx, userId, request, options.actor ?? null);
  });
}

export interface InvitationToSend {
  email: string;
  name: string;
  expiresAt: Date;
  invitedByName: string | null;
  cfaNames: string[];
}

/**
 * Stores the SHA-256 of the invitation link's secret, if the invitation is still open and unexpired, and returns
 * what its e-mail says; undefined when there is nothing (or nothing any more) to send, `missing` when the row is not
 * visible (not committed yet, or rolled back).
 */
export async function armInvitation(
  db: Db,
  invitationId: string,
  secretHash: string,
  now: Date,
): Promise<InvitationToSend | 'missing' | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('invitations as i')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .leftJoin('users as by', 'by.id', 'i.created_by')
      .select([
        'i.id',
        'i.user_id',
        'i.expires_at',
        'i.accepted_at',
        'i.cancelled_at',
        'u.email',
        'u.name',
        'by.name as invited_by_name',
      ])
      .where('i.id', '=', invitationId)
      .forUpdate('i')
      .executeTakeFirst();
    if (!row) return 'missing';
    if (row.accepted_at !== null || row.cancelled_at !== null || row.expires_at <= now) return undefined;
    await trx.updateTable('invitations').set({ token_hash: secretHash }).where('id', '=', invitationId).execute();
    const cfas = await trx
      .selectFrom('user_cfas as uc')
      .innerJoin('cfas as c', 'c.id', 'uc.cfa_id')
      .select('c.name')
      .where('uc.user_id', '=', row.user_id)
      .orderBy('c.name')
      .execute();
    return {
      email: row.email,
      name: row.name,
      expiresAt: row.expires_at,
      invitedByName: row.invited_by_name,
      cfaNames: cfas.map((c) => c.name),
    };
  });
}

export async function markInvitationSent(db: Db, invitationId: string): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ sent_at: new Date() })
    .where('id', '=', invitationId)
    .where('sent_at', 'is', null)
    .execute();
}

export type AcceptOutcome =
  | { kind: 'accepted'; user: UserView }
  | { kind: 'unknown' }
  | { kind: 'used' }
  | { kind: 'cancelled' }
  | { kind: 'expired' };

/**
 * Accepts the invitation whose link secret hashes to `secretHash`: once. The user gets the token whose hash is given
 * (its old token, if any, stops working) and a revocation is lifted.
 */
export async function acceptInvitation(
  db: Db,
  secretHash: string,
  token: { hash: string; expiresAt: Date | null },
  now: Date,
): Promise<AcceptOutcome> {
  return db.transaction().execute(async (trx): Promise<AcceptOutcome> => {
    const invitation = await trx
      .selectFrom('invitations')
      .select(['id', 'user_id', 'expires_at', 'accepted_at', 'cancelled_at'])
      .where('token_hash', '=', secretHash)
      .forUpdate()
      .executeTakeFirst();
    if (!invitation) return { kind: 'unknown' };
    if (invitation.accepted_at !== null) return { kind: 'used' };
    if (invitation.cancelled_at !== null) return { kind: 'cancelled' };
    if (invitation.expires_at <= now) return { kind: 'expired' };
    const before = await lockedUser(trx, invitation.user_id);
    if (!before) return { kind: 'unknown' };
    await trx.updateTable('invitations').set({ accepted_at: now }).where('id', '=', invitation.id).execute();
    await trx
      .updateTable('users')
      .set({ token_hash: token.hash, token_expires_at: token.expiresAt, revoked_at: null })
      .where('id', '=', invitation.user_id)
      .execute();
    const after = toUser(await userColumns(trx).where('id', '=', invitation.user_id).executeTakeFirstOrThrow());
    await writeAudit(trx, {
      entity: 'USER',
      entityId: after.id,
      action: 'INVITATION_ACCEPTED',
      actor: after.id,
      before: snapshot(before),
      after: snapshot(after),
    });
    return { kind: 'accepted', user: after };
  });
}

/** The open invitation of each user among `userIds` (its expiry and whether it was e-mailed). */
export async function openInvitations(
  db: Db,
  userIds: readonly string[],
): Promise<Map<string, { expiresAt: string; sentAt: string | null }>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('invitations')
    .select(['user_id', 'expires_at', 'sent_at'])
    .where('user_id', 'in', [...userIds])
    .where('accepted_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .execute();
  return new Map(
    rows.map((r) => [
      r.user_id,
      { expiresAt: r.expires_at.toISOString(), sentAt: r.sent_at === null ? null : r.sent_at.toISOString() },
    ]),
  );
}

/** The ids of the CFAs among `ids` that exist. */
export async function existingCfas(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('cfas')
    .select('id')
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return rows.map((r) => r.id);
}

/** The CFAs named, by name: what a user sees of the CFAs it acts for. */
export async function cfaRefs(db: Db, ids: readonly string[]): Promise<{ id: string; siret: string; name: string }[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('cfas')
    .select(['id', 'siret', 'name'])
    .where('id', 'in', [...ids])
    .orderBy('name')
    .orderBy('siret')
    .execute();
}
