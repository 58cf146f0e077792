import { findMandate, listMandates } from '../db/mandates';
import { scopeOf } from './auth';
import type { ApiDeps } from './deps';
import { downloadFileName, sendFile } from './downloads';
import { endpoint, type AnyEndpoint, type EndpointContext } from './endpoint';
import { HttpError } from './errors';
import { mandateListQuery, mandateListResponse, mandateParams } from './schemas/mandates';

/** Billing mandates: a CFA user reads its CFA's (and downloads their signed documents), the Opco's staff every CFA's. */
export function mandateEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'listMandates',
      method: 'get',
      path: '/api/mandates',
      tag: 'Mandats',
      summary: 'Les mandats de facturation',
      description:
        'Un utilisateur CFA voit les mandats de son CFA ; le personnel de l’Opco ceux de tous les CFA (filtre ' +
        'cfaId). Le plus récent d’abord.',
      right: 'mandates:read',
      query: mandateListQuery,
      responses: { 200: { description: 'Les mandats', schema: mandateListResponse } },
      handle: async ({ user, query, reply }) =>
        reply(200, mandateListResponse, { items: await listMandates(deps.db, scopeOf(user), query) }),
    }),

    endpoint({
      operationId: 'downloadMandateDocument',
      method: 'get',
      path: '/api/mandates/:id/document',
      tag: 'Mandats',
      summary: 'Télécharge le mandat signé',
      right: 'mandates:read',
      params: mandateParams,
      responses: { 200: { description: 'Le mandat signé', contentType: 'application/pdf' } },
      errors: [404],
      handle: async (ctx: EndpointContext<{ id: string }, unknown, unknown>) => {
        const mandate = await findMandate(deps.db, scopeOf(ctx.user), ctx.params.id);
        if (!mandate) throw new HttpError(404, 'NOT_FOUND', `Mandat ${ctx.params.id} introuvable.`);
        if (!mandate.document) {
          throw new HttpError(404, 'NOT_FOUND', `Le mandat ${ctx.params.id} a été enregistré sans document.`);
        }
        const { document } = mandate;
        sendFile(
          ctx,
          document.mimeType,
          downloadFileName(document.fileName, document.mimeType),
          await deps.store.get(document.sha256),
        );
      },
    }),
  ];
}
