import { validationQueue } from '../db/validation-queue';
import type { ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { pageQuery } from './schemas/common';
import { proFormaListResponse } from './schemas/pro-formas';

/** The validators' queue. */
export function validationQueueEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'getValidationQueue',
      method: 'get',
      path: '/api/validation/queue',
      tag: 'Validation',
      summary: 'Les factures en attente de décision, les plus anciennes d’abord',
      right: 'validation-queue:read',
      query: pageQuery,
      responses: { 200: { description: 'Une page de la file', schema: proFormaListResponse } },
      handle: async ({ query, reply }) => reply(200, proFormaListResponse, await validationQueue(deps.db, query)),
    }),
  ];
}
