import ExcelJS from 'exceljs';
import {
  COST_NATURES,
  CONTRACT_STATUSES,
  costNatureLabel,
  type ContractStatus,
  type CostNature,
} from '../domain/cost-nature';
import { isValidSiret, normalizeSiret } from '../domain/identifiers';
import { parseAmountToCents } from '../domain/money';
import type { ImportRow } from '../db/contract-import';
import { HttpError } from './errors';
import { contractStatusLabel } from './exports';

/**
 * The contracts import workbook: the template served to admins, and the reading of a filled one into rows. One row
 * per installment (échéance), its contract repeated on each row, as the funder's systems export them. A row that
 * cannot be read is reported with its number and why; it never stops the others.
 */

export const TEMPLATE_SHEET = 'Contrats';
export const MAX_IMPORT_ROWS = 10_000;

interface TemplateColumn {
  header: string;
  width: number;
  numFmt?: string;
  list?: readonly string[];
}

const NATURE_LABELS = COST_NATURES.map(costNatureLabel);
const STATUS_LABELS = CONTRACT_STATUSES.map(contractStatusLabel);

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
];

const HELP = [
  'Une ligne par échéance ; les colonnes du contrat sont répétées sur chacune de ses échéances.',
  'SIRET du CFA : le CFA doit déjà être enregistré. SIRET : 14 chiffres (saisis en texte pour garder les zéros).',
  `Statut du contrat : ${STATUS_LABELS.join(' ou ')}. Nature de coûts : ${NATURE_LABELS.join(', ')}.`,
  'Dates au format jj/mm/aaaa. Montant en euros, deux décimales au plus ; négatif pour un trop perçu.',
  'Réimporter les mêmes lignes ne crée rien en double ; une ligne refusée est signalée avec son numéro et le motif.',
];

/** The empty template: header row frozen with filters, typed columns, lists for the status and the nature. */
export async function contractsTemplate(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Opco Factures';
  const sheet = book.addWorksheet(TEMPLATE_SHEET, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = TEMPLATE_COLUMNS.map((c) => ({
    header: c.header,
    width: c.width,
    style: c.numFmt ? { numFmt: c.numFmt } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).eachCell((cell) => {
    cell.numFmt = 'General';
  });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: TEMPLATE_COLUMNS.length } };
  // One validation per column range (exceljs types only the per-cell form): the rows stay empty until filled.
  const validations = (
    sheet as unknown as { dataValidations: { add(range: string, rule: ExcelJS.DataValidation): void } }
  ).dataValidations;
  TEMPLATE_COLUMNS.forEach((column, index) => {
    if (!column.list) return;
    const letter = sheet.getColumn(index + 1).letter;
    validations.add(`${letter}2:${letter}${MAX_IMPORT_ROWS + 1}`, {
      type: 'list',
      allowBlank: true,
      showErrorMessage: true,
      formulae: [`"${column.list.join(',')}"`],
    });
  });
  const help = book.addWorksheet('Mode d’emploi');
  help.getColumn(1).width = 120;
  HELP.forEach((line) => help.addRow([line]));
  return Buffer.from(await book.xlsx.writeBuffer());
}

export type ParsedRow = { row: number; ok: true; value: ImportRow } | { row: number; ok: false; error: string };

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Reads a filled template: one entry per non-empty row, parsed or refused with the reason. */
export async function readContractsWorkbook(content: Buffer): Promise<ParsedRow[]> {
  if (content.length === 0) throw new HttpError(422, 'FILE_EMPTY', 'Le fichier est vide.');
  if (!content.subarray(0, 4).equals(ZIP_MAGIC)) {
    throw new HttpError(415, 'FILE_TYPE_NOT_ACCEPTED', 'Seuls les classeurs Excel (.xlsx) sont acceptés.');
  }
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.load(content as unknown as ExcelJS.Buffer);
  } catch {
    throw new HttpError(422, 'FILE_UNREADABLE', 'Le classeur est illisible ou endommagé.');
  }
  const sheet = book.getWorksheet(TEMPLATE_SHEET) ?? book.worksheets[0];
  if (!sheet) throw new HttpError(422, 'TEMPLATE_MISMATCH', 'Le classeur ne contient aucune feuille.');
  const headers = TEMPLATE_COLUMNS.map((_, i) => normalizeLabel(cellText(sheet.getRow(1).getCell(i + 1).value)));
  const expected = TEMPLATE_COLUMNS.map((c) => normalizeLabel(c.header));
  if (headers.some((h, i) => h !== expected[i])) {
    throw new HttpError(422, 'TEMPLATE_MISMATCH', 'Les colonnes ne sont pas celles du modèle d’import.', {
      expected: TEMPLATE_COLUMNS.map((c) => c.header),
    });
  }
  if (sheet.actualRowCount - 1 > MAX_IMPORT_ROWS) {
    throw new HttpError(
      422,
      'TOO_MANY_ROWS',
      `Un import compte au plus ${MAX_IMPORT_ROWS} lignes : découpez le fichier.`,
      {
        maxRows: MAX_IMPORT_ROWS,
      },
    );
  }
  const parsed: ParsedRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    if (number === 1) return;
    const cells = TEMPLATE_COLUMNS.map((_, i) => row.getCell(i + 1).value);
    if (cells.every((c) => cellText(c) === '')) return;
    try {
      parsed.push({ row: number, ok: true, value: parseRow(cells) });
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      parsed.push({ row: number, ok: false, error: error.message });
    }
  });
  return parsed;
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
  return {
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

function centsAt(cells: ExcelJS.CellValue[], i: number): number {
  const value = cells[i] ?? null;
  let cents: number | null;
  if (typeof value === 'number') {
    cents = Math.round(value * 100);
    if (Math.abs(value * 100 - cents) > 1e-6 || !Number.isSafeInteger(cents)) fail(i, 'deux décimales au plus.');
  } else {
    const text = cellText(value);
    if (text === '') fail(i, 'montant obligatoire.');
    cents = parseAmountToCents(text);
    if (cents === null) fail(i, `montant illisible (${text}).`);
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
