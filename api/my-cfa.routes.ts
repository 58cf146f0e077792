import { findCfaSettings, updateCfaSettings, type CfaSettingsView } from '../db/cfa-settings';
import { CFA_MAIL_KINDS, CFA_MAIL_KIND_LABELS } from '../domain/notification-kinds';
import type { User } from './auth';
import type { ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { myCfaResponse, myCfaUpdateRequest } from './schemas/my-cfa';

/** The CFA a CFA user acts for (a right of CFA users only: staff have none). */
function cfaOf(user: User): string {
  if (user.cfaId === null) throw new HttpError(403, 'FORBIDDEN', 'Réservé aux utilisateurs d’un CFA.');
  return user.cfaId;
}

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
      responses: { 200: { description: 'Les réglages du CFA', schema: myCfaResponse } },
      handle: async ({ user, reply }) => reply(200, myCfaResponse, answer(await findCfaSettings(deps.db, cfaOf(user)))),
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
      errors: [422],
      handle: async ({ user, body, reply }) =>
        reply(200, myCfaResponse, answer(await updateCfaSettings(deps.db, cfaOf(user), body, user.id))),
    }),
  ];
}
