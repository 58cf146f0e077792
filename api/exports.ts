import ExcelJS from 'exceljs';
import { contractStatusLabel, costNatureLabel, type SettlementMode } from '../domain/cost-nature';
import { USER_TIME_ZONE } from '../domain/dates';
import type { ContractLineView } from '../db/pro-forma-lines';
import type { ProFormaSummaryView } from '../db/pro-forma-summary';

/**
 * Excel and CSV exports, in French, for French back offices: typed cells (dates are Excel dates, euro amounts are
 * numbers with a euro format, never text), the header row frozen with filters on; CSV with `;` and a UTF-8 BOM,
 * which is what French Excel opens correctly by double-click.
 */

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv; charset=utf-8';

type CellKind = 'text' | 'integer' | 'euros' | 'date' | 'datetime';
type CellValue = string | number | null;

export interface Column<T> {
  header: string;
  kind: CellKind;
  width: number;
  /** Text, integer or cents as numbers; date as YYYY-MM-DD; datetime as an ISO instant. */
  value: (row: T) => CellValue;
}

const NUMBER_FORMATS: Record<CellKind, string | undefined> = {
  text: '@',
  integer: '0',
  euros: '#,##0.00 "€";-#,##0.00 "€"',
  date: 'dd/mm/yyyy',
  datetime: 'dd/mm/yyyy hh:mm',
};

const PARIS_PARTS = new Intl.DateTimeFormat('en-CA', {
  timeZone: USER_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** Paris wall-clock time of an instant, as the fields of a UTC date: Excel dates have no time zone. */
export function parisWallClock(instant: string): Date {
  const parts = Object.fromEntries(PARIS_PARTS.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return new Date(
    Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    ),
  );
}

function calendarDate(isoDate: string): Date {
  const [y, m, d] = isoDate.split('-').map(Number);
  return new Date(Date.UTC(y as number, (m as number) - 1, d as number));
}

function excelValue(kind: CellKind, value: CellValue): ExcelJS.CellValue {
  if (value === null) return null;
  switch (kind) {
    case 'euros':
      return Number(value) / 100;
    case 'date':
      return calendarDate(String(value));
    case 'datetime':
      return parisWallClock(String(value));
    default:
      return value;
  }
}

/** One sheet: header row frozen, filters on, one typed column per definition. */
export async function workbook<T>(
  sheetName: string,
  columns: readonly Column<T>[],
  rows: readonly T[],
): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Opco Factures';
  book.created = new Date();
  const sheet = book.addWorksheet(sheetName, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({ header: c.header, width: c.width, style: { numFmt: NUMBER_FORMATS[c.kind] } }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.eachCell((cell) => {
    cell.numFmt = 'General';
  });
  for (const row of rows) sheet.addRow(columns.map((c) => excelValue(c.kind, c.value(row))));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return Buffer.from(await book.xlsx.writeBuffer());
}

function frenchDate(isoDate: string): string {
  const [y, m, d] = isoDate.slice(0, 10).split('-');
  return `${d}/${m}/${y}`;
}

function frenchDateTime(instant: string): string {
  const wall = parisWallClock(instant).toISOString();
  return `${frenchDate(wall)} ${wall.slice(11, 16)}`;
}

/** `157500` → `1575,00`: a number French Excel reads as such (no grouping, comma decimals). */
function frenchCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)},${String(absolute % 100).padStart(2, '0')}`;
}

function csvText(value: CellValue, kind: CellKind): string {
  if (value === null) return '';
  switch (kind) {
    case 'euros':
      return frenchCents(Number(value));
    case 'date':
      return frenchDate(String(value));
    case 'datetime':
      return frenchDateTime(String(value));
    case 'integer':
      return String(value);
    case 'text': {
      // A cell starting with = + - @ would be run as a formula by a spreadsheet (CSV injection).
      const text = String(value);
      return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    }
  }
}

function csvField(text: string): string {
  return /[";\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `;`-separated, CRLF lines, UTF-8 with a BOM. */
export function csv<T>(columns: readonly Column<T>[], rows: readonly T[]): Buffer {
  const lines = [
    columns.map((c) => csvField(c.header)).join(';'),
    ...rows.map((row) => columns.map((c) => csvField(csvText(c.value(row), c.kind))).join(';')),
  ];
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

const KIND_LABELS = { INVOICE: 'Facture', CREDIT_NOTE: 'Avoir' } as const;
const SETTLEMENT_LABELS: Record<SettlementMode, string> = { DEDUCTION: 'Déduction', REMBOURSEMENT: 'Remboursement' };
/** Columns of a list of pro formas (« Mes factures/factures d'avoir pro formas »). */
export const PRO_FORMA_COLUMNS: readonly Column<ProFormaSummaryView>[] = [
  { header: 'N° de pro forma', kind: 'text', width: 16, value: (p) => p.number },
  { header: 'Type', kind: 'text', width: 10, value: (p) => KIND_LABELS[p.kind] },
  { header: 'Nature de coûts', kind: 'text', width: 18, value: (p) => p.natureLabel },
  { header: 'Montant total (€)', kind: 'euros', width: 18, value: (p) => p.totalCents },
  { header: 'Dossiers', kind: 'integer', width: 10, value: (p) => p.lineCount },
  { header: 'Statut', kind: 'text', width: 24, value: (p) => p.statusLabel },
  { header: 'N° de facture', kind: 'text', width: 20, value: (p) => p.invoiceNumber },
  { header: 'CFA', kind: 'text', width: 30, value: (p) => p.cfa.name },
  { header: 'SIRET du CFA', kind: 'text', width: 16, value: (p) => p.cfa.siret },
  { header: 'Création', kind: 'datetime', width: 17, value: (p) => p.createdAt },
  { header: 'Dépôt de facture', kind: 'datetime', width: 17, value: (p) => p.depositedAt },
  { header: 'Validation', kind: 'datetime', width: 17, value: (p) => p.validatedAt },
  { header: 'Refus', kind: 'datetime', width: 17, value: (p) => p.refusedAt },
  { header: 'Paiement', kind: 'datetime', width: 17, value: (p) => p.paidAt },
  {
    header: 'Mode de règlement',
    kind: 'text',
    width: 16,
    value: (p) => (p.settlementMode ? SETTLEMENT_LABELS[p.settlementMode] : null),
  },
];

/** Columns of the contracts of a pro forma (« Exporter les contrats concernés »), one row per installment. */
export const CONTRACT_COLUMNS: readonly Column<ContractLineView>[] = [
  { header: 'N° de contrat', kind: 'text', width: 20, value: (c) => c.contractNumber },
  { header: 'Libellé', kind: 'text', width: 40, value: (c) => c.label },
  { header: 'Apprenti', kind: 'text', width: 24, value: (c) => c.apprenticeName },
  { header: 'Employeur', kind: 'text', width: 28, value: (c) => c.employerName },
  { header: 'SIRET employeur', kind: 'text', width: 16, value: (c) => c.employerSiret },
  { header: 'Début du contrat', kind: 'date', width: 14, value: (c) => c.startDate },
  { header: 'Fin du contrat', kind: 'date', width: 14, value: (c) => c.endDate },
  { header: 'Statut du contrat', kind: 'text', width: 14, value: (c) => contractStatusLabel(c.contractStatus) },
  { header: 'Nature de coûts', kind: 'text', width: 18, value: (c) => costNatureLabel(c.nature) },
  { header: 'Période du', kind: 'date', width: 12, value: (c) => c.periodStart },
  { header: 'Période au', kind: 'date', width: 12, value: (c) => c.periodEnd },
  { header: 'Montant (€)', kind: 'euros', width: 14, value: (c) => c.amountCents },
];
