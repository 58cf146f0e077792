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

/** The one lookup of a pro forma's id by its number; fails with NOT_FOUND (a retry cannot create it). */
export async function proFormaIdByNumber(
  db: Kysely<Database> | Transaction<Database>,
  number: string,
): Promise<string> {
  const row = await db.selectFrom('pro_formas').select('id').where('number', '=', number).executeTakeFirst();
  if (!row) throw new DomainError('NOT_FOUND', `Pro forma ${number} absente de la base`);
  return row.id;
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
        const inserted = await trx
          .insertInto('audit_events')
          .values({
            pro_forma_id: id,
            actor: record.actor,
            action: record.action,
            from_status: record.from,
            to_status: record.to,
            details: JSON.stringify({ stage: record.stage }),
            idempotency_key: record.key,
            at: record.at,
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return;
        await trx
          .updateTable('pro_formas')
          .set({ status: record.to, stage: record.stage, ...stampsOf(record) })
          .where('id', '=', id)
          .execute();
      });
    },
  };
}

export type ProFormaRepository = ReturnType<typeof createProFormaRepository>;
