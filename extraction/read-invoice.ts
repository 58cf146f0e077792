import { performance } from 'node:perf_hooks';
import type { OcrResult, RecognizeOptions } from '../infra/ocr-pool';
import { readFacturX, type FacturXDocument } from './facturx';
import { locateFields, type PageSize } from './field-positions';
import { skewOf, straightened, type Word } from './layout';
import { RESCUE_SCALE, fieldsToRescue, rescueRegions, withRescue } from './rescue';
import { CONFIDENCE, buyerSirets, parseInvoiceFields, type FieldValue, type ParsedFields } from './fields';
import { certainlyAbsent } from './fields/absence';
import {
  DEFAULT_IMAGE_LIMITS,
  DEFAULT_RENDER_DPI,
  DEFAULT_RENDER_LIMITS,
  ImageError,
  imageForOcr,
  readImageHeader,
  regionsImage,
  renderPdfPage,
  type ImageLimits,
} from './page-images';
import { DEFAULT_MAX_PAGES, PdfError, isPdf, openPdf, type PdfDocument } from './pdf';
import { measureDecodedSize } from './pdf-streams';
import { DEFAULT_TEXT_PAGES, MIN_TEXT_CHARS, readTextLayer, type TextLayer } from './text-layer';
import {
  INVOICE_FIELD_NAMES,
  emptyFields,
  zeroConfidences,
  type ExtractionEngine,
  type ExtractionErrorCode,
  type ExtractionResult,
  type FieldConfidences,
  type FieldPositions,
  type InvoiceFieldName,
  type InvoiceFields,
} from './types';

/**
 * Reads a deposited invoice into fields, in the order of preference of domain.md: the Factur-X / ZUGFeRD XML
 * embedded in the PDF (exact), the PDF's text layer, then OCR of the rendered pages or of the image. A document
 * that cannot be read is not an error of the service: it ends with engine NONE, confidence 0 and a code, so
 * a validator looks at it. Only cancellation and an unavailable OCR pool are thrown (the activity retries).
 */

export interface ExtractionLimits {
  /** A PDF with more pages is refused (PDF_TOO_MANY_PAGES) before any page is read: a deposit is one invoice. */
  maxPdfPages: number;
  /**
   * Sum of the decoded sizes of a PDF's streams, measured before pdfjs opens it (PDF_DECODED_TOO_LARGE beyond).
   * A 5 MB deposit of Flate-compressed scans decodes to a few tens of MB; a decompression bomb to gigabytes.
   */
  maxPdfDecodedBytes: number;
  /** Pages whose text layer is read. */
  textPages: number;
  /** Pages rendered and OCRed at most, first page first, stopping once the key fields are found. */
  ocrPages: number;
  /** Below this many non-space characters the text layer is ignored and the pages are OCRed. */
  minTextChars: number;
  renderDpi: number;
  /** Deposited images beyond these are refused before decoding (IMAGE_TOO_LARGE). */
  image: ImageLimits;
  /** A page larger than these is rendered at a lower resolution. */
  render: ImageLimits;
  pdfOpenTimeoutMs: number;
  /** Per page; unset, the OCR pool's own timeout applies. */
  ocrPageTimeoutMs?: number;
  /** Read again the regions of the fields OCR missed or could not check (extraction/rescue.ts). */
  rescuePasses: boolean;
}

export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = {
  maxPdfPages: DEFAULT_MAX_PAGES,
  maxPdfDecodedBytes: 256 * 1024 * 1024,
  textPages: DEFAULT_TEXT_PAGES,
  ocrPages: 20,
  minTextChars: MIN_TEXT_CHARS,
  renderDpi: DEFAULT_RENDER_DPI,
  image: DEFAULT_IMAGE_LIMITS,
  render: DEFAULT_RENDER_LIMITS,
  pdfOpenTimeoutMs: 20_000,
  rescuePasses: true,
};

/** What readInvoice needs from the OCR pool. */
export interface OcrEngine {
  recognize(image: Buffer, options?: RecognizeOptions): Promise<OcrResult>;
}

export interface ExtractionProgress {
  stage: Exclude<ExtractionEngine, 'NONE'>;
  page?: number;
  pages?: number;
}

export interface ReadInvoiceOptions {
  /** Null: no OCR in this process; image-only documents then end with OCR_UNAVAILABLE. */
  ocr: OcrEngine | null;
  limits?: Partial<ExtractionLimits>;
  /** Called between pages: the activity heartbeats there. */
  onProgress?: (progress: ExtractionProgress) => void;
  signal?: AbortSignal;
}

/** The fields the automatic controls need; the overall confidence of a text or OCR read is their mean. */
const CONTROL_FIELDS: readonly InvoiceFieldName[] = ['invoiceNumber', 'proFormaNumber', 'totalCents', 'siret', 'iban'];
/**
 * Regions read again are one column of text of varied sizes (tesseract's PSM 4): their rows in order, label beside
 * value. PSM 6 (one uniform block) garbled noisy scans' totals blocks that PSM 4 read right, in less time.
 */
const RESCUE_PSM = '4';
/** OCR stops reading further pages once these are found by their labels (not a guess: the largest amount so far). */
const KEY_FIELDS: readonly InvoiceFieldName[] = ['invoiceNumber', 'totalCents', 'iban'];

const MESSAGES: Record<ExtractionErrorCode, string> = {
  UNSUPPORTED_FORMAT: "Le document n'est ni un PDF ni une image PNG, JPEG ou GIF : il n'a pas pu être lu.",
  PDF_ENCRYPTED: 'Le PDF est protégé par un mot de passe : il ne peut pas être lu.',
  PDF_UNREADABLE: 'Le PDF est endommagé ou incomplet : il ne peut pas être lu.',
  PDF_TOO_MANY_PAGES: 'Le PDF compte trop de pages pour une facture.',
  PDF_DECODED_TOO_LARGE:
    'Le PDF contient des données compressées bien trop volumineuses une fois décompressées : il ne peut pas être lu.',
  IMAGE_UNREADABLE: "L'image est endommagée ou incomplète : elle ne peut pas être lue.",
  IMAGE_TOO_LARGE: "L'image est trop grande pour être lue.",
  OCR_TIMEOUT: "La lecture (OCR) d'une page a dépassé le temps imparti.",
  OCR_FAILED: "La lecture (OCR) s'est interrompue sur ce document.",
  OCR_UNAVAILABLE: "La lecture par OCR n'est pas disponible : le document doit être vérifié à la main.",
  NOTHING_READ: "Aucune information de facture n'a pu être lue dans le document.",
  EXTRACTION_FAILED: 'La lecture du document a échoué.',
  READ_TIMEOUT: 'La lecture du document a dépassé le temps imparti : il doit être vérifié à la main.',
  READ_MEMORY_EXCEEDED: 'La lecture du document a dépassé la mémoire autorisée : il doit être vérifié à la main.',
};

export async function readInvoice(
  bytes: Uint8Array,
  mimeType: string,
  options: ReadInvoiceOptions,
): Promise<ExtractionResult> {
  const started = performance.now();
  const limits: ExtractionLimits = { ...DEFAULT_EXTRACTION_LIMITS, ...options.limits };
  const context: Context = { ...options, limits, started };
  // The bytes decide, not the declared type: intake already sniffed them, but a stored file is read as it is.
  try {
    if (isPdf(bytes)) return await readPdf(bytes, context);
    if (readImageHeader(bytes)) return await readImage(bytes, context);
    return none(context, 'UNSUPPORTED_FORMAT', 0, { detail: `declared ${mimeType}` });
  } catch (error) {
    options.signal?.throwIfAborted();
    if (isCode(error, 'OCR_UNAVAILABLE')) throw error;
    return none(context, 'EXTRACTION_FAILED', 0, { detail: errorMessage(error) });
  }
}

interface Context extends ReadInvoiceOptions {
  limits: ExtractionLimits;
  started: number;
}

async function readPdf(bytes: Uint8Array, context: Context): Promise<ExtractionResult> {
  const { limits, signal } = context;
  const decoded = await measureDecodedSize(bytes, limits.maxPdfDecodedBytes);
  if (decoded.exceededAt !== null) {
    const shown = `plus de ${Math.round(limits.maxPdfDecodedBytes / 1048576)} Mo une fois décompressé`;
    const detail = `streams decode past ${limits.maxPdfDecodedBytes} bytes (object at byte ${decoded.exceededAt})`;
    return none(context, 'PDF_DECODED_TOO_LARGE', 0, { shown, detail });
  }
  let doc: PdfDocument;
  try {
    doc = await openPdf(bytes, { maxPages: limits.maxPdfPages, timeoutMs: limits.pdfOpenTimeoutMs });
  } catch (error) {
    if (error instanceof PdfError) {
      const shown =
        error.code === 'PDF_TOO_MANY_PAGES' ? `${error.pageCount} pages, limite ${error.maxPages}` : undefined;
      return none(context, error.code, error.pageCount ?? 0, { shown, detail: error.message });
    }
    throw error;
  }
  const pageCount = doc.numPages;
  try {
    context.onProgress?.({ stage: 'FACTURX' });
    const facturx = await readFacturX(doc).catch(() => null);
    if (facturx) return fromFacturX(context, facturx, pageCount, await printedPositions(doc, facturx.fields, context));

    signal?.throwIfAborted();
    const layer = await readTextLayer(doc, {
      maxPages: limits.textPages,
      minChars: limits.minTextChars,
      signal,
      onPage: (page, pages) => context.onProgress?.({ stage: 'TEXT_LAYER', page, pages }),
    });
    const fromText = layer.imageOnly ? null : textLayerReading(layer);
    // A text layer without a total is either not the invoice's text (a scan with a stamped header) or a
    // broken font encoding; the printed page may still be legible.
    if (fromText && fromText.fields.totalCents !== null) return result(context, 'TEXT_LAYER', fromText, pageCount);

    if (!context.ocr) {
      if (fromText && hasAnyField(fromText)) return result(context, 'TEXT_LAYER', fromText, pageCount);
      return none(context, 'OCR_UNAVAILABLE', pageCount);
    }
    const ocr = await ocrPdf(doc, context.ocr, context);
    const best = pickBest(fromText, ocr.read);
    if (best === null) return none(context, ocr.error ?? 'NOTHING_READ', pageCount);
    const engine = best === fromText ? 'TEXT_LAYER' : 'OCR';
    return result(context, engine, best, pageCount, ocr.error);
  } catch (error) {
    signal?.throwIfAborted();
    if (isCode(error, 'OCR_UNAVAILABLE')) throw error;
    // pdfjs fails page by page on a damaged file that still opened.
    return none(context, 'PDF_UNREADABLE', pageCount, { detail: errorMessage(error) });
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

async function ocrPdf(
  doc: PdfDocument,
  ocr: OcrEngine,
  context: Context,
): Promise<{ read: Read | null; error?: ExtractionErrorCode }> {
  const pageCount = Math.min(doc.numPages, context.limits.ocrPages);
  const texts: string[] = [];
  const confidences: number[] = [];
  const words: Word[] = [];
  const pages: OcrPage[] = [];
  const printed: Word[] = [];
  const sizes = new Map<number, PageSize>();
  let parsed: ParsedFields | null = null;
  let error: ExtractionErrorCode | undefined;
  for (let page = 1; page <= pageCount; page += 1) {
    context.signal?.throwIfAborted();
    context.onProgress?.({ stage: 'OCR', page, pages: pageCount });
    const image = await renderPdfPage(doc, page, { dpi: context.limits.renderDpi, limits: context.limits.render });
    let recognized: OcrResult;
    try {
      recognized = await ocr.recognize(image, {
        signal: context.signal,
        timeoutMs: context.limits.ocrPageTimeoutMs,
        words: true,
      });
    } catch (failure) {
      context.signal?.throwIfAborted();
      if (isCode(failure, 'OCR_TIMEOUT')) error = 'OCR_TIMEOUT';
      else if (isCode(failure, 'OCR_FAILED')) error = 'OCR_FAILED';
      else throw failure;
      break;
    }
    texts.push(recognized.text);
    confidences.push(recognized.confidence);
    const read = pageRead(recognized, image, page);
    words.push(...read.words);
    pages.push(read);
    printed.push(...read.printed);
    sizes.set(page, read);
    parsed = parseInvoiceFields(texts.join('\n\f'), words);
    if (KEY_FIELDS.every((name) => (parsed?.[name]?.confidence ?? 0) > CONFIDENCE.LAYOUT_GUESS)) break;
  }
  if (!parsed) return { read: null, error };
  // A page that timed out or failed says the pool is struggling: no more reading of this document.
  if (!error) parsed = await rescue(parsed, words, pages, ocr, context);
  return { read: located(fromParsed(parsed, mean(confidences)), printed, sizes), error };
}

async function readImage(bytes: Uint8Array, context: Context): Promise<ExtractionResult> {
  let image: Buffer;
  try {
    image = await imageForOcr(bytes, context.limits.image);
  } catch (error) {
    if (error instanceof ImageError) {
      const shown = error.info ? `${error.info.width} × ${error.info.height} pixels` : undefined;
      return none(context, error.code, error.info ? 1 : 0, { shown, detail: error.message });
    }
    throw error;
  }
  if (!context.ocr) return none(context, 'OCR_UNAVAILABLE', 1);
  context.onProgress?.({ stage: 'OCR', page: 1, pages: 1 });
  let recognized: OcrResult;
  try {
    recognized = await context.ocr.recognize(image, {
      signal: context.signal,
      timeoutMs: context.limits.ocrPageTimeoutMs,
      words: true,
    });
  } catch (error) {
    context.signal?.throwIfAborted();
    for (const code of ['OCR_TIMEOUT', 'OCR_FAILED', 'IMAGE_UNREADABLE'] as const) {
      if (isCode(error, code)) return none(context, code, 1, { detail: errorMessage(error) });
    }
    throw error;
  }
  const page = pageRead(recognized, image, 1);
  const parsed = await rescue(
    parseInvoiceFields(recognized.text, page.words),
    page.words,
    [page],
    context.ocr,
    context,
  );
  const read = located(fromParsed(parsed, recognized.confidence), page.printed, new Map([[1, page]]));
  if (!hasAnyField(read)) return none(context, 'NOTHING_READ', 1);
  return result(context, 'OCR', read, 1);
}

/**
 * A page OCR read: its image (for rescue passes), its skew and its words, the skew taken out of their boxes (and as
 * printed, to show where a value stands on the image).
 */
interface OcrPage {
  page: number;
  image: Buffer;
  width: number;
  height: number;
  slope: number;
  words: Word[];
  printed: Word[];
}

function pageRead(recognized: OcrResult, image: Buffer, page: number): OcrPage {
  const words = (recognized.words ?? []).map(({ text, confidence, bbox, line }) => ({
    text,
    page,
    confidence,
    line,
    ...bbox,
  }));
  const slope = skewOf(words);
  const size = readImageHeader(image) ?? { width: 0, height: 0 };
  return {
    page,
    image,
    width: size.width,
    height: size.height,
    slope,
    words: straightened(words, slope),
    printed: words,
  };
}

/**
 * The rescue passes (extraction/rescue.ts): the regions of the fields the first reading missed or could not check,
 * read again enlarged, level and as one block, and compared with the first reading. A region that cannot be read
 * leaves the first reading as it was.
 */
async function rescue(
  parsed: ParsedFields,
  words: readonly Word[],
  pages: readonly OcrPage[],
  ocr: OcrEngine,
  context: Context,
): Promise<ParsedFields> {
  const fields = context.limits.rescuePasses ? fieldsToRescue(parsed, words) : [];
  if (fields.length === 0) return parsed;
  const byNumber = new Map(pages.map((page) => [page.page, page]));
  const regions = rescueRegions(fields, words, byNumber);
  if (regions.length === 0) return parsed;
  context.signal?.throwIfAborted();
  let second: ParsedFields;
  try {
    const image = await regionsImage(regions, byNumber, RESCUE_SCALE);
    const read = await ocr.recognize(image, {
      signal: context.signal,
      timeoutMs: context.limits.ocrPageTimeoutMs,
      psm: RESCUE_PSM,
      words: true,
    });
    // A region cut out of the buyer's block no longer shows its heading: the page's blocks still tell.
    second = parseInvoiceFields(read.text, pageRead(read, image, 1).words, { buyerSirets: buyerSirets(words) });
  } catch (error) {
    context.signal?.throwIfAborted();
    if (isCode(error, 'OCR_UNAVAILABLE')) throw error;
    return parsed;
  }
  return withRescue(parsed, second, fields);
}

/**
 * The fields of a text layer: parsed from its text and words, at the parsers' confidences (the reader's own is 1),
 * a field it certainly does not print at confidence 1. Also what the accuracy measures read text layers with.
 */
export function textLayerReading(layer: TextLayer): Read {
  const words = layer.pages.flatMap((page) => page.words);
  const read = fromParsed(parseInvoiceFields(layer.text, words), 1, certainlyAbsent(layer.text));
  return { ...read, positions: positionsInLayer(read.fields, layer) };
}

function positionsInLayer(fields: InvoiceFields, layer: TextLayer): FieldPositions {
  const words = layer.pages.flatMap((page) => page.words);
  return locateFields(fields, words, new Map(layer.pages.map((page) => [page.pageNumber, page])));
}

export interface Read {
  fields: InvoiceFields;
  fieldConfidences: FieldConfidences;
  positions?: FieldPositions;
}

/** The read with where its values are printed among `words` (extraction/field-positions.ts). */
function located(read: Read, words: readonly Word[], sizes: ReadonlyMap<number, PageSize>): Read {
  return { ...read, positions: locateFields(read.fields, words, sizes) };
}

/**
 * Parser confidences, scaled by the reader's: 1 for a text layer, tesseract's mean word confidence for OCR. A
 * value that passed its checksum (IBAN mod 97, SIRET Luhn) keeps the parser's confidence: a misread character
 * would have broken the checksum. A field a text layer certainly does not print (`absent`) is null with
 * confidence 1; any other field not found is null with confidence 0.
 */
function fromParsed(
  parsed: ParsedFields,
  readerConfidence: number,
  absent: ReadonlySet<InvoiceFieldName> = new Set(),
): Read {
  const fields = emptyFields();
  const fieldConfidences = zeroConfidences();
  for (const name of absent) if (parsed[name] === null) fieldConfidences[name] = 1;
  const take = <K extends InvoiceFieldName>(name: K, value: FieldValue<InvoiceFields[K] & {}> | null) => {
    if (!value) return;
    fields[name] = value.value;
    const scale = value.valid === true ? 1 : readerConfidence;
    fieldConfidences[name] = round2(clamp01(value.confidence * scale));
  };
  for (const name of INVOICE_FIELD_NAMES) take(name, parsed[name]);
  return { fields, fieldConfidences };
}

/**
 * Where the values of a Factur-X XML are printed on the PDF's pages, from its text layer: the XML says what the
 * invoice says, the page shows it to the validator. None when the pages hold no text (or cannot be read).
 */
async function printedPositions(doc: PdfDocument, fields: InvoiceFields, context: Context): Promise<FieldPositions> {
  const { limits, signal } = context;
  try {
    const layer = await readTextLayer(doc, { maxPages: limits.textPages, minChars: limits.minTextChars, signal });
    return positionsInLayer(fields, layer);
  } catch {
    signal?.throwIfAborted();
    return {};
  }
}

function fromFacturX(
  context: Context,
  facturx: FacturXDocument,
  pageCount: number,
  positions: FieldPositions,
): ExtractionResult {
  const fieldConfidences = zeroConfidences();
  for (const name of INVOICE_FIELD_NAMES) fieldConfidences[name] = facturx.fields[name] === null ? 0 : 1;
  return {
    engine: 'FACTURX',
    fields: facturx.fields,
    fieldConfidences,
    // Structured data written by the issuer's software: what it says is what the invoice says.
    confidence: 1,
    pageCount,
    durationMs: elapsed(context),
    ...(Object.keys(positions).length > 0 ? { fieldPositions: positions } : {}),
    document: {
      typeCode: facturx.typeCode,
      kind: facturx.kind,
      profile: facturx.profile,
      attachment: facturx.attachment,
    },
  };
}

function result(
  context: Context,
  engine: Exclude<ExtractionEngine, 'NONE' | 'FACTURX'>,
  read: Read,
  pageCount: number,
  warning?: ExtractionErrorCode,
): ExtractionResult {
  const confidence = round2(mean(CONTROL_FIELDS.map((name) => read.fieldConfidences[name])));
  return {
    engine,
    fields: read.fields,
    fieldConfidences: read.fieldConfidences,
    confidence,
    pageCount,
    durationMs: elapsed(context),
    ...(warning ? { error: { code: warning, message: MESSAGES[warning] } } : {}),
    ...(read.positions && Object.keys(read.positions).length > 0 ? { fieldPositions: read.positions } : {}),
  };
}

/** The reading of a document whose reader was stopped from outside (deadline, memory limit, crash). */
export function stoppedReading(
  code: 'READ_TIMEOUT' | 'READ_MEMORY_EXCEEDED' | 'EXTRACTION_FAILED',
  durationMs: number,
  about: { shown?: string; detail?: string } = {},
): ExtractionResult {
  return none({ started: performance.now() - durationMs }, code, 0, about);
}

/** `shown` completes the French message (a size, a page count); `detail` is the technical cause. */
function none(
  context: Pick<Context, 'started'>,
  code: ExtractionErrorCode,
  pageCount: number,
  about: { shown?: string; detail?: string } = {},
): ExtractionResult {
  const message = about.shown ? `${MESSAGES[code]} (${about.shown})` : MESSAGES[code];
  return {
    engine: 'NONE',
    fields: emptyFields(),
    fieldConfidences: zeroConfidences(),
    confidence: 0,
    pageCount,
    durationMs: elapsed(context),
    error: { code, message, ...(about.detail ? { detail: about.detail } : {}) },
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The read with more control fields found; the text layer wins a tie (exact characters, no misreads). */
function pickBest(text: Read | null, ocr: Read | null): Read | null {
  const found = (read: Read | null) => (read ? CONTROL_FIELDS.filter((name) => read.fields[name] !== null).length : 0);
  const best = found(ocr) > found(text) ? ocr : text;
  return best && hasAnyField(best) ? best : null;
}

function hasAnyField(read: Read): boolean {
  return INVOICE_FIELD_NAMES.some((name) => read.fields[name] !== null);
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function elapsed(context: Pick<Context, 'started'>): number {
  return Math.round(performance.now() - context.started);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
