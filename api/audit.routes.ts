import { auditForExport, listAudit, type AuditFilters, type AuditView } from '../db/reference-audit';
import { parisDate } from '../domain/dates';
import { nowOf, type ApiDeps } from './deps';
import { sendFile } from './downloads';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { CSV_TYPE, XLSX_TYPE, csv, workbook, type Column } from './exports';
import { AUDITED_ENTITY_LABELS, auditExportQuery, auditListQuery, auditListResponse } from './schemas/admin';

/** An audit export holds at most this many rows; beyond, the admin narrows the filters. */
export const MAX_AUDIT_EXPORT_ROWS = 20_000;

const ACTION_LABELS: Record<string, string> = {
  CREATE: 'Création',
  UPDATE: 'Modification',
  REVOKE: 'Révocation',
  TOKEN_REPLACED: 'Nouveau jeton',
  ASSIGN: 'Affectation',
  NEW_VERSION: 'Nouvelle version',
  RETIRE: 'Retrait',
};

const actionLabel = (action: string): string => ACTION_LABELS[action] ?? action;
const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

function entryOf(view: AuditView) {
  return { ...view, entityLabel: AUDITED_ENTITY_LABELS[view.entity], actionLabel: actionLabel(view.action) };
}

/** Columns of the audit's exports: one row per change, newest first. */
export const AUDIT_COLUMNS: readonly Column<AuditView>[] = [
  { header: 'N°', kind: 'integer', width: 8, value: (a) => a.id },
  { header: 'Date', kind: 'datetime', width: 17, value: (a) => a.at },
  { header: 'Objet', kind: 'text', width: 16, value: (a) => AUDITED_ENTITY_LABELS[a.entity] },
  { header: 'Identifiant', kind: 'text', width: 38, value: (a) => a.entityId },
  { header: 'Action', kind: 'text', width: 18, value: (a) => actionLabel(a.action) },
  { header: 'Auteur', kind: 'text', width: 24, value: (a) => a.actor?.name ?? 'Système' },
  { header: 'E-mail de l’auteur', kind: 'text', width: 28, value: (a) => a.actor?.email ?? null },
  { header: 'Avant', kind: 'text', width: 60, value: (a) => json(a.before) },
  { header: 'Après', kind: 'text', width: 60, value: (a) => json(a.after) },
];

async function exportRows(deps: ApiDeps, filters: AuditFilters): Promise<AuditView[]> {
  const rows = await auditForExport(deps.db, filters, MAX_AUDIT_EXPORT_ROWS + 1);
  if (rows.length > MAX_AUDIT_EXPORT_ROWS) {
    throw new HttpError(
      422,
      'EXPORT_TOO_LARGE',
      `L’export compte plus de ${MAX_AUDIT_EXPORT_ROWS} modifications : affinez les filtres.`,
      { maxRows: MAX_AUDIT_EXPORT_ROWS },
    );
  }
  return rows;
}

const exportName = (deps: ApiDeps, extension: string) => `audit-referentiel-${parisDate(nowOf(deps))}.${extension}`;

const FILTERS_DESCRIPTION =
  'Filtres : type d’objet (entity), identifiant (entityId), auteur (actor), période en jours de Paris (from, to ' +
  'inclus). Les plus récentes d’abord.';

/** The audit of reference data: who changed which CFA, mandate, user, portfolio or refusal reason, when, and how. */
export function auditEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'listReferenceAudit',
      method: 'get',
      path: '/api/admin/audit',
      tag: 'Administration',
      summary: 'L’historique des modifications des données de référence',
      description: FILTERS_DESCRIPTION,
      right: 'audit:read',
      query: auditListQuery,
      responses: { 200: { description: 'Une page de l’historique', schema: auditListResponse } },
      handle: async ({ query, reply }) => {
        const { page, pageSize, ...filters } = query;
        const list = await listAudit(deps.db, filters, { page, pageSize });
        reply(200, auditListResponse, { ...list, items: list.items.map(entryOf) });
      },
    }),

    endpoint({
      operationId: 'exportReferenceAuditXlsx',
      method: 'get',
      path: '/api/admin/audit/export.xlsx',
      tag: 'Exports',
      summary: 'L’historique filtré des données de référence, en classeur Excel',
      description: FILTERS_DESCRIPTION,
      right: 'audit:read',
      query: auditExportQuery,
      responses: { 200: { description: 'Classeur Excel', contentType: XLSX_TYPE } },
      errors: [422],
      handle: async (ctx) => {
        const rows = await exportRows(deps, ctx.query);
        sendFile(ctx, XLSX_TYPE, exportName(deps, 'xlsx'), await workbook('Historique', AUDIT_COLUMNS, rows));
      },
    }),

    endpoint({
      operationId: 'exportReferenceAuditCsv',
      method: 'get',
      path: '/api/admin/audit/export.csv',
      tag: 'Exports',
      summary: 'L’historique filtré des données de référence, en CSV (séparateur « ; », UTF-8 avec BOM)',
      description: FILTERS_DESCRIPTION,
      right: 'audit:read',
      query: auditExportQuery,
      responses: { 200: { description: 'CSV pour Excel en français', contentType: CSV_TYPE } },
      errors: [422],
      handle: async (ctx) => {
        const rows = await exportRows(deps, ctx.query);
        sendFile(ctx, CSV_TYPE, exportName(deps, 'csv'), csv(AUDIT_COLUMNS, rows));
      },
    }),
  ];
}
