import type { Kysely } from 'kysely';
import type { SettlementMode } from '../domain/cost-nature';
import type { Database, UserRoleCode } from './schema';
import { uniquely } from './errors';

/**
 * Reads and writes of the reference data admins manage: CFAs, users and their tokens, mandates, the refusal-reason
 * catalogue. Unique violations surface as UniqueViolationError (db/errors.ts) so the API answers 409.
 */

export interface CfaView {
  id: string;
  siret: string;
  name: string;
  email: string;
  iban: string;
  trusted: boolean;
  creditNoteSettlement: SettlementMode;
  createdAt: string;
  updatedAt: string;
}

export interface NewCfa {
  siret: string;
  name: string;
  email: string;
  iban: string;
  trusted: boolean;
  creditNoteSettlement: SettlementMode;
}

const CFA_COLUMNS = [
  'id',
  'siret',
  'name',
  'email',
  'iban',
  'trusted',
  'credit_note_settlement',
  'created_at',
  'updated_at',
] as const;

function toCfa(row: {
  id: string;
  siret: string;
  name: string;
  email: string;
  iban: string;
  trusted: boolean;
  credit_note_settlement: SettlementMode;
  created_at: Date;
  updated_at: Date;
}): CfaView {
  return {
    id: row.id,
    siret: row.siret,
    name: row.name,
    email: row.email,
    iban: row.iban,
    trusted: row.trusted,
    creditNoteSettlement: row.credit_note_settlement,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function createCfa(db: Kysely<Database>, cfa: NewCfa): Promise<CfaView> {
  const row = await uniquely(() =>
    db
      .insertInto('cfas')
      .values({
        siret: cfa.siret,
        name: cfa.name,
        email: cfa.email,
        iban: cfa.iban,
        trusted: cfa.trusted,
        credit_note_settlement: cfa.creditNoteSettlement,
      })
      .returning(CFA_COLUMNS)
      .executeTakeFirstOrThrow(),
  );
  return toCfa(row);
}

export async function updateCfa(
  db: Kysely<Database>,
  id: string,
  changes: Partial<Omit<NewCfa, 'siret'>>,
): Promise<CfaView | undefined> {
  const row = await db
    .updateTable('cfas')
    .set({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.email !== undefined && { email: changes.email }),
      ...(changes.iban !== undefined && { iban: changes.iban }),
      ...(changes.trusted !== undefined && { trusted: changes.trusted }),
      ...(changes.creditNoteSettlement !== undefined && { credit_note_settlement: changes.creditNoteSettlement }),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returning(CFA_COLUMNS)
    .executeTakeFirst();
  return row && toCfa(row);
}

export async function listCfas(db: Kysely<Database>): Promise<CfaView[]> {
  const rows = await db.selectFrom('cfas').select(CFA_COLUMNS).orderBy('name').orderBy('siret').execute();
  return rows.map(toCfa);
}

export async function cfaExists(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('cfas').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export interface AuthenticatedUser {
  id: string;
  role: UserRoleCode;
  name: string;
  email: string;
  cfaId: string | null;
  revoked: boolean;
}

/** The user holding the token whose SHA-256 is `tokenHash` (revoked or not). */
export async function findUserByTokenHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<AuthenticatedUser | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'role', 'name', 'email', 'cfa_id', 'revoked_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      role: row.role,
      name: row.name,
      email: row.email,
      cfaId: row.cfa_id,
      revoked: row.revoked_at !== null,
    }
  );
}

export interface UserView {
  id: string;
  role: UserRoleCode;
  name: string;
  email: string;
  cfaId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

const USER_COLUMNS = ['id', 'role', 'name', 'email', 'cfa_id', 'created_at', 'revoked_at'] as const;

function toUser(row: {
  id: string;
  role: UserRoleCode;
  name: string;
  email: string;
  cfa_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}): UserView {
  return {
    id: row.id,
    role: row.role,
    name: row.name,
    email: row.email,
    cfaId: row.cfa_id,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at === null ? null : row.revoked_at.toISOString(),
  };
}

/** Creates a user holding the token whose hash is given (the token itself is never stored). */
export async function createUser(
  db: Kysely<Database>,
  user: { role: UserRoleCode; name: string; email: string; cfaId: string | null; tokenHash: string },
): Promise<UserView> {
  const row = await uniquely(() =>
    db
      .insertInto('users')
      .values({
        role: user.role,
        name: user.name,
        email: user.email,
        cfa_id: user.cfaId,
        token_hash: user.tokenHash,
      })
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow(),
  );
  return toUser(row);
}

export async function listUsers(db: Kysely<Database>): Promise<UserView[]> {
  const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('created_at').orderBy('email').execute();
  return rows.map(toUser);
}

/** Revokes the user's token (idempotent: a revoked token keeps its first revocation time). */
export async function revokeUser(db: Kysely<Database>, id: string): Promise<UserView | undefined> {
  await db
    .updateTable('users')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/** Gives the user a new token (the old one stops working), and lifts a revocation. */
export async function replaceUserToken(
  db: Kysely<Database>,
  id: string,
  tokenHash: string,
): Promise<UserView | undefined> {
  const row = await db
    .updateTable('users')
    .set({ token_hash: tokenHash, revoked_at: null })
    .where('id', '=', id)
    .returning(USER_COLUMNS)
    .executeTakeFirst();
  return row && toUser(row);
}

export interface MandateView {
  id: string;
  cfaId: string;
  validFrom: string;
  validTo: string | null;
  createdAt: string;
}

export async function createMandate(
  db: Kysely<Database>,
  mandate: { cfaId: string; validFrom: string; validTo: string | null },
): Promise<MandateView> {
  const row = await db
    .insertInto('mandates')
    .values({ cfa_id: mandate.cfaId, valid_from: mandate.validFrom, valid_to: mandate.validTo })
    .returning(['id', 'cfa_id', 'valid_from', 'valid_to', 'created_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    cfaId: row.cfa_id,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    createdAt: row.created_at.toISOString(),
  };
}

export interface RefusalReasonView {
  code: string;
  label: string;
  letter: string;
  automatic: boolean;
  active: boolean;
}

export async function listRefusalReasons(db: Kysely<Database>): Promise<RefusalReasonView[]> {
  return db
    .selectFrom('refusal_reasons')
    .select(['code', 'label', 'letter', 'automatic', 'active'])
    .orderBy('code')
    .execute();
}

/** An active reason of the catalogue, or undefined. */
export async function findActiveRefusalReason(
  db: Kysely<Database>,
  code: string,
): Promise<RefusalReasonView | undefined> {
  return db
    .selectFrom('refusal_reasons')
    .select(['code', 'label', 'letter', 'automatic', 'active'])
    .where('code', '=', code)
    .where('active', '=', true)
    .executeTakeFirst();
}

export async function createRefusalReason(
  db: Kysely<Database>,
  reason: { code: string; label: string; letter: string },
): Promise<RefusalReasonView> {
  return uniquely(() =>
    db
      .insertInto('refusal_reasons')
      .values({ code: reason.code, label: reason.label, letter: reason.letter, automatic: false })
      .returning(['code', 'label', 'letter', 'automatic', 'active'])
      .executeTakeFirstOrThrow(),
  );
}
