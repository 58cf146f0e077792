import type { Decision } from '../domain/decisions';
import type { RefusalOriginCode } from './schema';
import type { Kysely } from 'kysely';
import { findActiveRefusalReason } from './admin-queries';
import { documentIdByVersion, userIdOrNull } from './invoices';
import { proFormaIdByNumber } from './pro-formas';
import type { Database } from './schema';

/** A decision on a pro forma (version 0: none was deposited), keyed by the request or workflow step. */
export interface DecisionRecord {
  key: string;
  number: string;
  version: number;
  origin: RefusalOriginCode;
  decision: Decision;
  reasonCode: string | null;
  comment: string | null;
  letter: string | null;
  actor: string;
  at: string;
}

export interface RefusalReason {
  code: string;
  label: string;
  letter: string;
}

export function createDecisionRepository(db: Kysely<Database>) {
  return {
    async recordDecision(record: DecisionRecord): Promise<void> {
      const id = await proFormaIdByNumber(db, record.number);
      const docId = record.version > 0 ? await documentIdByVersion(db, id, record.version) : null;
      await db
        .insertInto('decisions')
        .values({
          pro_forma_id: id,
          document_id: docId,
          origin: record.origin,
          decision: record.decision,
          reason_code: record.reasonCode,
          comment: record.comment,
          letter: record.letter,
          decided_by: userIdOrNull(record.actor),
          request_id: record.key,
          decided_at: record.at,
        })
        .onConflict((oc) => oc.column('request_id').doNothing())
        .execute();
    },

    /** An active reason of the catalogue, as a refusal letter needs it; undefined for an unknown or retired code. */
    async findRefusalReason(code: string): Promise<RefusalReason | undefined> {
      const reason = await findActiveRefusalReason(db, code);
      return reason && { code: reason.code, label: reason.label, letter: reason.letter };
    },
  };
}

export type DecisionRepository = ReturnType<typeof createDecisionRepository>;
