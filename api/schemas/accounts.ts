import { z } from 'zod';
import { GRANTABLE_RIGHTS, RIGHTS } from '../../domain/rights';
import { cfaRef, isoDateTime, listOf, nullableDateTime, request, response, roleEnum, text, uuid } from './common';

/** Accounts: who a token is, rights, users' CFAs, invitations, token rotation, and a CFA's own users. */

export const rightEnum = z
  .enum(GRANTABLE_RIGHTS as [string, ...string[]])
  .describe(`Droit : ${GRANTABLE_RIGHTS.map((r) => `${r} (${RIGHTS[r].label})`).join(', ')}`);

const rightsList = z
  .array(rightEnum)
  .max(GRANTABLE_RIGHTS.length)
  .refine((rights) => new Set(rights).size === rights.length, 'Un droit est donné deux fois');

const cfaIdList = z
  .array(uuid)
  .min(1)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, 'Un CFA est donné deux fois');

export const userStatusEnum = z
  .enum(['INVITED', 'ACTIVE', 'REVOKED'])
  .describe('INVITED : pas encore de jeton (invitation en cours) ; ACTIVE : détient un jeton ; REVOKED : révoqué');

export const userFields = {
  id: uuid,
  role: roleEnum,
  name: z.string(),
  email: z.string(),
  cfaId: uuid.nullable().describe('Le premier de cfaIds (null pour le personnel de l’Opco)'),
  cfaIds: z.array(uuid).describe('Les CFA pour lesquels l’utilisateur agit'),
  rights: z.array(rightEnum),
  status: userStatusEnum,
  tokenExpiresAt: nullableDateTime.describe('Fin de validité du jeton (null : sans expiration)'),
  createdAt: isoDateTime,
  revokedAt: nullableDateTime,
};

export const meResponse = response(
  z
    .object({
      ...userFields,
      cfas: z.array(cfaRef).describe('Les CFA pour lesquels l’utilisateur agit'),
      rightLabels: z.array(z.object({ right: rightEnum, label: z.string() }).strict()),
    })
    .omit({ status: true, createdAt: true, revokedAt: true })
    .strict(),
  'Me',
);

export const rotatedTokenResponse = response(
  z
    .object({
      token: z.string().describe('Le nouveau jeton, montré une seule fois ; l’ancien cesse aussitôt de valoir'),
      tokenExpiresAt: nullableDateTime,
    })
    .strict(),
  'RotatedToken',
);

export const acceptInvitationRequest = request(
  z.object({ token: z.string().min(16).max(200).describe('Le secret du lien d’invitation (après le #)') }).strict(),
  'AcceptInvitationRequest',
);

export const acceptedInvitationResponse = response(
  z
    .object({
      token: z.string().describe('Le jeton de l’utilisateur, montré une seule fois'),
      tokenExpiresAt: nullableDateTime,
      user: z.object({ id: uuid, name: z.string(), email: z.string(), role: roleEnum }).strict(),
    })
    .strict(),
  'AcceptedInvitation',
);

const invitationView = z
  .object({
    expiresAt: isoDateTime,
    sentAt: nullableDateTime.describe('Envoi de l’e-mail (null : en cours d’envoi)'),
  })
  .strict();

export const cfaUserResponse = response(
  z
    .object({
      ...userFields,
      cfaIds: z.array(uuid).describe('Les CFA de l’utilisateur que vous gérez'),
      manageable: z
        .boolean()
        .describe('false quand l’utilisateur agit aussi pour un CFA que vous ne gérez pas : seul l’Opco le modifie'),
      invitation: invitationView.nullable().describe('L’invitation en cours'),
    })
    .strict(),
  'CfaUser',
);
export const cfaUserListResponse = response(listOf(cfaUserResponse), 'CfaUserList');

export const createCfaUserRequest = request(
  z
    .object({
      name: text(200),
      email: z.email().max(254),
      rights: rightsList.describe('Ses droits : parmi ceux que vous détenez'),
      cfaIds: cfaIdList.optional().describe('Parmi vos CFA ; par défaut votre CFA si vous n’en avez qu’un'),
    })
    .strict(),
  'CreateCfaUserRequest',
);

export const updateCfaUserRequest = request(
  z
    .object({
      name: text(200).optional(),
      rights: rightsList.optional(),
      cfaIds: cfaIdList.optional(),
    })
    .strict()
    .refine((v) => Object.values(v).some((x) => x !== undefined), 'Au moins un champ à modifier'),
  'UpdateCfaUserRequest',
);

export const invitationResponse = response(
  z.object({ userId: uuid, expiresAt: isoDateTime }).strict(),
  'Invitation',
  'L’invitation ouverte : son lien part par e-mail, la précédente cesse de valoir',
);

// ---- Administration (users of every kind) -------------------------------------------------------------------

export const createUserRequest = request(
  z
    .object({
      role: roleEnum,
      name: text(200),
      email: z.email(),
      cfaId: uuid.optional().describe('Un CFA d’un utilisateur cfa (ou cfaIds)'),
      cfaIds: cfaIdList.optional().describe('Les CFA d’un utilisateur cfa (au moins un) ; interdit pour le personnel'),
      rights: rightsList.optional().describe('Ses droits ; par défaut ceux de son rôle'),
      invite: z
        .boolean()
        .default(false)
        .describe('true : pas de jeton dans la réponse, une invitation part par e-mail pour que l’utilisateur le fixe'),
    })
    .strict()
    .refine((u) => u.cfaId === undefined || u.cfaIds === undefined, {
      message: 'cfaId ou cfaIds, pas les deux',
      path: ['cfaIds'],
    })
    .refine((u) => (u.role === 'cfa') === (u.cfaId !== undefined || u.cfaIds !== undefined), {
      message: 'Un utilisateur cfa a au moins un CFA (cfaId ou cfaIds), les autres rôles aucun',
      path: ['cfaIds'],
    }),
  'CreateUserRequest',
);

export const updateUserRequest = request(
  z
    .object({
      role: roleEnum.optional(),
      name: text(200).optional(),
      email: z.email().optional(),
      cfaId: uuid
        .nullable()
        .optional()
        .describe('Le CFA d’un utilisateur cfa (remplace ses CFA) ; null ou absent pour le personnel'),
      cfaIds: cfaIdList.optional().describe('Les CFA d’un utilisateur cfa (remplace les siens)'),
      rights: rightsList.optional().describe('Remplace ses droits ; au changement de rôle, ceux du nouveau rôle'),
    })
    .strict()
    .refine((u) => u.cfaId === undefined || u.cfaIds === undefined, {
      message: 'cfaId ou cfaIds, pas les deux',
      path: ['cfaIds'],
    })
    .refine((v) => Object.values(v).some((x) => x !== undefined), 'Au moins un champ à modifier'),
  'UpdateUserRequest',
);

export const userResponse = response(z.object(userFields).strict(), 'User');
export const createdUserResponse = response(
  z
    .object({
      ...userFields,
      token: z.string().optional().describe('Jeton porteur, montré une seule fois (absent quand invite est vrai)'),
      invitation: z.object({ expiresAt: isoDateTime }).strict().optional(),
    })
    .strict(),
  'CreatedUser',
);
export const userListResponse = response(listOf(userResponse), 'UserList');

export const openSessionRequest = request(
  z
    .object({
      token: z
        .string()
        .trim()
        .min(1, 'Saisissez votre jeton.')
        .max(512)
        .describe('Le jeton de l’utilisateur (celui de l’API, ou rendu par une invitation)'),
    })
    .strict(),
  'OpenSessionRequest',
  'Ouvre une session du navigateur',
);

export const sessionResponse = response(
  z
    .object({
      csrfToken: z.string().describe('À renvoyer dans l’en-tête X-CSRF-Token de chaque écriture de la session'),
      expiresAt: isoDateTime,
      temporalUiUrl: z.string().nullable().describe('Temporal UI, pour les liens vers les workflows (null : aucune)'),
      temporalNamespace: z.string().describe('L’espace de noms Temporal des workflows (liens vers Temporal UI)'),
      user: meResponse,
    })
    .strict(),
  'Session',
);
