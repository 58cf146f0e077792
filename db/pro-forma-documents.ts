import type { Kysely } from 'kysely';
import { CONTROL_CODES, type ControlCode, type ControlOutcome } from '../domain/controls';
import type { FieldPositions, InvoiceFields } from '../domain/reading';
import type { Scope } from './pro-forma-summary';
import type { Database, ExtractionEngineCode } from './schema';
import { cfaRestriction } from './scope';

/** The invoices deposited on a pro forma: their versions, the reading of the latest, its controls, a file. */

export interface DocumentView {
  version: number;
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface ExtractionDetailView {
  version: number;
  engine: ExtractionEngineCode;
  fields: InvoiceFields;
  fieldConfidences: Record<string, number>;
  /** Where the values were found on the pages: `{}` when nowhere or not recorded. */
  fieldPositions: FieldPositions;
  confidence: number | null;
  error: string | null;
}

export interface ControlView {
  code: string;
  passed: boolean;
  outcome: ControlOutcome;
  message: string;
  reasonCode: string | null;
}

/** The deposited versions of a pro forma's invoice, oldest first (the last one is the latest). */
export async function proFormaDocuments(
  db: Kysely<Database>,
  proFormaId: string,
): Promise<(DocumentView & { id: string })[]> {
  const rows = await db
    .selectFrom('documents')
    .select(['id', 'version', 'file_name', 'mime_type', 'size_bytes', 'sha256', 'uploaded_at'])
    .where('pro_forma_id', '=', proFormaId)
    .orderBy('version')
    .execute();
  return rows.map((d) => ({
    id: d.id,
    version: d.version,
    fileName: d.file_name,
    mimeType: d.mime_type,
    size: d.size_bytes,
    sha256: d.sha256,
    uploadedAt: d.uploaded_at.toISOString(),
  }));
}

export async function documentExtraction(
  db: Kysely<Database>,
  documentId: string,
  version: number,
): Promise<ExtractionDetailView | null> {
  const row = await db
    .selectFrom('extractions')
    .select(['engine', 'fields', 'field_confidences', 'field_positions', 'confidence', 'error'])
    .where('document_id', '=', documentId)
    .executeTakeFirst();
  if (!row) return null;
  const fields = row.fields;
  const text = (key: string): string | null => (typeof fields[key] === 'string' ? (fields[key] as string) : null);
  const total = fields.totalCents;
  return {
    version,
    engine: row.engine,
    fields: {
      invoiceNumber: text('invoiceNumber'),
      proFormaNumber: text('proFormaNumber'),
      totalCents: typeof total === 'number' ? total : null,
      issueDate: text('issueDate'),
      siret: text('siret'),
      siren: text('siren'),
      vatId: text('vatId'),
      iban: text('iban'),
      currency: text('currency'),
    },
    fieldConfidences: row.field_confidences ?? {},
    fieldPositions: row.field_positions ?? {},
    confidence: row.confidence,
    error: row.error,
  };
}

export async function documentControls(db: Kysely<Database>, documentId: string): Promise<ControlView[]> {
  const rows = await db
    .selectFrom('control_results')
    .select(['code', 'outcome', 'passed', 'message', 'reason_code'])
    .where('document_id', '=', documentId)
    .execute();
  const rank = (code: string) => {
    const index = CONTROL_CODES.indexOf(code as ControlCode);
    return index < 0 ? CONTROL_CODES.length : index;
  };
  return rows
    .sort((a, b) => rank(a.code) - rank(b.code) || a.code.localeCompare(b.code))
    .map((r) => ({
      code: r.code,
      passed: r.passed,
      outcome: r.outcome,
      message: r.message,
      reasonCode: r.reason_code,
    }));
}

/** A deposited version of a pro forma's invoice, within the scope. */
export async function findDocument(db: Kysely<Database>, scope: Scope, number: string, version: number) {
  let query = db
    .selectFrom('documents as d')
    .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
    .select(['d.file_name', 'd.mime_type', 'd.size_bytes', 'd.sha256', 'd.storage_key'])
    .where('p.number', '=', number)
    .where('d.version', '=', version);
  const restriction = cfaRestriction('p.cfa_id', scope);
  if (restriction) query = query.where(restriction);
  const row = await query.executeTakeFirst();
  return (
    row && {
      fileName: row.file_name,
      mimeType: row.mime_type,
      size: row.size_bytes,
      sha256: row.sha256,
      storageKey: row.storage_key,
    }
  );
}
