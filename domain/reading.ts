/**
 * What every reading engine returns: the same field set whichever engine read the document, so the automatic
 * controls never care where a value came from, only how sure we are of it.
 */

export const INVOICE_FIELD_NAMES = [
  'invoiceNumber',
  'proFormaNumber',
  'totalCents',
  'issueDate',
  'siret',
  'siren',
  'vatId',
  'iban',
  'currency',
] as const;

export type InvoiceFieldName = (typeof INVOICE_FIELD_NAMES)[number];

export interface InvoiceFields {
  invoiceNumber: string | null;
  /** `PRO-` + 8 digits, as recalled on the invoice. */
  proFormaNumber: string | null;
  /** Amount to pay (TTC, net of prepayments) in integer cents; negative for credit notes. */
  totalCents: number | null;
  /** `YYYY-MM-DD`. */
  issueDate: string | null;
  /** 14 digits. */
  siret: string | null;
  /** 9 digits. */
  siren: string | null;
  /** Spaces removed, upper case. */
  vatId: string | null;
  /** Spaces removed, upper case (not checked here: the controls check mod 97). */
  iban: string | null;
  /** ISO 4217. */
  currency: string | null;
}

/**
 * 0..1 per field: how sure the reader is of what it reports. For a value, that the document prints it; for null,
 * that the document prints no such field (1 only when a text layer has nothing of the field's shape; 0 when the
 * field was merely not found).
 */
export type FieldConfidences = Record<InvoiceFieldName, number>;

/** How a document was read, best first; NONE: nothing could be read. */
export const EXTRACTION_ENGINES = ['FACTURX', 'TEXT_LAYER', 'OCR', 'NONE'] as const;
export type ExtractionEngine = (typeof EXTRACTION_ENGINES)[number];

export const EXTRACTION_ERROR_CODES = [
  'UNSUPPORTED_FORMAT',
  'PDF_ENCRYPTED',
  'PDF_UNREADABLE',
  'PDF_TOO_MANY_PAGES',
  'PDF_DECODED_TOO_LARGE',
  'IMAGE_UNREADABLE',
  'IMAGE_TOO_LARGE',
  'OCR_TIMEOUT',
  'OCR_FAILED',
  'OCR_UNAVAILABLE',
  'NOTHING_READ',
  'EXTRACTION_FAILED',
  'READ_TIMEOUT',
  'READ_MEMORY_EXCEEDED',
] as const;

export type ExtractionErrorCode = (typeof EXTRACTION_ERROR_CODES)[number];

export interface ExtractionError {
  code: ExtractionErrorCode;
  /** French: shown to validators as is. */
  message: string;
  /** Technical cause (library message), for the logs, not for users. */
  detail?: string;
}

/**
 * Where a field's value is printed: a box on one page (1-based), in fractions of the page's width and height from
 * its top-left corner, as the page is shown (its rotation applied), so any rendering of the page at any size can
 * draw it.
 */
export interface FieldPosition {
  page: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The fields whose value was found on the page; a field read from structured data (Factur-X) has none. */
export type FieldPositions = Partial<Record<InvoiceFieldName, FieldPosition>>;

export interface ExtractionResult {
  engine: ExtractionEngine;
  fields: InvoiceFields;
  fieldConfidences: FieldConfidences;
  /** Overall 0..1; 0 for NONE. */
  confidence: number;
  /** Pages of the PDF (1 for an image, 0 when the document could not be opened). */
  pageCount: number;
  durationMs: number;
  /** Why nothing (or not everything) could be read; always set when engine is NONE. */
  error?: ExtractionError;
  /** Where the values read were found on the pages (text layer and OCR; absent before this was recorded). */
  fieldPositions?: FieldPositions;
  /** What the structured data says about the document itself (Factur-X only). */
  document?: { typeCode: string | null; kind: 'invoice' | 'order'; profile: string | null; attachment: string };
}

export function emptyFields(): InvoiceFields {
  return {
    invoiceNumber: null,
    proFormaNumber: null,
    totalCents: null,
    issueDate: null,
    siret: null,
    siren: null,
    vatId: null,
    iban: null,
    currency: null,
  };
}

export function zeroConfidences(): FieldConfidences {
  return Object.fromEntries(INVOICE_FIELD_NAMES.map((name) => [name, 0])) as FieldConfidences;
}
