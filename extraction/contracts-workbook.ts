import type ExcelJS from 'exceljs';
import type yauzl from 'yauzl';
import {
  COST_NATURES,
  CONTRACT_STATUSES,
  contractStatusLabel,
  costNatureLabel,
  type ContractStatus,
  type CostNature,
} from '../domain/cost-nature';
import { isValidSiret, normalizeSiret } from '../domain/identifiers';
import { AMOUNT_BOUND_RULE, MAX_AMOUNT_CENTS, isBoundedCents, parseAmountToCents } from '../domain/money';
import type { ImportRow } from '../db/contract-import';
import { streamWorksheets } from './xlsx-stream';
import { nextEntry, openEntry, openZip } from './zip';

/**
 * The contracts import workbook: its columns (the API serves the template built from them) and the reading of a
 * filled one into rows. One row per installment (échéance), its contract repeated on each row, as the funder's
 * systems export them. A row that cannot be read is reported with its number and why; it never stops the others.
 *
 * An .xlsx is a zip of XML: a 1.5 GB zip bomb or a million rows cost seconds and gigabytes to exceljs. So the zip's
 * directory is checked first (entries, declared sizes, the sheet's declared dimension), every entry is inflated once
 * and counted against its declared size (a lying size is caught at its first extra byte), and only then is the sheet
 * read, streamed, row by row, stopping past the row limit. This runs in a reader process (extraction/readers.ts).
 */

export const TEMPLATE_SHEET = 'Contrats';
export const MAX_IMPORT_ROWS = 10_000;

interface TemplateColumn {
  header: string;
  width: number;
  numFmt?: string;
  list?: readonly string[];
  /** A column added after the first template: a workbook made from the older one has no such column. */
  optional?: true;
}

export const NATURE_LABELS = COST_NATURES.map(costNatureLabel);
export const STATUS_LABELS = CONTRACT_STATUSES.map(contractStatusLabel);

/** The template's columns, in order (the reading checks the header row against them). */
export const TEMPLATE_COLUMNS: readonly TemplateColumn[] = [
  { header: 'SIRET du CFA', width: 16, numFmt: '@' },
  { header: 'N° de contrat', width: 20, numFmt: '@' },
  { header: 'Libellé du diplôme', width: 40 },
  { header: 'Apprenti', width: 24 },
  { header: 'Employeur', width: 28 },
  { header: 'SIRET employeur', width: 16, numFmt: '@' },
  { header: 'Début du contrat', width: 14, numFmt: 'dd/mm/yyyy' },
  { header: 'Fin du contrat', width: 14, numFmt: 'dd/mm/yyyy' },
  { header: 'Statut du contrat', width: 16, list: STATUS_LABELS },
  { header: 'Nature de coûts', width: 18, list: NATURE_LABELS },
  { header: 'Période du', width: 12, numFmt: 'dd/mm/yyyy' },
  { header: 'Période au', width: 12, numFmt: 'dd/mm/yyyy' },
  { header: 'Montant (€)', width: 14, numFmt: '#,##0.00 "€";-#,##0.00 "€"' },
  { header: 'Prénom de l’apprenti', width: 18, optional: true },
  { header: 'Nom de l’apprenti', width: 20, optional: true },
  { header: 'SIRET du CFA pédagogique', width: 18, numFmt: '@', optional: true },
];

export interface WorkbookLimits {
  /** Sum of the entries' uncompressed sizes: a 10 000-row import is ~5 MB of XML. */
  maxUncompressedBytes: number;
  maxEntries: number;
}

export const DEFAULT_WORKBOOK_LIMITS: WorkbookLimits = { maxUncompressedBytes: 100 * 1024 * 1024, maxEntries: 1000 };

export type ParsedRow = { row: number; ok: true; value: ImportRow } | { row: number; ok: false; error: string };

/** A refusal of the whole file, with the HTTP status the API answers. */
export interface WorkbookRefusal {
  status: 413 | 415 | 422;
  code:
    | 'FILE_EMPTY'
    | 'FILE_TYPE_NOT_ACCEPTED'
    | 'FILE_UNREADABLE'
    | 'WORKBOOK_TOO_LARGE'
    | 'TEMPLATE_MISMATCH'
    | 'TOO_MANY_ROWS';
  message: string;
  details?: Record<string, unknown>;
}

export type WorkbookReading = { ok: true; rows: ParsedRow[] } | { ok: false; refusal: WorkbookRefusal };

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

class Refused extends Error {
  constructor(readonly refusal: WorkbookRefusal) {
    super(refusal.message);
  }
}

const unreadable = () =>
  new Refused({ status: 422, code: 'FILE_UNREADABLE', message: 'Le classeur est illisible ou endommagé.' });
const tooManyRows = (found?: number) =>
  new Refused({
    status: 422,
    code: 'TOO_MANY_ROWS',
    message: `Un import compte au plus ${MAX_IMPORT_ROWS} lignes : découpez le fichier.`,
    details: { maxRows: MAX_IMPORT_ROWS, ...(found === undefined ? {} : { rows: found }) },
  });

/** Reads a filled template: one entry per non-empty row, parsed or refused with the reason. */
export async function readContractsWorkbook(
  content: Buffer,
  limits: WorkbookLimits = DEFAULT_WORKBOOK_LIMITS,
): Promise<WorkbookReading> {
  try {
    if (content.length === 0) throw new Refused({ status: 422, code: 'FILE_EMPTY', message: 'Le fichier est vide.' });
    if (!content.subarray(0, 4).equals(ZIP_MAGIC)) {
      throw new Refused({
        status: 415,
        code: 'FILE_TYPE_NOT_ACCEPTED',
        message: 'Seuls les classeurs Excel (.xlsx) sont acceptés.',
      });
    }
    await checkZip(content, limits);
    return { ok: true, rows: await readRows(content) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, refusal: error.refusal };
    throw error;
  }
}

/**
 * The zip's directory within the limits, every entry inflating to exactly its declared size (yauzl's
 * validateEntrySizes), and no worksheet declaring more rows than the limit in its `<dimension ref="A1:M1000001"/>`.
 */
async function checkZip(content: Buffer, limits: WorkbookLimits): Promise<void> {
  const zip = await openZip(content).catch(() => {
    throw unreadable();
  });
  try {
    if (zip.entryCount > limits.maxEntries) throw tooLarge(limits, { entries: zip.entryCount });
    let declared = 0;
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      declared += entry.uncompressedSize;
      if (declared > limits.maxUncompressedBytes) throw tooLarge(limits, { uncompressedBytes: declared });
      await inflateEntry(zip, entry, /^xl\/worksheets\/[^/]+\.xml$/.test(entry.fileName));
    }
  } catch (error) {
    // yauzl fails the directory, or an entry's stream at its first byte past the declared size or on damaged data.
    throw error instanceof Refused ? error : unreadable();
  } finally {
    zip.close();
  }
}

function tooLarge(limits: WorkbookLimits, found: Record<string, number>): Refused {
  return new Refused({
    status: 413,
    code: 'WORKBOOK_TOO_LARGE',
    message: `Le classeur est trop volumineux une fois décompressé (${Math.round(limits.maxUncompressedBytes / 1048576)} Mo au plus) : découpez le fichier.`,
    details: { maxUncompressedBytes: limits.maxUncompressedBytes, ...found },
  });
}

/** Inflates one entry, keeping nothing but, for a worksheet, the head where its dimension is declared. */
async function inflateEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, worksheet: boolean): Promise<void> {
  let head = '';
  for await (const chunk of (await openEntry(zip, entry)) as AsyncIterable<Buffer>) {
    if (worksheet && head.length < 4096) head += chunk.toString('utf8', 0, Math.min(chunk.length, 4096));
  }
  const dimension = /<dimension\s+ref="[A-Z]+\d+:[A-Z]+(\d+)"/.exec(head);
  const declaredRows = dimension ? Number(dimension[1]) - 1 : 0;
  if (declaredRows > MAX_IMPORT_ROWS) throw tooManyRows(declaredRows);
}

/**
 * The sheet named as the template's, or else the first one, streamed (extraction/xlsx-stream.ts): exceljs never holds
 * the whole sheet, and the reading stops at the first row past the limit.
 */
async function readRows(content: Buffer): Promise<ParsedRow[]> {
  const options = {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  } as const;
  let chosen: ParsedRow[] | null = null;
  try {
    // The template's sheet comes first when there is one; the others are never read.
    for await (const sheet of streamWorksheets(content, options, TEMPLATE_SHEET)) {
      chosen = await readSheet(sheet);
      break;
    }
  } catch (error) {
    if (error instanceof Refused) throw error;
    throw unreadable();
  }
  if (chosen === null) {
    throw new Refused({ status: 422, code: 'TEMPLATE_MISMATCH', message: 'Le classeur ne contient aucune feuille.' });
  }
  return chosen;
}

async function readSheet(sheet: ExcelJS.stream.xlsx.WorksheetReader): Promise<ParsedRow[]> {
  const parsed: ParsedRow[] = [];
  let headerSeen = false;
  let rows = 0;
  for await (const row of sheet) {
    if (row.number === 1) {
      checkHeaders(row);
      headerSeen = true;
      continue;
    }
    if (!headerSeen) checkHeaders(null);
    const cells = TEMPLATE_COLUMNS.map((_, i) => row.getCell(i + 1).value);
    if (cells.every((c) => cellText(c) === '')) continue;
    rows += 1;
    if (rows > MAX_IMPORT_ROWS) throw tooManyRows();
    try {
      parsed.push({ row: row.number, ok: true, value: parseRow(cells) });
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      parsed.push({ row: row.number, ok: false, error: error.message });
    }
  }
  if (!headerSeen) checkHeaders(null);
  return parsed;
}

function checkHeaders(row: ExcelJS.Row | null): void {
  const headers = TEMPLATE_COLUMNS.map((_, i) => normalizeLabel(row ? cellText(row.getCell(i + 1).value) : ''));
  const expected = TEMPLATE_COLUMNS.map((c) => normalizeLabel(c.header));
  // An optional column may be missing (a workbook from the older template), never another one.
  const mismatch = headers.some((h, i) => h !== expected[i] && !(TEMPLATE_COLUMNS[i]?.optional && h === ''));
  if (mismatch) {
    throw new Refused({
      status: 422,
      code: 'TEMPLATE_MISMATCH',
      message: 'Les colonnes ne sont pas celles du modèle d’import.',
      details: { expected: TEMPLATE_COLUMNS.map((c) => c.header) },
    });
  }
}

class RowError extends Error {}

function fail(column: number, message: string): never {
  throw new RowError(`Colonne « ${TEMPLATE_COLUMNS[column]?.header} » : ${message}`);
}

function parseRow(cells: ExcelJS.CellValue[]): ImportRow {
  const textAt = (i: number, max = 300) => {
    const value = cellText(cells[i] ?? null);
    if (value === '') fail(i, 'valeur obligatoire.');
    if ([...value].length > max) fail(i, `${max} caractères au plus.`);
    return value;
  };
  const siretAt = (i: number) => {
    const raw = cells[i];
    const value = typeof raw === 'number' ? String(raw).padStart(14, '0') : normalizeSiret(textAt(i));
    if (!isValidSiret(value)) fail(i, `SIRET invalide (${value}).`);
    return value;
  };
  const startDate = dateAt(cells, 6);
  const endDate = dateAt(cells, 7);
  if (endDate < startDate) fail(7, 'la fin du contrat précède son début.');
  const periodStart = dateAt(cells, 10);
  const periodEnd = dateAt(cells, 11);
  if (periodEnd < periodStart) fail(11, 'la fin de la période précède son début.');
  const optionalText = (i: number, max: number) => (cellText(cells[i] ?? null) === '' ? undefined : textAt(i, max));
  const trainingSiret = cellText(cells[15] ?? null) === '' ? undefined : siretAt(15);
  return {
    apprenticeFirstName: optionalText(13, 100),
    apprenticeLastName: optionalText(14, 100),
    trainingSiret,
    cfaSiret: siretAt(0),
    number: textAt(1, 50),
    label: textAt(2),
    apprenticeName: textAt(3, 200),
    employerName: textAt(4, 200),
    employerSiret: siretAt(5),
    startDate,
    endDate,
    status: choice(cells, 8, CONTRACT_STATUSES, contractStatusLabel) as ContractStatus,
    installment: {
      nature: choice(cells, 9, COST_NATURES, costNatureLabel) as CostNature,
      periodStart,
      periodEnd,
      amountCents: centsAt(cells, 12),
    },
  };
}

function choice<T extends string>(
  cells: ExcelJS.CellValue[],
  i: number,
  codes: readonly T[],
  label: (code: T) => string,
): T {
  const value = normalizeLabel(cellText(cells[i] ?? null));
  const found = codes.find((code) => normalizeLabel(code) === value || normalizeLabel(label(code)) === value);
  if (!found) fail(i, `valeur attendue parmi : ${codes.map(label).join(', ')}.`);
  return found;
}

function dateAt(cells: ExcelJS.CellValue[], i: number): string {
  const value = cells[i] ?? null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(i, 'date invalide.');
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'number' && value > 0 && value < 2_958_466) {
    // An Excel serial day number (1900 system) in a cell without a date format.
    return new Date(Math.round((value - 25_569) * 86_400_000)).toISOString().slice(0, 10);
  }
  const text = cellText(value);
  if (text === '') fail(i, 'date obligatoire.');
  const french = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const [y, m, d] = french ? [french[3], french[2], french[1]] : iso ? [iso[1], iso[2], iso[3]] : [];
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (
    y === undefined ||
    Number.isNaN(date.getTime()) ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCMonth() !== Number(m) - 1
  ) {
    fail(i, `date invalide (${text}) : jj/mm/aaaa attendu.`);
  }
  return date.toISOString().slice(0, 10);
}

// Excel keeps a number as a double, and 999 999 999,99 × 100 is no integer in floating point: the cents come from
// the shortest decimal form of the double (the digits Excel wrote), never from a product.
const EXCEL_DECIMAL = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

function centsAt(cells: ExcelJS.CellValue[], i: number): number {
  const cell = cells[i] ?? null;
  // A formula's number stays a number: as text, `1234.567` would read as 1 234 567 € (three digits group thousands).
  const value = cell !== null && typeof cell === 'object' && 'result' in cell ? (cell.result ?? null) : cell;
  const outOfBounds = () => fail(i, `montant hors limites : une échéance est comprise ${AMOUNT_BOUND_RULE}.`);
  let cents: number | null;
  if (typeof value === 'number') {
    if (Math.abs(value) > MAX_AMOUNT_CENTS / 100) outOfBounds();
    const digits = EXCEL_DECIMAL.exec(String(value));
    if (!digits) fail(i, 'deux décimales au plus.');
    const [, sign, euros = '', decimals = ''] = digits;
    cents = (sign === '-' ? -1 : 1) * (Number(euros) * 100 + Number(decimals.padEnd(2, '0')));
  } else {
    const text = cellText(value);
    if (text === '') fail(i, 'montant obligatoire.');
    cents = parseAmountToCents(text);
    if (cents === null) fail(i, `montant illisible (${text}).`);
    if (!isBoundedCents(cents)) outOfBounds();
  }
  if (cents === 0) fail(i, 'une échéance ne peut pas être nulle.');
  return cents;
}

/** The text of a cell, whatever exceljs made of it (rich text, formula result, hyperlink). */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value)
    return value.richText
      .map((r) => r.text)
      .join('')
      .trim();
  if ('result' in value) return cellText((value.result ?? null) as ExcelJS.CellValue);
  if ('text' in value) return String(value.text).trim();
  return '';
}

/** Case, accents and spacing do not matter in headers and lists (« engagé » is « Engagé » is « ENGAGE »). */
function normalizeLabel(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[’']/g, "'").replace(/\s+/g, ' ').trim().toUpperCase();
}
