import { findCfaSettings, updateCfaSettings, type CfaSettingsView } from '../db/cfa-settings';
import { CFA_MAIL_KINDS, CFA_MAIL_KIND_LABELS } from '../domain/notification-kinds';
import { z } from 'zod';
import { actingCfa } from './auth';
import type { ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { actingCfaId } from './schemas/common';
import { myCfaResponse, myCfaUpdateRequest } from './schemas/my-cfa';

/** Which of its CFAs the user means (a user of one CFA need not say). */
const myCfaQuery = z.object({ cfaId: actingCfaId }).strict();

const answer = (settings: CfaSettingsView | undefined) => {
  if (!settings) throw new HttpError(404, 'NOT_FOUND', 'CFA introuvable.');
  return { ...settings, mailKinds: CFA_MAIL_KINDS.map((kind) => ({ kind, label: CFA_MAIL_KIND_LABELS[kind] })) };
};

/** « Mon CFA »: a CFA user reads its CFA's settings and changes those that are its own to change. */
export function myCfaEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'getMyCfa',
      method: 'get',
      path: '/api/my-cfa',
      tag: 'Mon CFA',
      summary: 'Les réglages de mon CFA (IBAN en lecture seule)',
      right: 'my-cfa:read',
      query: myCfaQuery,
      responses: { 200: { description: 'Les réglages du CFA', schema: myCfaResponse } },
      errors: [404, 422],
      handle: async ({ user, query, reply }) =>
        reply(200, myCfaResponse, answer(await findCfaSettings(deps.db, actingCfa(user, query.cfaId)))),
    }),

    endpoint({
      operationId: 'updateMyCfa',
      method: 'patch',
      path: '/api/my-cfa',
      tag: 'Mon CFA',
      summary: 'Modifie le mode de règlement par défaut des avoirs et les adresses de notification',
      description:
        'Chaque adresse reçoit les types d’e-mail choisis ; un type qu’aucune adresse ne reçoit part à l’adresse ' +
        'principale. Le mode de règlement vaut pour les factures d’avoir générées ensuite. Modification tracée ' +
        '(journal des données de référence). L’IBAN n’est pas modifiable par le CFA.',
      right: 'my-cfa:manage',
      body: myCfaUpdateRequest,
      responses: { 200: { description: 'Les réglages du CFA', schema: myCfaResponse } },
      errors: [404, 422],
      handle: async ({ user, body: { cfaId, ...settings }, reply }) =>
        reply(200, myCfaResponse, answer(await updateCfaSettings(deps.db, actingCfa(user, cfaId), settings, user.id))),
    }),
  ];
}
