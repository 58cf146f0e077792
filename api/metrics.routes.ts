import ExcelJS from 'exceljs';
import { metrics, type Metrics } from '../db/metrics';
import { parisDate } from '../domain/dates';
import { nowOf, type ApiDeps } from './deps';
import { sendFile } from './downloads';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { CSV_TYPE, XLSX_TYPE, csv, type Column } from './exports';
import {
  DEFAULT_PERIOD_DAYS,
  MAX_PERIOD_DAYS,
  METRICS_TABLES,
  metricsCsvQuery,
  metricsQuery,
  metricsResponse,
  type MetricsTable,
} from './schemas/metrics';

/**
 * Management figures (GET /api/admin/metrics) and their exports: a workbook with one sheet per table, a CSV of one
 * table. Durations are in minutes, from the deposit of the decided version to the decision.
 */

/** The period asked, or the default one; 400 when it runs backwards or is too long. */
export function periodOf(deps: ApiDeps, query: { from?: string; to?: string }): { from: string; to: string } {
  const day = 86_400_000;
  const to = query.to ?? parisDate(nowOf(deps));
  const from =
    query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_PERIOD_DAYS - 1) * day).toISOString().slice(0, 10);
  const length = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / day + 1;
  if (length < 1 || length > MAX_PERIOD_DAYS) {
    throw new HttpError(400, 'INVALID_QUERY', 'Paramètres de requête invalides.', {
      issues: [
        {
          path: 'from',
          message:
            length < 1
              ? 'Le premier jour (from) est après le dernier (to)'
              : `Période trop longue : ${MAX_PERIOD_DAYS} jours au plus`,
        },
      ],
    });
  }
  return { from, to };
}

// ---- Exports --------------------------------------------------------------------------------------------------

type Kind = 'text' | 'integer' | 'decimal' | 'percent' | 'date';

interface MetricColumn<T> {
  header: string;
  kind: Kind;
  width: number;
  /** Text, integer, minutes or a fraction (percent) as numbers; date as YYYY-MM-DD. */
  value: (row: T) => string | number | null;
}

const FORMATS: Record<Kind, string> = {
  text: '@',
  integer: '0',
  decimal: '0.00',
  percent: '0.00 %',
  date: 'dd/mm/yyyy',
};

interface Sheet<T> {
  name: string;
  columns: readonly MetricColumn<T>[];
  rows: (m: Metrics) => readonly T[];
}

const ORIGIN_LABELS = { AUTOMATIC: 'Automatique', MANUAL: 'Manuelle' } as const;
const integer = (header: string, value: (row: { decided: number }) => number, width = 12) =>
  ({ header, kind: 'integer', width, value }) as const;
const countColumns = [
  integer('Décisions', (r) => r.decided),
  { header: 'Validations', kind: 'integer', width: 12, value: (r: { approved: number }) => r.approved },
  { header: 'Refus', kind: 'integer', width: 10, value: (r: { refused: number }) => r.refused },
] as const;
const durationColumns = [
  {
    header: 'Délai médian dépôt → décision (min)',
    kind: 'decimal',
    width: 20,
    value: (r: { medianMinutes: number | null }) => r.medianMinutes,
  },
  {
    header: 'Délai p90 dépôt → décision (min)',
    kind: 'decimal',
    width: 20,
    value: (r: { p90Minutes: number | null }) => r.p90Minutes,
  },
] as const;

type Row<K extends keyof Metrics> = Metrics[K] extends readonly (infer T)[] ? T : never;

const DAY_COLUMNS: readonly MetricColumn<Row<'days'>>[] = [
  { header: 'Jour', kind: 'date', width: 12, value: (r) => r.day },
  ...countColumns,
  { header: 'Automatiques', kind: 'integer', width: 13, value: (r) => r.automatic },
  { header: 'Manuelles', kind: 'integer', width: 11, value: (r) => r.manual },
  ...durationColumns,
];
const VALIDATOR_COLUMNS: readonly MetricColumn<Row<'validators'>>[] = [
  { header: 'Valideur', kind: 'text', width: 28, value: (r) => r.name },
  ...countColumns,
  ...durationColumns,
];
const VALIDATOR_DAY_COLUMNS: readonly MetricColumn<Row<'validatorDays'>>[] = [
  { header: 'Jour', kind: 'date', width: 12, value: (r) => r.day },
  { header: 'Valideur', kind: 'text', width: 28, value: (r) => r.name },
  ...countColumns,
  ...durationColumns,
];
const REASON_COLUMNS: readonly MetricColumn<Row<'refusalsByReason'>>[] = [
  { header: 'Motif', kind: 'text', width: 24, value: (r) => r.reasonCode },
  { header: 'Libellé', kind: 'text', width: 40, value: (r) => r.label },
  { header: 'Origine', kind: 'text', width: 12, value: (r) => ORIGIN_LABELS[r.origin] },
  { header: 'Refus', kind: 'integer', width: 10, value: (r) => r.refused },
  { header: 'Taux parmi les décisions', kind: 'percent', width: 14, value: (r) => r.rate },
  { header: 'Part des refus', kind: 'percent', width: 14, value: (r) => r.shareOfRefusals },
];
const ORIGIN_COLUMNS: readonly MetricColumn<Row<'refusalsByOrigin'>>[] = [
  { header: 'Origine', kind: 'text', width: 12, value: (r) => ORIGIN_LABELS[r.origin] },
  ...countColumns,
  { header: 'Taux de refus', kind: 'percent', width: 14, value: (r) => r.refusalRate },
];
const BACKLOG_COLUMNS: readonly MetricColumn<Row<'backlog'>>[] = [
  { header: 'Ancienneté du dépôt', kind: 'text', width: 20, value: (r) => r.label },
  { header: 'Dossiers en attente', kind: 'integer', width: 18, value: (r) => r.count },
];

interface Indicator {
  label: string;
  value: number | null;
}
const SUMMARY_COLUMNS: readonly MetricColumn<Indicator>[] = [
  { header: 'Indicateur', kind: 'text', width: 48, value: (r) => r.label },
  { header: 'Valeur', kind: 'decimal', width: 14, value: (r) => r.value },
];

function summary(m: Metrics): Indicator[] {
  const t = m.totals;
  return [
    { label: `Période du ${frenchDay(m.period.from)} au ${frenchDay(m.period.to)} (heure de Paris)`, value: null },
    { label: 'Décisions', value: t.decided },
    { label: 'Validations', value: t.approved },
    { label: 'Refus', value: t.refused },
    { label: 'Décisions automatiques', value: t.automatic },
    { label: 'Décisions manuelles', value: t.manual },
    { label: 'Délai médian dépôt → décision (min)', value: t.medianMinutes },
    { label: 'Délai p90 dépôt → décision (min)', value: t.p90Minutes },
    { label: 'Taux de refus (%)', value: t.refusalRate === null ? null : percent(t.refusalRate) },
    {
      label: 'Part des validations automatiques (%)',
      value: t.automaticApprovalShare === null ? null : percent(t.automaticApprovalShare),
    },
  ];
}

const percent = (fraction: number): number => Math.round(fraction * 10_000) / 100;

function frenchDay(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

/** Each table of the figures as a sheet, the CSV's `table` names them. */
const SHEETS: { [K in MetricsTable]: Sheet<Row<K>> } = {
  days: { name: 'Par jour', columns: DAY_COLUMNS, rows: (m) => m.days },
  validators: { name: 'Par valideur', columns: VALIDATOR_COLUMNS, rows: (m) => m.validators },
  validatorDays: { name: 'Par jour et valideur', columns: VALIDATOR_DAY_COLUMNS, rows: (m) => m.validatorDays },
  refusalsByReason: { name: 'Refus par motif', columns: REASON_COLUMNS, rows: (m) => m.refusalsByReason },
  refusalsByOrigin: { name: 'Refus par origine', columns: ORIGIN_COLUMNS, rows: (m) => m.refusalsByOrigin },
  backlog: { name: 'File par ancienneté', columns: BACKLOG_COLUMNS, rows: (m) => m.backlog },
};

function cell(kind: Kind, value: string | number | null): ExcelJS.CellValue {
  if (value === null) return null;
  if (kind === 'date') {
    const [y, m, d] = String(value).split('-').map(Number);
    return new Date(Date.UTC(y as number, (m as number) - 1, d as number));
  }
  return value;
}

function addSheet<T>(book: ExcelJS.Workbook, name: string, columns: readonly MetricColumn<T>[], rows: readonly T[]) {
  const sheet = book.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({ header: c.header, width: c.width, style: { numFmt: FORMATS[c.kind] } }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.eachCell((c) => {
    c.numFmt = 'General';
  });
  for (const row of rows) sheet.addRow(columns.map((c) => cell(c.kind, c.value(row))));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
}

/** A synthesis sheet, then one sheet per table; typed cells, header rows frozen with filters, as api/exports.ts. */
export async function metricsWorkbook(m: Metrics): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Opco Factures';
  book.created = new Date();
  addSheet(book, 'Synthèse', SUMMARY_COLUMNS, summary(m));
  for (const table of METRICS_TABLES) {
    const sheet = SHEETS[table] as Sheet<unknown>;
    addSheet(book, sheet.name, sheet.columns, sheet.rows(m));
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** `12.5` → `12,5`: a number French Excel reads as such. */
function frenchNumber(value: number): string {
  return String(value).replace('.', ',');
}

/** The table as api/exports.ts's CSV (`;`, UTF-8 BOM): minutes with a decimal comma, rates in percent. */
export function metricsCsv(m: Metrics, table: MetricsTable): Buffer {
  const sheet = SHEETS[table] as Sheet<unknown>;
  const columns: Column<unknown>[] = sheet.columns.map((c) => {
    switch (c.kind) {
      case 'decimal':
        return { ...c, kind: 'text', value: (r) => nullOr(c.value(r), (v) => frenchNumber(v)) };
      case 'percent':
        return {
          ...c,
          header: `${c.header} (%)`,
          kind: 'text',
          value: (r) => nullOr(c.value(r), (v) => frenchNumber(percent(v))),
        };
      default:
        return { ...c, kind: c.kind };
    }
  });
  return csv(columns, sheet.rows(m));
}

function nullOr(value: string | number | null, format: (v: number) => string): string | null {
  return value === null ? null : format(Number(value));
}

export function metricsEndpoints(deps: ApiDeps): AnyEndpoint[] {
  const figures = (query: { from?: string; to?: string }) => metrics(deps.db, periodOf(deps, query), nowOf(deps));
  return [
    endpoint({
      operationId: 'getMetrics',
      method: 'get',
      path: '/api/admin/metrics',
      tag: 'Indicateurs',
      summary: 'Indicateurs de gestion : décisions par jour et par valideur, délais, refus, file par ancienneté',
      description:
        'Jours calendaires de Paris, par défaut les 30 derniers. Délais en minutes, du dépôt de la version décidée à ' +
        'la décision (médiane et 90e centile interpolés, percentile_cont).',
      right: 'metrics:read',
      query: metricsQuery,
      responses: { 200: { description: 'Les indicateurs de la période', schema: metricsResponse } },
      handle: async ({ query, reply }) => reply(200, metricsResponse, await figures(query)),
    }),
    endpoint({
      operationId: 'exportMetricsXlsx',
      method: 'get',
      path: '/api/admin/metrics/export.xlsx',
      tag: 'Indicateurs',
      summary: 'Les indicateurs en classeur Excel, une feuille par tableau',
      right: 'metrics:read',
      query: metricsQuery,
      responses: { 200: { description: 'Classeur Excel', contentType: XLSX_TYPE } },
      handle: async (ctx) => {
        const m = await figures(ctx.query);
        sendFile(ctx, XLSX_TYPE, `indicateurs-${m.period.from}-${m.period.to}.xlsx`, await metricsWorkbook(m));
      },
    }),
    endpoint({
      operationId: 'exportMetricsCsv',
      method: 'get',
      path: '/api/admin/metrics/export.csv',
      tag: 'Indicateurs',
      summary: 'Un tableau des indicateurs en CSV (par défaut par jour ; séparateur « ; », UTF-8 avec BOM)',
      right: 'metrics:read',
      query: metricsCsvQuery,
      responses: { 200: { description: 'CSV pour Excel en français', contentType: CSV_TYPE } },
      handle: async (ctx) => {
        const m = await figures(ctx.query);
        const name = `indicateurs-${ctx.query.table}-${m.period.from}-${m.period.to}.csv`;
        sendFile(ctx, CSV_TYPE, name, metricsCsv(m, ctx.query.table));
      },
    }),
  ];
}
