import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../domain/errors';
import {
  STAMPS,
  type ProFormaStage,
  type ProFormaStatus,
  type StampedDate,
  type TransitionAction,
} from '../domain/process';
import type { Database } from './schema';
import { userIdOrNull } from './user-ids';

/** A status change of a pro forma, keyed by workflow id + step so that a retry records it once. */
export interface TransitionRecord {
  /** Idempotency key: workflow id + step. */
  key: string;
  number: string;
  from: ProFormaStatus;
  to: ProFormaStatus;
  stage: ProFormaStage | null;
  /** Decides which dates the step stamps (domain/process.ts, STAMPS). */
  action: TransitionAction;
  actor: string;
  at: string;
  /** The date of the payment, when a confirmation gives one other than `at`. */
  paidAt?: string;
  /** What the audit row says beyond the move (a staff action's reason). */
  details?: Record<string, unknown>;
  /** The validation desk's marks the move sets (a first approval, a sampled invoice). */
  desk?: { sampled?: boolean; firstApprovedBy?: string | null };
}

/** A claim taken, taken over or released (null), keyed like a transition. */
export interface ClaimRecord {
  key: string;
  number: string;
  action: 'CLAIM' | 'TAKE_OVER_CLAIM' | 'RELEASE_CLAIM';
  actor: string;
  at: string;
  claim: { userId: string; expiresAt: string } | null;
}

const COLUMN_OF: Record<
  StampedDate,
  'deposited_at' | 'decided_at' | 'validated_at' | 'refused_at' | 'paid_at' | 'cancelled_at'
> = {
  depositedAt: 'deposited_at',
  decidedAt: 'decided_at',
  validatedAt: 'validated_at',
  refusedAt: 'refused_at',
  paidAt: 'paid_at',
  cancelledAt: 'cancelled_at',
};

/** The columns a transition sets besides its status and stage, from what its action stamps. */
function stampsOf(record: TransitionRecord) {
  const { dates, refusalOrigin } = STAMPS[record.action];
  const stamped = Object.fromEntries(
    dates.map((date) => [COLUMN_OF[date], date === 'paidAt' ? (record.paidAt ?? record.at) : record.at]),
  );
  return { ...stamped, ...(refusalOrigin !== undefined && { refusal_origin: refusalOrigin }) };
}

/**
 * The desk's columns a transition sets: every move ends the claim (a claim holds for one stage); a new deposit starts
 * afresh (no review codes, engine, sample or first approval yet).
 */
function deskColumnsOf(record: TransitionRecord) {
  const fresh = record.action === 'DEPOSIT' || record.action === 'REDEPOSIT';
  return {
    claimed_by: null,
    claim_expires_at: null,
    ...(fresh && { review_codes: [], reading_engine: null, sampled: false, first_approved_by: null }),
    ...(record.desk?.sampled !== undefined && { sampled: record.desk.sampled }),
    ...(record.desk?.firstApprovedBy !== undefined && {
      first_approved_by: record.desk.firstApprovedBy === null ? null : userIdOrNull(record.desk.firstApprovedBy),
    }),
  };
}

/** The one lookup of a pro forma's id by its number; fails with NOT_FOUND (a retry cannot create it). */
export async function proFormaIdByNumber(
  db: Kysely<Database> | Transaction<Database>,
  number: string,
): Promise<string> {
  const row = await db.selectFrom('pro_formas').select('id').where('number', '=', number).executeTakeFirst();
  if (!row) throw new DomainError('NOT_FOUND', `Pro forma ${number} absente de la base`);
  return row.id;
}

/**
 * Writes one audit event of a pro forma under its idempotency key (workflow id + step); false when a retry finds it
 * already there, and so must change nothing else.
 */
export async function auditOnce(
  trx: Transaction<Database>,
  event: {
    proFormaId: string;
    key: string;
    actor: string;
    action: string;
    at: string;
    from?: ProFormaStatus;
    to?: ProFormaStatus;
    details: Record<string, unknown> | null;
  },
): Promise<boolean> {
  const inserted = await trx
    .insertInto('audit_events')
    .values({
      pro_forma_id: event.proFormaId,
      actor: event.actor,
      action: event.action,
      from_status: event.from ?? null,
      to_status: event.to ?? null,
      details: JSON.stringify(event.details),
      idempotency_key: event.key,
      at: event.at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export function createProFormaRepository(db: Kysely<Database>) {
  return {
    /** The workflow exists: the generation's reconciliation no longer needs to start it. */
    async recordWorkflowStarted(number: string): Promise<void> {
      await db
        .updateTable('pro_formas')
        .set({ workflow_started_at: new Date() })
        .where('number', '=', number)
        .where('workflow_started_at', 'is', null)
        .execute();
    },

    /** The status change and its audit row, in one transaction; the audit row's key makes a retry a no-op. */
    async recordTransition(record: TransitionRecord): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const id = await proFormaIdByNumber(trx, record.number);
        const recorded = await auditOnce(trx, {
          proFormaId: id,
          key: record.key,
          actor: record.actor,
          action: record.action,
          at: record.at,
          from: record.from,
          to: record.to,
          details: { stage: record.stage, ...record.details },
        });
        if (!recorded) return;
        await trx
          .updateTable('pro_formas')
          .set({ status: record.to, stage: record.stage, ...stampsOf(record), ...deskColumnsOf(record) })
          .where('id', '=', id)
          .execute();
      });
    },

    /** Who holds the item, for the queue (the workflow holds the claim itself); with its audit row. */
    async recordClaim(record: ClaimRecord): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const id = await proFormaIdByNumber(trx, record.number);
        const recorded = await auditOnce(trx, {
          proFormaId: id,
          key: record.key,
          actor: record.actor,
          action: record.action,
          at: record.at,
          details: record.claim && { holder: record.claim.userId, expiresAt: record.claim.expiresAt },
        });
        if (!recorded) return;
        const holder = record.claim ? userIdOrNull(record.claim.userId) : null;
        await trx
          .updateTable('pro_formas')
          .set({ claimed_by: holder, claim_expires_at: holder && record.claim ? record.claim.expiresAt : null })
          .where('id', '=', id)
          .execute();
      });
    },
  };
}

export type ProFormaRepository = ReturnType<typeof createProFormaRepository>;
