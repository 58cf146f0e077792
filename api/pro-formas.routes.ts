import crypto from 'node:crypto';
import { dashboardCounters } from '../db/dashboard';
import { findProFormaDetail, findProFormaState, type ProFormaDetailView } from '../db/pro-forma-detail';
import { findDocument } from '../db/pro-forma-documents';
import { proFormaContractLines } from '../db/pro-forma-lines';
import { listProFormas, proFormasForExport } from '../db/pro-forma-list';
import type { Scope } from '../db/pro-forma-summary';
import { parisDate } from '../domain/dates';
import { assertAllowed, statusLabel } from '../domain/process';
import { cancelUpdate, getProFormaQuery, proFormaWorkflowId } from '../workflows/pro-forma.messages';
import { actingCfa, scopeOf, type User } from './auth';
import { depositInvoice } from './deposits';
import { generationDeps, nowOf, workflowCalls, type ApiDeps } from './deps';
import { downloadFileName, sendFile } from './downloads';
import { generateProFormas, listEligibleInstallments, previewGeneration } from './generation';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { CONTRACT_COLUMNS, CSV_TYPE, PRO_FORMA_COLUMNS, XLSX_TYPE, csv, workbook } from './exports';
import { documentParams, emptyBody, numberParams } from './schemas/common';
import {
  dashboardResponse,
  eligibleQuery,
  eligibleResponse,
  generatedResponse,
  generateRequest,
  generationPreviewResponse,
  proFormaDetailResponse,
  proFormaExportQuery,
  proFormaListQuery,
  proFormaListResponse,
  refusalResponse,
} from './schemas/pro-formas';
import { requestIdOf, updateProForma, withTemporalDeadline, type WorkflowCallDeps } from './workflow-calls';

/** A filtered list exports at most this many pro formas; beyond, the user narrows the filters. */
export const MAX_EXPORT_ROWS = 20_000;

export function notFound(number: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `Pro forma ${number} introuvable.`);
}

export function actorOf(user: User) {
  return { id: user.id, role: user.role, name: user.name };
}

/** The pro forma as the read model now knows it, after an action: what every state change answers with. */
export async function currentDetail(deps: ApiDeps, scope: Scope, number: string): Promise<ProFormaDetailView> {
  const detail = await findProFormaDetail(deps.db, scope, number);
  if (!detail) throw notFound(number);
  return detail;
}

/** The CFA's and everyone's pro forma endpoints: eligibility, generation, lists, detail, deposit, exports. */
export function proFormaEndpoints(deps: ApiDeps): AnyEndpoint[] {
  const calls = workflowCalls(deps);
  return [
    endpoint({
      operationId: 'listEligibleInstallments',
      method: 'get',
      path: '/api/installments/eligible',
      tag: 'CFA',
      summary: 'Échéances éligibles à la facturation, avec le récapitulatif',
      description:
        'Les échéances du CFA dont la période a commencé et qui ne sont dans aucune pro forma vivante, pour une nature ' +
        'de coûts, par pages (page, pageSize), triées (sort, order), avec la recherche avancée (prénom et nom de ' +
        'l’apprenti à part, SIRET adhérent, SIRET du CFA pédagogique, statut de la rupture) ; total et récapitulatif ' +
        'portent sur toute la sélection filtrée.',
      right: 'installments:read',
      query: eligibleQuery,
      responses: { 200: { description: 'Les échéances et le récapitulatif', schema: eligibleResponse } },
      errors: [404, 422],
      handle: async ({ user, query, reply }) => {
        const { cfaId, nature, page, pageSize, sort, order, ...filters } = query;
        const result = await listEligibleInstallments(
          deps.db,
          actingCfa(user, cfaId),
          nature,
          filters,
          { page, pageSize, sort, order },
          nowOf(deps),
        );
        reply(200, eligibleResponse, result);
      },
    }),

    endpoint({
      operationId: 'generateProFormas',
      method: 'post',
      path: '/api/pro-formas',
      tag: 'CFA',
      summary: 'Génère la ou les pro formas d’une sélection',
      description:
        'Sans installmentIds : toutes les échéances éligibles de la nature. Une sélection mêlant montants positifs et ' +
        'négatifs donne deux pro formas : une facture et un avoir. 409 quand une échéance n’est plus éligible, ou ' +
        '(PREVIEW_OUTDATED) quand la sélection a changé depuis le récapitulatif dont previewToken est le jeton.',
      right: 'pro-formas:generate',
      body: generateRequest,
      responses: { 201: { description: 'Les pro formas générées', schema: generatedResponse } },
      errors: [404, 409, 422, 503],
      handle: async ({ user, body, reply }) => {
        const created = await withTemporalDeadline(calls, () =>
          generateProFormas(generationDeps(deps), {
            cfaId: actingCfa(user, body.cfaId),
            nature: body.nature,
            installmentIds: body.installmentIds,
            settlementMode: body.settlementMode,
            previewToken: body.previewToken,
            actor: user.id,
            now: nowOf(deps),
            // The rows are committed: the reconciliation of workflow starts starts them once Temporal answers.
            onStartFailure: (number, error) =>
              deps.logger.error({ err: error, number }, 'workflow start failed; left to the reconciliation'),
          }),
        );
        reply(201, generatedResponse, { proFormas: created.map(({ id: _id, ...proForma }) => proForma) });
      },
    }),

    endpoint({
      operationId: 'previewGeneration',
      method: 'post',
      path: '/api/pro-formas/preview',
      tag: 'CFA',
      summary: 'Le récapitulatif avant génération : ce que la génération de la sélection créerait, sans rien créer',
      description:
        'Même corps que POST /api/pro-formas. Échéances incluses et exclues (avec le motif de chaque exclusion), ' +
        'montants facture, avoir et total, pro formas qui seraient générées, et un jeton (previewToken) à joindre à la ' +
        'génération : si la sélection a changé entre-temps, la génération répond 409 PREVIEW_OUTDATED.',
      right: 'pro-formas:generate',
      body: generateRequest,
      responses: { 200: { description: 'Le récapitulatif', schema: generationPreviewResponse } },
      errors: [404, 422],
      handle: async ({ user, body, reply }) => {
        const { previewToken: _ignored, cfaId, ...selection } = body;
        const preview = await previewGeneration(deps.db, { ...selection, cfaId: actingCfa(user, cfaId) }, nowOf(deps));
        reply(200, generationPreviewResponse, preview);
      },
    }),

    endpoint({
      operationId: 'listProFormas',
      method: 'get',
      path: '/api/pro-formas',
      tag: 'Pro formas',
      summary: 'Liste filtrée des pro formas, les plus récentes d’abord',
      description:
        'Le filtre category donne la liste d’un compteur du tableau de bord. Dates de génération et de dépôt (jours ' +
        'de Paris), montants, contrat, apprenti, date de la facture, recherche libre (q) ; le total compte les pro ' +
        'formas filtrées.',
      right: 'pro-formas:read',
      query: proFormaListQuery,
      responses: { 200: { description: 'Une page de la liste', schema: proFormaListResponse } },
      handle: async ({ user, query, reply }) => {
        const { page, pageSize, ...filters } = query;
        reply(200, proFormaListResponse, await listProFormas(deps.db, scopeOf(user), filters, { page, pageSize }));
      },
    }),

    endpoint({
      operationId: 'exportProFormasXlsx',
      method: 'get',
      path: '/api/pro-formas/export.xlsx',
      tag: 'Exports',
      summary: 'La liste filtrée, en classeur Excel',
      right: 'pro-formas:export',
      query: proFormaExportQuery,
      responses: { 200: { description: 'Classeur Excel', contentType: XLSX_TYPE } },
      errors: [422],
      handle: async (ctx) => {
        const rows = await exportRows(deps, scopeOf(ctx.user), ctx.query);
        sendFile(ctx, XLSX_TYPE, exportName(deps, 'xlsx'), await workbook('Pro formas', PRO_FORMA_COLUMNS, rows));
      },
    }),

    endpoint({
      operationId: 'exportProFormasCsv',
      method: 'get',
      path: '/api/pro-formas/export.csv',
      tag: 'Exports',
      summary: 'La liste filtrée, en CSV (séparateur « ; », UTF-8 avec BOM)',
      right: 'pro-formas:export',
      query: proFormaExportQuery,
      responses: { 200: { description: 'CSV pour Excel en français', contentType: CSV_TYPE } },
      errors: [422],
      handle: async (ctx) => {
        const rows = await exportRows(deps, scopeOf(ctx.user), ctx.query);
        sendFile(ctx, CSV_TYPE, exportName(deps, 'csv'), csv(PRO_FORMA_COLUMNS, rows));
      },
    }),

    endpoint({
      operationId: 'getDashboard',
      method: 'get',
      path: '/api/dashboard',
      tag: 'Pro formas',
      summary: 'Les compteurs du tableau de bord, avec l’heure de leur dernière mise à jour',
      description:
        'Émises (déposées), transmises (conformes : validées ou payées), refusées (automatiquement), rejetées ' +
        '(par un valideur), prises en charge (payées). Un utilisateur cfa voit celles de son CFA.',
      right: 'pro-formas:read',
      responses: { 200: { description: 'Les cinq compteurs', schema: dashboardResponse } },
      handle: async ({ user, reply }) => {
        const counters = await dashboardCounters(deps.db, scopeOf(user));
        reply(200, dashboardResponse, {
          counters: counters.map((c) => ({ ...c, link: `/api/pro-formas?category=${c.category}` })),
        });
      },
    }),

    endpoint({
      operationId: 'getProForma',
      method: 'get',
      path: '/api/pro-formas/:number',
      tag: 'Pro formas',
      summary: 'Une pro forma : lignes, documents, lecture, contrôles, refus, historique',
      right: 'pro-formas:read',
      params: numberParams,
      responses: { 200: { description: 'La pro forma', schema: proFormaDetailResponse } },
      errors: [404],
      handle: async ({ user, params, reply }) =>
        reply(200, proFormaDetailResponse, await currentDetail(deps, scopeOf(user), params.number)),
    }),

    endpoint({
      operationId: 'depositInvoice',
      method: 'post',
      path: '/api/pro-formas/:number/invoice',
      tag: 'CFA',
      summary: 'Dépose (ou redépose) la facture de la pro forma',
      description:
        'multipart/form-data, champ « file » : pdf, jpg, jpeg, gif ou png (jugé sur le contenu), 5 Mo au plus, nom ' +
        'de 50 caractères au plus. Au statut En attente de facture (dépôt), En cours de validation ou Refusé (nouvelle ' +
        'version). Le fichier est conservé avant que le traitement ne soit prévenu ; la lecture et les contrôles ' +
        'suivent (stage READING puis CONTROLLING).',
      right: 'pro-formas:deposit',
      params: numberParams,
      upload: 'invoice',
      idempotent: true,
      responses: { 202: { description: 'Dépôt pris en compte ; la pro forma', schema: proFormaDetailResponse } },
      errors: [404, 409, 413, 415, 422, 429, 503],
      handle: async ({ user, params, file, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state || !file) throw notFound(params.number);
        // Judged before anything is stored; the workflow's own validator judges again, and has the last word.
        assertAllowed(state, 'DEPOSIT_INVOICE');
        await depositInvoice(deps, user, scope, state, file, req.get('idempotency-key'));
        reply(202, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'cancelProForma',
      method: 'post',
      path: '/api/pro-formas/:number/cancel',
      tag: 'CFA',
      summary: 'Annule la pro forma ; ses échéances redeviennent éligibles',
      right: 'pro-formas:cancel',
      params: numberParams,
      body: emptyBody,
      idempotent: true,
      responses: { 200: { description: 'La pro forma annulée', schema: proFormaDetailResponse } },
      errors: [404, 409, 503],
      handle: async ({ user, params, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await requestIdOf(calls, {
          action: 'cancel',
          number: state.number,
          userId: user.id,
          keyHeader: req.get('idempotency-key'),
          content: {},
          // Without a key, each request is its own: a second cancellation is refused, naming the status.
          fallback: crypto.randomUUID(),
        });
        await updateProForma(calls, scope, state, 'CANCEL', cancelUpdate, { requestId, actor: actorOf(user) });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'getRefusal',
      method: 'get',
      path: '/api/pro-formas/:number/refusal',
      tag: 'CFA',
      summary: 'Le motif de refus et sa lettre, complétée des données de la pro forma',
      right: 'pro-formas:read',
      params: numberParams,
      responses: { 200: { description: 'Le refus', schema: refusalResponse } },
      errors: [404, 409],
      handle: async ({ user, params, reply }) => {
        const detail = await currentDetail(deps, scopeOf(user), params.number);
        if (detail.status !== 'REFUSED') {
          throw new HttpError(
            409,
            'NOT_REFUSED',
            `Aucun motif de refus : la facture pro forma est au statut « ${statusLabel(detail.status, detail.kind)} ».`,
            { status: detail.status },
          );
        }
        // The status is recorded an instant before the decision: in between, the workflow holds the refusal.
        const refusal = detail.refusal ?? (await refusalFromWorkflow(calls, detail.number));
        reply(200, refusalResponse, refusal);
      },
    }),

    endpoint({
      operationId: 'downloadDocument',
      method: 'get',
      path: '/api/pro-formas/:number/documents/:version',
      tag: 'Pro formas',
      summary: 'Une version déposée de la facture, avec le type jugé sur son contenu au dépôt',
      description:
        'Le fichier tel que déposé, en pièce jointe, avec le type reconnu à son contenu (PDF, PNG, JPEG ou GIF) et son ' +
        'nom d’origine nettoyé, dont l’extension suit ce type : un PDF déposé sous le nom facture.html se télécharge ' +
        'en facture.pdf.',
      right: 'pro-formas:read',
      params: documentParams,
      responses: { 200: { description: 'Le fichier déposé', contentType: 'application/octet-stream' } },
      errors: [404],
      handle: async (ctx) => {
        const { number, version } = ctx.params;
        const document = await findDocument(deps.db, scopeOf(ctx.user), number, version);
        if (!document) throw new HttpError(404, 'NOT_FOUND', `Version ${version} de ${number} introuvable.`);
        const name = downloadFileName(document.fileName, document.mimeType);
        sendFile(ctx, document.mimeType, name, await deps.store.get(document.storageKey));
      },
    }),

    endpoint({
      operationId: 'exportProFormaContracts',
      method: 'get',
      path: '/api/pro-formas/:number/contracts.xlsx',
      tag: 'Exports',
      summary: 'Les contrats de la pro forma (une ligne par échéance), en classeur Excel',
      right: 'pro-formas:read',
      params: numberParams,
      responses: { 200: { description: 'Classeur Excel', contentType: XLSX_TYPE } },
      errors: [404, 409],
      handle: async (ctx) => {
        const state = await findProFormaState(deps.db, scopeOf(ctx.user), ctx.params.number);
        if (!state) throw notFound(ctx.params.number);
        assertAllowed(state, 'EXPORT_CONTRACTS');
        const lines = await proFormaContractLines(deps.db, state.id);
        sendFile(
          ctx,
          XLSX_TYPE,
          `contrats-${state.number}.xlsx`,
          await workbook(state.number, CONTRACT_COLUMNS, lines),
        );
      },
    }),
  ];
}

async function exportRows(deps: ApiDeps, scope: Scope, filters: Parameters<typeof proFormasForExport>[2]) {
  const rows = await proFormasForExport(deps.db, scope, filters, MAX_EXPORT_ROWS + 1);
  if (rows.length > MAX_EXPORT_ROWS) {
    throw new HttpError(
      422,
      'EXPORT_TOO_LARGE',
      `L’export compte plus de ${MAX_EXPORT_ROWS} pro formas : affinez les filtres.`,
      { maxRows: MAX_EXPORT_ROWS },
    );
  }
  return rows;
}

function exportName(deps: ApiDeps, extension: string): string {
  return `pro-formas-${parisDate(nowOf(deps))}.${extension}`;
}

async function refusalFromWorkflow(calls: WorkflowCallDeps, number: string) {
  const view = await withTemporalDeadline(calls, () =>
    calls.temporal.workflow.getHandle(proFormaWorkflowId(number)).query(getProFormaQuery),
  );
  if (!view.refusal) {
    throw new HttpError(503, 'NOT_YET_RECORDED', 'Le refus est en cours d’enregistrement : réessayez dans un instant.');
  }
  const { origin, reasonCode, label, comment, letter, at } = view.refusal;
  return { origin, reasonCode, label, comment, letter, at };
}
