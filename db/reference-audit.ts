import { sql, type Kysely } from 'kysely';
import { USER_TIME_ZONE } from '../domain/dates';
import type { AuditedEntityCode, Database, JsonRecord } from './schema';

/**
 * The audit of reference data (CFAs, mandates, users, portfolios, the refusal catalogue): who changed what, when,
 * before and after. Each row is written by the change itself, in its own transaction (pass the transaction as `db`),
 * so that a change never lands without its row, nor a row without its change. Snapshots never hold a token or its
 * hash.
 */

export type AuditedEntity = AuditedEntityCode;
export const AUDITED_ENTITIES = [
  'CFA',
  'MANDATE',
  'USER',
  'PORTFOLIO',
  'REFUSAL_REASON',
] as const satisfies readonly AuditedEntity[];

export const AUDIT_ACTIONS = [
  'CREATE',
  'UPDATE',
  'REVOKE',
  'TOKEN_REPLACED',
  // A user's own new token, and an invitation (opened, then accepted).
  'TOKEN_ROTATED',
  'INVITE',
  'INVITATION_ACCEPTED',
  'ASSIGN',
  'NEW_VERSION',
  'RETIRE',
  // A CFA user's change of its own settings (« Mon CFA »).
  'UPDATE_SETTINGS',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  entity: AuditedEntity;
  entityId: string;
  action: AuditAction;
  /** The admin who made the change. */
  actor: string | null;
  before: JsonRecord | null;
  after: JsonRecord | null;
}

export interface WrittenAudit {
  id: number;
  at: string;
}

/** Writes one audit row; `db` is the transaction of the change. */
export async function writeAudit(db: Kysely<Database>, entry: AuditEntry): Promise<WrittenAudit> {
  const row = await db
    .insertInto('reference_audit')
    .values({
      entity: entry.entity,
      entity_id: entry.entityId,
      action: entry.action,
      actor: entry.actor,
      before: entry.before === null ? null : JSON.stringify(entry.before),
      after: entry.after === null ? null : JSON.stringify(entry.after),
    })
    .returning(['id', 'at'])
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), at: row.at.toISOString() };
}

/** Whether the audit row is there (committed, as seen from another connection). */
export async function auditExists(db: Kysely<Database>, id: number): Promise<boolean> {
  return (await db.selectFrom('reference_audit').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export interface AuditView {
  id: number;
  entity: AuditedEntity;
  entityId: string;
  action: string;
  actor: { id: string; name: string; email: string } | null;
  before: JsonRecord | null;
  after: JsonRecord | null;
  at: string;
}

export interface AuditFilters {
  entity?: AuditedEntity;
  entityId?: string;
  actor?: string;
  /** First Paris day included (YYYY-MM-DD). */
  from?: string;
  /** Last Paris day included (YYYY-MM-DD). */
  to?: string;
}

/** Midnight in Paris at the start of a calendar day, as an instant (DST-aware, computed by PostgreSQL). */
const parisMidnight = (day: string, plusDays = 0) =>
  sql<Date>`((${day}::date + ${plusDays}::int)::timestamp at time zone ${USER_TIME_ZONE})`;

function filtered(db: Kysely<Database>, filters: AuditFilters) {
  let query = db.selectFrom('reference_audit as a');
  if (filters.entity !== undefined) query = query.where('a.entity', '=', filters.entity);
  if (filters.entityId !== undefined) {
    // reference_audit_entity_idx leads with the entity: an id alone is searched under each entity.
    if (filters.entity === undefined) query = query.where('a.entity', 'in', AUDITED_ENTITIES);
    query = query.where('a.entity_id', '=', filters.entityId);
  }
  if (filters.actor !== undefined) query = query.where('a.actor', '=', filters.actor);
  if (filters.from !== undefined) query = query.where('a.at', '>=', parisMidnight(filters.from));
  if (filters.to !== undefined) query = query.where('a.at', '<', parisMidnight(filters.to, 1));
  return query;
}

function rowsQuery(db: Kysely<Database>, filters: AuditFilters) {
  return (
    filtered(db, filters)
      .leftJoin('users as u', 'u.id', 'a.actor')
      .select([
        'a.id',
        'a.entity',
        'a.entity_id',
        'a.action',
        'a.actor',
        'a.before',
        'a.after',
        'a.at',
        'u.name as actor_name',
        'u.email as actor_email',
      ])
      // Newest first: reference_audit_at_idx (at desc, id desc), or the entity's and the actor's indexes.
      .orderBy('a.at', 'desc')
      .orderBy('a.id', 'desc')
  );
}

type AuditRow = Awaited<ReturnType<ReturnType<typeof rowsQuery>['execute']>>[number];

function toView(row: AuditRow): AuditView {
  return {
    id: Number(row.id),
    entity: row.entity,
    entityId: row.entity_id,
    action: row.action,
    actor: row.actor === null ? null : { id: row.actor, name: row.actor_name ?? '', email: row.actor_email ?? '' },
    before: row.before,
    after: row.after,
    at: row.at.toISOString(),
  };
}

/** A page of the audit, newest first, with the number of rows matching the filters. */
export async function listAudit(
  db: Kysely<Database>,
  filters: AuditFilters,
  page: { page: number; pageSize: number },
): Promise<{ items: AuditView[]; total: number; page: number; pageSize: number }> {
  const [rows, count] = await Promise.all([
    rowsQuery(db, filters)
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute(),
    filtered(db, filters)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toView), total: Number(count.n), ...page };
}

/** The rows of an export, newest first, at most `limit`. */
export async function auditForExport(db: Kysely<Database>, filters: AuditFilters, limit: number): Promise<AuditView[]> {
  return (await rowsQuery(db, filters).limit(limit).execute()).map(toView);
}
