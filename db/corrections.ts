import type { Kysely } from 'kysely';
import type { FieldChange } from '../domain/desk';
import { documentIdByVersion } from './invoices';
import { auditOnce, proFormaIdByNumber } from './pro-formas';
import type { Database } from './schema';
import { userIdOrNull } from './user-ids';

/** A validator's correction of a reading (one or several fields), keyed by its workflow step. */
export interface CorrectionRecord {
  key: string;
  number: string;
  version: number;
  changes: FieldChange[];
  justification: string;
  actor: string;
  at: string;
}

export interface CorrectionView {
  version: number;
  field: FieldChange['field'];
  before: string | number | null;
  after: string | number | null;
  justification: string;
  author: { id: string; name: string | null };
  at: string;
}

/**
 * Corrections of what was read: kept beside the reading (never instead of it, never in the deposited file), with their
 * author, before and after; the pro forma's history gets one row per correction, in the same transaction.
 */
export function createCorrectionRepository(db: Kysely<Database>) {
  return {
    async recordCorrection(record: CorrectionRecord): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const id = await proFormaIdByNumber(trx, record.number);
        const documentId = await documentIdByVersion(trx, id, record.version);
        const recorded = await auditOnce(trx, {
          proFormaId: id,
          key: record.key,
          actor: record.actor,
          action: 'CORRECT_READING',
          at: record.at,
          details: { version: record.version, changes: record.changes, justification: record.justification },
        });
        if (!recorded) return;
        const author = userIdOrNull(record.actor);
        if (author !== null) {
          await trx
            .insertInto('reading_corrections')
            .values(
              record.changes.map((change) => ({
                pro_forma_id: id,
                document_id: documentId,
                field: change.field,
                before: JSON.stringify(change.before),
                after: JSON.stringify(change.after),
                justification: record.justification,
                corrected_by: author,
                idempotency_key: `${record.key}:${change.field}`,
                corrected_at: record.at,
              })),
            )
            .execute();
        }
        const invoiceNumber = record.changes.find((c) => c.field === 'invoiceNumber');
        if (invoiceNumber) {
          await trx
            .updateTable('pro_formas')
            .set({ invoice_number: invoiceNumber.after === null ? null : String(invoiceNumber.after) })
            .where('id', '=', id)
            .execute();
        }
      });
    },
  };
}

/** A pro forma's corrections, oldest first. */
export async function proFormaCorrections(db: Kysely<Database>, proFormaId: string): Promise<CorrectionView[]> {
  const rows = await db
    .selectFrom('reading_corrections as c')
    .innerJoin('documents as d', 'd.id', 'c.document_id')
    .leftJoin('users as u', 'u.id', 'c.corrected_by')
    .select([
      'd.version',
      'c.field',
      'c.before',
      'c.after',
      'c.justification',
      'c.corrected_by',
      'u.name',
      'c.corrected_at',
    ])
    .where('c.pro_forma_id', '=', proFormaId)
    .orderBy('c.corrected_at')
    .orderBy('c.id')
    .execute();
  return rows.map((r) => ({
    version: r.version,
    field: r.field as FieldChange['field'],
    before: r.before as string | number | null,
    after: r.after as string | number | null,
    justification: r.justification,
    author: { id: r.corrected_by, name: r.name },
    at: r.corrected_at.toISOString(),
  }));
}
