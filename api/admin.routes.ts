import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ReferenceAlert } from '../activities/notifications';
import {
  cfaExists,
  createCfa,
  createMandate,
  createMandateWithDocument,
  createRefusalReason,
  findRefusalReason,
  listCfas,
  listRefusalReasons,
  retireRefusalReason,
  reviseRefusalReason,
  updateCfa,
  type CfaChange,
  type ReasonChangeOutcome,
} from '../db/admin-queries';
import { createContract, importContractRow } from '../db/contract-import';
import { assignPortfolio, listPortfolios } from '../db/portfolios';
import { maskIban } from '../domain/mail-templates';
import { auditEndpoints } from './audit.routes';
import type { User } from './auth';
import { workflowCalls, type ApiDeps } from './deps';
import { endpoint, type AnyEndpoint, type EndpointContext } from './endpoint';
import { HttpError } from './errors';
import { withTemporalDeadline } from './workflow-calls';
import { contractsTemplate } from './contract-workbook';
import { acceptInvoiceFile, readImportedWorkbook } from './uploads';
import { MANDATE_UPLOAD_FIELDS, mandateItem, mandateUploadFields } from './schemas/mandates';
import { XLSX_TYPE } from './exports';
import {
  cfaListResponse,
  cfaResponse,
  contractResponse,
  createCfaRequest,
  createContractRequest,
  createMandateRequest,
  createRefusalReasonRequest,
  importReportResponse,
  mandateResponse,
  portfolioListResponse,
  portfolioRequest,
  portfolioResponse,
  refusalReasonDetailResponse,
  refusalReasonListQuery,
  refusalReasonListResponse,
  refusalReasonParams,
  refusalReasonResponse,
  reviseRefusalReasonRequest,
  updateCfaRequest,
} from './schemas/admin';
import { cfaParams, emptyBody, pageQuery, userParams } from './schemas/common';

export function pageOf<T>(items: readonly T[], query: { page: number; pageSize: number }) {
  const start = (query.page - 1) * query.pageSize;
  return { items: items.slice(start, start + query.pageSize), total: items.length, ...query };
}

export function unknownCfa(cfaId: string): HttpError {
  return new HttpError(422, 'UNKNOWN_CFA', `Aucun CFA ${cfaId}.`, {
    issues: [{ path: 'cfaId', message: 'CFA inconnu' }],
  });
}

export function userNotFound(userId: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `Utilisateur ${userId} introuvable.`);
}

function reasonNotFound(code: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `Motif de refus ${code} introuvable.`);
}

/** The reason a change of the catalogue answers with, or the error it meets. */
function changedReason(outcome: ReasonChangeOutcome, code: string) {
  switch (outcome.kind) {
    case 'not_found':
      throw reasonNotFound(code);
    case 'retired':
      throw new HttpError(
        409,
        'REFUSAL_REASON_RETIRED',
        `Le motif de refus ${code} est retiré du catalogue : il ne peut plus être modifié.`,
        { retiredAt: outcome.reason.retiredAt },
      );
    case 'automatic':
      throw new HttpError(
        409,
        'REFUSAL_REASON_AUTOMATIC',
        `Le motif de refus ${code} est utilisé par les contrôles automatiques : il ne peut pas être retiré.`,
      );
    case 'changed':
    case 'unchanged':
      return outcome.reason;
  }
}

/** The pro forma numbers an IBAN alert lists at most (it always gives their count). */
const MAX_ALERT_NUMBERS = 200;

/** The workflow of the alert about an audited change: one per audit row, the CFA's id keeps it unique per database. */
export const ibanAlertWorkflowId = (cfaId: string, auditId: number): string => `iban-changed-${cfaId}-${auditId}`;

/**
 * An IBAN changed while pro formas await payment: every active admin is alerted by e-mail (the classic path of
 * payment fraud), durably, by a workflow started inside the change's transaction. If the start fails, the change is
 * rolled back (503): a change never lands without its alert. The IBANs travel masked (no full IBAN in Temporal).
 */
async function startIbanAlert(deps: ApiDeps, user: User, change: CfaChange): Promise<void> {
  if (change.awaitingPayment.length === 0) return;
  const alert: ReferenceAlert = {
    auditId: change.audit.id,
    template: 'IBAN_CHANGED',
    data: {
      cfaName: change.after.name,
      cfaSiret: change.after.siret,
      oldIban: maskIban(change.before.iban),
      newIban: maskIban(change.after.iban),
      awaitingPaymentCount: change.awaitingPayment.length,
      // The count is exact; the list is capped (a workflow's input and an e-mail stay small).
      awaitingPaymentNumbers: change.awaitingPayment.slice(0, MAX_ALERT_NUMBERS),
      changedByName: user.name,
      changedByEmail: user.email,
      changedAt: change.audit.at,
    },
  };
  try {
    // By name: the API never loads workflow code (workflows/reference-alerts.ts).
    await withTemporalDeadline(workflowCalls(deps), () =>
      deps.temporal.workflow.start<(input: ReferenceAlert) => Promise<{ sent: number }>>('referenceAlertWorkflow', {
        workflowId: ibanAlertWorkflowId(change.after.id, change.audit.id),
        taskQueue: deps.config.temporal.taskQueue,
        args: [alert],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `IBAN modifié · ${change.after.name} · ${change.awaitingPayment.length} pro forma(s) validée(s)`,
      }),
    );
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Reference data, managed by admins: CFAs, users and their tokens, mandates, contracts, refusal reasons. */
export function adminEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'createCfa',
      method: 'post',
      path: '/api/admin/cfas',
      tag: 'Administration',
      summary: 'Enregistre un CFA',
      right: 'admin:manage',
      body: createCfaRequest,
      responses: { 201: { description: 'Le CFA', schema: cfaResponse } },
      errors: [409, 422],
      handle: async ({ user, body, reply }) =>
        reply(201, cfaResponse, await createCfa(deps.db, body, { actor: user.id })),
    }),

    endpoint({
      operationId: 'listCfas',
      method: 'get',
      path: '/api/admin/cfas',
      tag: 'Administration',
      summary: 'Les CFA',
      right: 'admin:manage',
      query: pageQuery,
      responses: { 200: { description: 'Une page des CFA', schema: cfaListResponse } },
      handle: async ({ query, reply }) => reply(200, cfaListResponse, pageOf(await listCfas(deps.db), query)),
    }),

    endpoint({
      operationId: 'updateCfa',
      method: 'patch',
      path: '/api/admin/cfas/:cfaId',
      tag: 'Administration',
      summary: 'Modifie un CFA (nom, e-mail, IBAN, confiance, mode de règlement des avoirs)',
      description:
        'La confiance et les coordonnées valent pour les pro formas générées ensuite. Chaque modification est ' +
        'historisée. Un changement d’IBAN alors que des pro formas validées attendent leur paiement alerte chaque ' +
        'administrateur par e-mail ; si l’alerte ne peut être lancée (503), rien n’est modifié.',
      right: 'admin:manage',
      params: cfaParams,
      body: updateCfaRequest,
      responses: { 200: { description: 'Le CFA', schema: cfaResponse } },
      errors: [404, 422, 503],
      handle: async ({ user, params, body, reply }) => {
        const cfa = await updateCfa(deps.db, params.cfaId, body, {
          actor: user.id,
          beforeCommit: (change) => startIbanAlert(deps, user, change),
        });
        if (!cfa) throw new HttpError(404, 'NOT_FOUND', `CFA ${params.cfaId} introuvable.`);
        reply(200, cfaResponse, cfa);
      },
    }),

    endpoint({
      operationId: 'createMandate',
      method: 'post',
      path: '/api/admin/cfas/:cfaId/mandates',
      tag: 'Administration',
      summary: 'Enregistre un mandat de facturation du CFA',
      right: 'admin:manage',
      params: cfaParams,
      body: createMandateRequest,
      responses: { 201: { description: 'Le mandat', schema: mandateResponse } },
      errors: [404, 422],
      handle: async ({ user, params, body, reply }) => {
        if (!(await cfaExists(deps.db, params.cfaId))) {
          throw new HttpError(404, 'NOT_FOUND', `CFA ${params.cfaId} introuvable.`);
        }
        const mandate = await createMandate(
          deps.db,
          { cfaId: params.cfaId, validFrom: body.validFrom, validTo: body.validTo ?? null },
          { actor: user.id },
        );
        reply(201, mandateResponse, mandate);
      },
    }),

    endpoint({
      operationId: 'uploadMandate',
      method: 'post',
      path: '/api/admin/cfas/:cfaId/mandates/document',
      tag: 'Administration',
      summary: 'Enregistre un mandat de facturation signé (PDF) du CFA',
      description:
        'multipart/form-data : le mandat signé dans le champ « file » (un PDF, jugé sur son contenu, 5 Mo au plus), ' +
        'et les champs « validFrom » (AAAA-MM-JJ) et « validTo » (facultatif : sans fin). Le fichier est conservé ' +
        'avant l’enregistrement du mandat ; l’enregistrement est historisé.',
      right: 'admin:manage',
      params: cfaParams,
      upload: 'invoice',
      uploadFields: MANDATE_UPLOAD_FIELDS,
      body: mandateUploadFields,
      responses: { 201: { description: 'Le mandat et son document', schema: mandateItem } },
      errors: [404, 413, 415, 422, 429],
      handle: async ({ user, params, body, file, reply }) => {
        if (!file) throw new HttpError(400, 'FILE_MISSING', 'Aucun fichier reçu.');
        if (!(await cfaExists(deps.db, params.cfaId))) {
          throw new HttpError(404, 'NOT_FOUND', `CFA ${params.cfaId} introuvable.`);
        }
        const accepted = await acceptInvoiceFile(file);
        if (accepted.mimeType !== 'application/pdf') {
          throw new HttpError(415, 'FILE_TYPE_NOT_ACCEPTED', 'Le mandat signé est attendu au format PDF.', {
            detected: accepted.mimeType,
          });
        }
        // The file first: a mandate row never names a document the store does not hold.
        await deps.store.put(file.buffer);
        const mandate = await createMandateWithDocument(
          deps.db,
          {
            cfaId: params.cfaId,
            validFrom: body.validFrom,
            validTo: body.validTo ?? null,
            document: {
              sha256: accepted.sha256,
              fileName: accepted.fileName,
              mimeType: 'application/pdf',
              size: accepted.size,
              uploadedBy: user.id,
            },
          },
          { actor: user.id },
        );
        reply(201, mandateItem, mandate);
      },
    }),

    endpoint({
      operationId: 'createContract',
      method: 'post',
      path: '/api/admin/contracts',
      tag: 'Administration',
      summary: 'Enregistre un contrat et ses échéances',
      right: 'admin:manage',
      body: createContractRequest,
      responses: { 201: { description: 'Le contrat et ses échéances', schema: contractResponse } },
      errors: [409, 422],
      handle: async ({ body, reply }) => {
        if (!(await cfaExists(deps.db, body.cfaId))) throw unknownCfa(body.cfaId);
        const { installments, ...contract } = body;
        reply(201, contractResponse, await createContract(deps.db, contract, installments));
      },
    }),

    endpoint({
      operationId: 'importContracts',
      method: 'post',
      path: '/api/admin/imports/contracts',
      tag: 'Administration',
      summary: 'Importe des contrats et échéances depuis le modèle Excel',
      description:
        'multipart/form-data, champ « file » : un classeur .xlsx au format du modèle. Chaque ligne est importée à ' +
        'part : une ligne refusée (avec son numéro et le motif) ne bloque pas les autres ; réimporter les mêmes ' +
        'lignes ne crée rien en double.',
      right: 'admin:manage',
      upload: 'workbook',
      responses: { 200: { description: 'Le compte rendu de l’import', schema: importReportResponse } },
      errors: [413, 415, 422, 429],
      handle: async ({ file, reply }) => {
        if (!file) throw new HttpError(400, 'FILE_MISSING', 'Aucun fichier reçu.');
        const rows = await readImportedWorkbook(deps.readers, file.buffer);
        const report = { imported: 0, unchanged: 0, rejected: [] as { row: number; error: string }[] };
        for (const row of rows) {
          if (!row.ok) {
            report.rejected.push({ row: row.row, error: row.error });
            continue;
          }
          const outcome = await importContractRow(deps.db, row.value);
          if (outcome.kind === 'created') report.imported++;
          else if (outcome.kind === 'unchanged') report.unchanged++;
          else report.rejected.push({ row: row.row, error: outcome.error });
        }
        reply(200, importReportResponse, report);
      },
    }),

    endpoint({
      operationId: 'getContractsTemplate',
      method: 'get',
      path: '/api/admin/imports/contracts/template.xlsx',
      tag: 'Administration',
      summary: 'Le modèle Excel de l’import des contrats',
      right: 'admin:manage',
      responses: { 200: { description: 'Classeur Excel', contentType: XLSX_TYPE } },
      handle: async (ctx: EndpointContext<unknown, unknown, unknown>) => {
        ctx.res.type(XLSX_TYPE);
        ctx.res.attachment('modele-import-contrats.xlsx');
        ctx.res.send(await contractsTemplate());
      },
    }),

    endpoint({
      operationId: 'listRefusalReasons',
      method: 'get',
      path: '/api/admin/refusal-reasons',
      tag: 'Administration',
      summary: 'Le catalogue des motifs de refus',
      description: 'Sans les motifs retirés, sauf avec includeRetired=true.',
      right: 'refusal-reasons:read',
      query: refusalReasonListQuery,
      responses: { 200: { description: 'Une page du catalogue', schema: refusalReasonListResponse } },
      handle: async ({ query, reply }) => {
        const { includeRetired, ...page } = query;
        reply(200, refusalReasonListResponse, pageOf(await listRefusalReasons(deps.db, { includeRetired }), page));
      },
    }),

    endpoint({
      operationId: 'getRefusalReason',
      method: 'get',
      path: '/api/admin/refusal-reasons/:code',
      tag: 'Administration',
      summary: 'Un motif de refus et toutes ses versions',
      right: 'refusal-reasons:read',
      params: refusalReasonParams,
      responses: { 200: { description: 'Le motif et ses versions', schema: refusalReasonDetailResponse } },
      errors: [404],
      handle: async ({ params, reply }) => {
        const reason = await findRefusalReason(deps.db, params.code);
        if (!reason) throw reasonNotFound(params.code);
        reply(200, refusalReasonDetailResponse, reason);
      },
    }),

    endpoint({
      operationId: 'reviseRefusalReason',
      method: 'patch',
      path: '/api/admin/refusal-reasons/:code',
      tag: 'Administration',
      summary: 'Modifie le libellé et/ou la lettre d’un motif de refus (nouvelle version)',
      description:
        'Crée la version suivante ; les lettres déjà envoyées gardent leur texte. Un motif retiré ne se modifie ' +
        'plus (409).',
      right: 'admin:manage',
      params: refusalReasonParams,
      body: reviseRefusalReasonRequest,
      responses: { 200: { description: 'Le motif, dans sa nouvelle version', schema: refusalReasonResponse } },
      errors: [404, 409, 422],
      handle: async ({ user, params, body, reply }) => {
        const outcome = await reviseRefusalReason(deps.db, params.code, body, { actor: user.id });
        reply(200, refusalReasonResponse, changedReason(outcome, params.code));
      },
    }),

    endpoint({
      operationId: 'retireRefusalReason',
      method: 'post',
      path: '/api/admin/refusal-reasons/:code/retire',
      tag: 'Administration',
      summary: 'Retire un motif de refus du catalogue',
      description:
        'Le motif n’est plus proposé aux valideurs ; il reste affiché sur les refus qui l’ont utilisé. Retirer un ' +
        'motif déjà retiré ne change rien ; un motif des contrôles automatiques ne se retire pas (409).',
      right: 'admin:manage',
      params: refusalReasonParams,
      body: emptyBody,
      responses: { 200: { description: 'Le motif retiré', schema: refusalReasonResponse } },
      errors: [404, 409],
      handle: async ({ user, params, reply }) => {
        const outcome = await retireRefusalReason(deps.db, params.code, { actor: user.id });
        reply(200, refusalReasonResponse, changedReason(outcome, params.code));
      },
    }),

    endpoint({
      operationId: 'createRefusalReason',
      method: 'post',
      path: '/api/admin/refusal-reasons',
      tag: 'Administration',
      summary: 'Ajoute un motif de refus au catalogue',
      right: 'admin:manage',
      body: createRefusalReasonRequest,
      responses: { 201: { description: 'Le motif', schema: refusalReasonResponse } },
      errors: [409, 422],
      handle: async ({ user, body, reply }) =>
        reply(201, refusalReasonResponse, await createRefusalReason(deps.db, body, { actor: user.id })),
    }),

    endpoint({
      operationId: 'assignPortfolio',
      method: 'put',
      path: '/api/admin/validators/:userId/portfolio',
      tag: 'Administration',
      summary: 'Remplace le portefeuille de CFA d’un valideur',
      description:
        'La file de validation d’un valideur montre d’abord les CFA de son portefeuille ; un CFA d’aucun portefeuille ' +
        'est traité par tous. Une liste vide vide le portefeuille. Chaque changement est historisé.',
      right: 'admin:manage',
      params: userParams,
      body: portfolioRequest,
      responses: { 200: { description: 'Le valideur et son portefeuille', schema: portfolioResponse } },
      errors: [404, 422],
      handle: async ({ user, params, body, reply }) => {
        const outcome = await assignPortfolio(deps.db, params.userId, body.cfaIds, user.id);
        switch (outcome.kind) {
          case 'user_not_found':
            throw userNotFound(params.userId);
          case 'not_validator':
            throw new HttpError(
              422,
              'NOT_A_VALIDATOR',
              `L’utilisateur ${params.userId} n’est pas un valideur (rôle ${outcome.role}) : il n’a pas de portefeuille.`,
            );
          case 'unknown_cfas':
            throw new HttpError(422, 'UNKNOWN_CFA', `CFA inconnu(s) : ${outcome.cfaIds.join(', ')}.`, {
              issues: outcome.cfaIds.map((id) => ({
                path: `cfaIds.${body.cfaIds.indexOf(id)}`,
                message: 'CFA inconnu',
              })),
            });
          case 'assigned':
            reply(200, portfolioResponse, outcome.portfolio);
        }
      },
    }),

    endpoint({
      operationId: 'listPortfolios',
      method: 'get',
      path: '/api/admin/portfolios',
      tag: 'Administration',
      summary: 'Les portefeuilles des valideurs, et les CFA d’aucun portefeuille',
      right: 'admin:manage',
      responses: { 200: { description: 'Les portefeuilles', schema: portfolioListResponse } },
      handle: async ({ reply }) => reply(200, portfolioListResponse, await listPortfolios(deps.db)),
    }),

    ...auditEndpoints(deps),
  ];
}
