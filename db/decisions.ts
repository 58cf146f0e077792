import type { Decision } from '../domain/decisions';
import type { RefusalOriginCode } from './schema';
import type { Kysely } from 'kysely';
import { documentIdByVersion } from './invoices';
import { userIdOrNull } from './user-ids';
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
  /** The catalogue version of the refusal reason (absent from steps recorded before versions). */
  reasonVersion?: number | null;
  actor: string;
  at: string;
}

export interface RefusalReason {
  code: string;
  label: string;
  letter: string;
  /** The catalogue version whose label and letter these are. */
  version: number;
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
          reason_version: record.reasonVersion ?? null,
          decided_by: userIdOrNull(record.actor),
          request_id: record.key,
          decided_at: record.at,
        })
        .onConflict((oc) => oc.column('request_id').doNothing())
        .execute();
    },

    /** An active reason of the catalogue, as a refusal letter needs it; undefined for an unknown or retired code. */
    async findRefusalReason(code: string): Promise<RefusalReason | undefined> {
      return db
        .selectFrom('refusal_reasons')
        .select(['code', 'label', 'letter', 'version'])
        .where('code', '=', code)
        .where('active', '=', true)
        .executeTakeFirst();
    },
  };
}

export type DecisionRepository = ReturnType<typeof createDecisionRepository>;
