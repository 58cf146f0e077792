import { validationQueue, type QueueFilters } from '../db/validation-queue';
import { nowOf, type ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { validationQueueQuery, validationQueueResponse } from './schemas/validation';

/** The validators' queue. */
export function validationQueueEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'getValidationQueue',
      method: 'get',
      path: '/api/validation/queue',
      tag: 'Validation',
      summary: 'Les factures en attente de décision (ou d’un second avis), filtrées, triées, avec leurs décomptes',
      description:
        'Un valideur voit par défaut son portefeuille (ses CFA et ceux qui n’en ont pas), un administrateur toute la ' +
        'file (scope=all). Chaque décompte (facets) est calculé sur la file filtrée par tous les autres filtres.',
      right: 'validation-queue:read',
      query: validationQueueQuery,
      responses: { 200: { description: 'Une page de la file et ses décomptes', schema: validationQueueResponse } },
      handle: async ({ query, user, reply }) => {
        const { page, pageSize, sort, order, scope, control, ...rest } = query;
        const filters: QueueFilters = { ...rest, ...(control !== undefined && { controls: control }) };
        const viewer = {
          userId: user.id,
          scope: scope ?? (user.role === 'admin' ? 'all' : 'portfolio'),
          now: nowOf(deps),
        } as const;
        const answer = await validationQueue(deps.db, viewer, {
          page,
          pageSize,
          sort,
          order: order ?? (sort === 'amount' ? 'desc' : 'asc'),
          filters,
        });
        reply(200, validationQueueResponse, answer);
      },
    }),
  ];
}
