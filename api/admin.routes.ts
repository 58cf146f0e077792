import {
  cfaExists,
  createCfa,
  createMandate,
  createRefusalReason,
  createUser,
  listCfas,
  listRefusalReasons,
  listUsers,
  replaceUserToken,
  revokeUser,
  updateCfa,
} from '../db/admin-queries';
import { createContract, importContractRow } from '../db/contract-import';
import { generateToken, hashToken } from '../infra/tokens';
import type { ApiDeps } from './deps';
import { endpoint, type AnyEndpoint, type EndpointContext } from './endpoint';
import { HttpError } from './errors';
import { contractsTemplate } from './contract-workbook';
import { readImportedWorkbook } from './uploads';
import { XLSX_TYPE } from './exports';
import {
  cfaListResponse,
  cfaResponse,
  contractResponse,
  createCfaRequest,
  createContractRequest,
  createdUserResponse,
  createMandateRequest,
  createRefusalReasonRequest,
  createUserRequest,
  importReportResponse,
  mandateResponse,
  refusalReasonListResponse,
  refusalReasonResponse,
  updateCfaRequest,
  userListResponse,
  userResponse,
} from './schemas/admin';
import { cfaParams, emptyBody, pageQuery, userParams } from './schemas/common';

function pageOf<T>(items: readonly T[], query: { page: number; pageSize: number }) {
  const start = (query.page - 1) * query.pageSize;
  return { items: items.slice(start, start + query.pageSize), total: items.length, ...query };
}

function unknownCfa(cfaId: string): HttpError {
  return new HttpError(422, 'UNKNOWN_CFA', `Aucun CFA ${cfaId}.`, {
    issues: [{ path: 'cfaId', message: 'CFA inconnu' }],
  });
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
      handle: async ({ body, reply }) => reply(201, cfaResponse, await createCfa(deps.db, body)),
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
      description: 'La confiance et les coordonnées valent pour les pro formas générées ensuite.',
      right: 'admin:manage',
      params: cfaParams,
      body: updateCfaRequest,
      responses: { 200: { description: 'Le CFA', schema: cfaResponse } },
      errors: [404, 422],
      handle: async ({ params, body, reply }) => {
        const cfa = await updateCfa(deps.db, params.cfaId, body);
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
      handle: async ({ params, body, reply }) => {
        if (!(await cfaExists(deps.db, params.cfaId))) {
          throw new HttpError(404, 'NOT_FOUND', `CFA ${params.cfaId} introuvable.`);
        }
        const mandate = await createMandate(deps.db, {
          cfaId: params.cfaId,
          validFrom: body.validFrom,
          validTo: body.validTo ?? null,
        });
        reply(201, mandateResponse, mandate);
      },
    }),

    endpoint({
      operationId: 'createUser',
      method: 'post',
      path: '/api/admin/users',
      tag: 'Administration',
      summary: 'Crée un utilisateur et son jeton (montré une seule fois)',
      right: 'admin:manage',
      body: createUserRequest,
      responses: { 201: { description: 'L’utilisateur et son jeton', schema: createdUserResponse } },
      errors: [409, 422],
      handle: async ({ body, reply }) => {
        if (body.cfaId !== undefined && !(await cfaExists(deps.db, body.cfaId))) throw unknownCfa(body.cfaId);
        const token = generateToken();
        const user = await createUser(deps.db, {
          role: body.role,
          name: body.name,
          email: body.email,
          cfaId: body.cfaId ?? null,
          tokenHash: hashToken(token),
        });
        reply(201, createdUserResponse, { ...user, token });
      },
    }),

    endpoint({
      operationId: 'listUsers',
      method: 'get',
      path: '/api/admin/users',
      tag: 'Administration',
      summary: 'Les utilisateurs (sans leurs jetons)',
      right: 'admin:manage',
      query: pageQuery,
      responses: { 200: { description: 'Une page des utilisateurs', schema: userListResponse } },
      handle: async ({ query, reply }) => reply(200, userListResponse, pageOf(await listUsers(deps.db), query)),
    }),

    endpoint({
      operationId: 'revokeUserToken',
      method: 'post',
      path: '/api/admin/users/:userId/revoke',
      tag: 'Administration',
      summary: 'Révoque le jeton d’un utilisateur (401 ensuite)',
      right: 'admin:manage',
      params: userParams,
      body: emptyBody,
      responses: { 200: { description: 'L’utilisateur révoqué', schema: userResponse } },
      errors: [404],
      handle: async ({ params, reply }) => {
        const user = await revokeUser(deps.db, params.userId);
        if (!user) throw new HttpError(404, 'NOT_FOUND', `Utilisateur ${params.userId} introuvable.`);
        reply(200, userResponse, user);
      },
    }),

    endpoint({
      operationId: 'replaceUserToken',
      method: 'post',
      path: '/api/admin/users/:userId/token',
      tag: 'Administration',
      summary: 'Donne un nouveau jeton à un utilisateur (l’ancien cesse de valoir)',
      right: 'admin:manage',
      params: userParams,
      body: emptyBody,
      responses: { 200: { description: 'L’utilisateur et son nouveau jeton', schema: createdUserResponse } },
      errors: [404],
      handle: async ({ params, reply }) => {
        const token = generateToken();
        const user = await replaceUserToken(deps.db, params.userId, hashToken(token));
        if (!user) throw new HttpError(404, 'NOT_FOUND', `Utilisateur ${params.userId} introuvable.`);
        reply(200, createdUserResponse, { ...user, token });
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
      right: 'refusal-reasons:read',
      query: pageQuery,
      responses: { 200: { description: 'Une page du catalogue', schema: refusalReasonListResponse } },
      handle: async ({ query, reply }) =>
        reply(200, refusalReasonListResponse, pageOf(await listRefusalReasons(deps.db), query)),
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
      handle: async ({ body, reply }) => reply(201, refusalReasonResponse, await createRefusalReason(deps.db, body)),
    }),
  ];
}
