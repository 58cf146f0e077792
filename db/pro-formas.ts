import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../domain/errors';
import type { ProFormaStage, ProFormaStatus } from '../domain/status';
import type { Database, RefusalOriginCode } from './schema';

/** A status change of a pro forma, keyed by workflow id + step so that a retry records it once. */
export interface TransitionRecord {
  /** Idempotency key: workflow id + step. */
  key: string;
  number: string;
  from: ProFormaStatus;
  to: ProFormaStatus;
  stage: ProFormaStage | null;
  action: string;
  actor: string;
  at: string;
  set?: {
    depositedAt?: string;
    decidedAt?: string;
    validatedAt?: string;
    refusedAt?: string;
    paidAt?: string;
    cancelledAt?: string;
    refusalOrigin?: RefusalOriginCode;
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
        const set = record.set ?? {};
        await trx
          .updateTable('pro_formas')
          .set({
            status: record.to,
            stage: record.stage,
            ...(set.depositedAt && { deposited_at: set.depositedAt }),
            ...(set.decidedAt && { decided_at: set.decidedAt }),
            ...(set.validatedAt && { validated_at: set.validatedAt }),
            ...(set.refusedAt && { refused_at: set.refusedAt }),
            ...(set.paidAt && { paid_at: set.paidAt }),
            ...(set.cancelledAt && { cancelled_at: set.cancelledAt }),
            ...(set.refusalOrigin && { refusal_origin: set.refusalOrigin }),
            ...(record.to === 'UNDER_VALIDATION' && record.stage === 'READING' && { refusal_origin: null }),
          })
          .where('id', '=', id)
          .execute();
      });
    },
  };
}

export type ProFormaRepository = ReturnType<typeof createProFormaRepository>;
