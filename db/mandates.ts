import type { Kysely } from 'kysely';
import type { Scope } from './pro-forma-summary';
import type { Database } from './schema';
import { cfaRestriction } from './scope';

/**
 * Billing mandates as the CFA and the Opco read them (with their signed document, when one was uploaded), and the
 * mandates whose expiry the CFA is to be told about (workflows/mandate-expiry.ts). Created by db/admin-queries.ts.
 */

export interface MandateDocumentView {
  sha256: string;
  fileName: string;
  mimeType: 'application/pdf';
  size: number;
  uploadedBy: string | null;
  uploadedAt: string;
}

export interface MandateListItem {
  id: string;
  cfaId: string;
  validFrom: string;
  validTo: string | null;
  createdAt: string;
  document: MandateDocumentView | null;
  expiryNotifiedAt: string | null;
}

const COLUMNS = [
  'id',
  'cfa_id',
  'valid_from',
  'valid_to',
  'created_at',
  'document_sha256',
  'document_file_name',
  'document_mime_type',
  'document_size_bytes',
  'uploaded_by',
  'uploaded_at',
  'expiry_notified_at',
] as const;

type Row = {
  id: string;
  cfa_id: string;
  valid_from: string;
  valid_to: string | null;
  created_at: Date;
  document_sha256: string | null;
  document_file_name: string | null;
  document_mime_type: 'application/pdf' | null;
  document_size_bytes: number | null;
  uploaded_by: string | null;
  uploaded_at: Date | null;
  expiry_notified_at: Date | null;
};

export function toMandate(r: Row): MandateListItem {
  return {
    id: r.id,
    cfaId: r.cfa_id,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    createdAt: r.created_at.toISOString(),
    document:
      r.document_sha256 !== null &&
      r.document_file_name !== null &&
      r.document_mime_type !== null &&
      r.document_size_bytes !== null &&
      r.uploaded_at !== null
        ? {
            sha256: r.document_sha256,
            fileName: r.document_file_name,
            mimeType: r.document_mime_type,
            size: Number(r.document_size_bytes),
            uploadedBy: r.uploaded_by,
            uploadedAt: r.uploaded_at.toISOString(),
          }
        : null,
    expiryNotifiedAt: r.expiry_notified_at?.toISOString() ?? null,
  };
}

export const MANDATE_COLUMNS = COLUMNS;

/** The mandates within the scope (a CFA user: its CFA's; staff: every CFA's, or `cfaId`'s), newest start first. */
export async function listMandates(
  db: Kysely<Database>,
  scope: Scope,
  filters: { cfaId?: string },
): Promise<MandateListItem[]> {
  let query = db.selectFrom('mandates').select(COLUMNS);
  const restriction = cfaRestriction('cfa_id', scope, filters.cfaId);
  if (restriction) query = query.where(restriction);
  const rows = await query.orderBy('valid_from', 'desc').orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(toMandate);
}

/** One mandate within the scope (another CFA's is not found). */
export async function findMandate(
  db: Kysely<Database>,
  scope: Scope,
  id: string,
): Promise<MandateListItem | undefined> {
  let query = db.selectFrom('mandates').select(COLUMNS).where('id', '=', id);
  const restriction = cfaRestriction('cfa_id', scope);
  if (restriction) query = query.where(restriction);
  const row = await query.executeTakeFirst();
  return row ? toMandate(row) : undefined;
}

export interface ExpiringMandate {
  id: string;
  cfaId: string;
  cfaName: string;
  cfaEmail: string;
  validFrom: string;
  validTo: string;
}

/**
 * The mandates ending between `today` and `until` (inclusive, Paris dates) whose CFA has not been told yet
 * (mandates_expiry_reminder_idx).
 */
export async function listExpiringMandates(
  db: Kysely<Database>,
  today: string,
  until: string,
): Promise<ExpiringMandate[]> {
  const rows = await db
    .selectFrom('mandates as m')
    .innerJoin('cfas as c', 'c.id', 'm.cfa_id')
    .select(['m.id', 'm.cfa_id', 'c.name', 'c.email', 'm.valid_from', 'm.valid_to'])
    .where('m.valid_to', 'is not', null)
    .where('m.expiry_notified_at', 'is', null)
    .where('m.valid_to', '>=', today)
    .where('m.valid_to', '<=', until)
    .orderBy('m.valid_to')
    .orderBy('m.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    cfaId: r.cfa_id,
    cfaName: r.name,
    cfaEmail: r.email,
    validFrom: r.valid_from,
    validTo: r.valid_to as string,
  }));
}

/** Records that the CFA was told (once: a second call keeps the first time). */
export async function markExpiryNotified(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('mandates')
    .set({ expiry_notified_at: new Date() })
    .where('id', '=', id)
    .where('expiry_notified_at', 'is', null)
    .execute();
}
