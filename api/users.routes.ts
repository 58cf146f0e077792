import type { z } from 'zod';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { InvitationInput } from '../activities/notifications';
import {
  acceptInvitation,
  cfaRefs,
  createUser,
  existingCfas,
  findUser,
  inviteUser,
  listUsers,
  openInvitations,
  replaceUserToken,
  revokeUser,
  updateUser,
  type OpenedInvitation,
  type UserView,
} from '../db/users';
import {
  BUNDLES,
  grantProblem,
  grantProblemMessage,
  normalizeRights,
  RIGHTS,
  type GrantProblem,
  type Right,
  type Role,
} from '../domain/rights';
import { generateToken, hashToken } from '../infra/tokens';
import { pageOf, unknownCfa, userNotFound } from './admin.routes';
import type { User } from './auth';
import { workflowCalls, type ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import {
  acceptedInvitationResponse,
  acceptInvitationRequest,
  cfaUserListResponse,
  cfaUserResponse,
  createCfaUserRequest,
  createdUserResponse,
  createUserRequest,
  invitationResponse,
  meResponse,
  rotatedTokenResponse,
  updateCfaUserRequest,
  updateUserRequest,
  userListResponse,
  userResponse,
} from './schemas/accounts';
import { emptyBody, pageQuery, userParams } from './schemas/common';
import { withTemporalDeadline } from './workflow-calls';

/**
 * Accounts: who a token is and its rotation; invitations (a one-time link e-mailed by a workflow sets a user's
 * token); users managed by admins (any kind) and by a CFA's user managers (their CFAs' users, with rights they hold
 * themselves). Tokens expire `TOKEN_TTL` after they are issued.
 */

/** A new token: shown once, stored as its hash, expiring by the configuration. */
function issueToken(deps: ApiDeps): { token: string; hash: string; expiresAt: Date | null } {
  const token = generateToken();
  const ttl = deps.config.accounts.tokenTtlMs;
  return { token, hash: hashToken(token), expiresAt: ttl === null ? null : new Date(Date.now() + ttl) };
}

const invitationWorkflowId = (invitationId: string): string => `invitation-${invitationId}`;

/**
 * The invitation's e-mail, by a workflow started inside the transaction that opens the invitation: if the start
 * fails, nothing is kept (503), so an invitation never exists without its e-mail on the way.
 */
function invitationRequest(deps: ApiDeps, user: { name: string }) {
  return {
    expiresAt: new Date(Date.now() + deps.config.accounts.invitationTtlMs),
    beforeCommit: async (invitation: OpenedInvitation) => {
      const input: InvitationInput = {
        invitationId: invitation.id,
        linkBase: `${deps.config.accounts.publicUrl}/invitation`,
      };
      try {
        // By name: the API never loads workflow code (workflows/invitations.ts).
        await withTemporalDeadline(workflowCalls(deps), () =>
          deps.temporal.workflow.start<(input: InvitationInput) => Promise<{ sent: boolean }>>('invitationWorkflow', {
            workflowId: invitationWorkflowId(invitation.id),
            taskQueue: deps.config.temporal.taskQueue,
            args: [input],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            staticSummary: `Invitation · ${user.name}`,
          }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    },
  };
}

function invalidRights(role: Role, problem: GrantProblem): HttpError {
  return new HttpError(422, 'VALIDATION_FAILED', 'Données invalides.', {
    issues: [{ path: 'rights', message: grantProblemMessage(role, problem) }],
  });
}

function invalidField(path: string, message: string): HttpError {
  return new HttpError(422, 'VALIDATION_FAILED', 'Données invalides.', { issues: [{ path, message }] });
}

/** Checks the CFAs exist (422 UNKNOWN_CFA naming the first that does not). */
async function checkCfas(deps: ApiDeps, cfaIds: readonly string[]): Promise<void> {
  const known = await existingCfas(deps.db, cfaIds);
  const unknown = cfaIds.find((id) => !known.includes(id));
  if (unknown !== undefined) throw unknownCfa(unknown);
}

/** Who `user` is, with its rights in words and its CFAs (`GET /api/me`, the web pages' session). */
export async function meOf(deps: ApiDeps, user: User): Promise<z.input<typeof meResponse>> {
  const rights = normalizeRights(user.rights);
  return {
    id: user.id,
    role: user.role,
    name: user.name,
    email: user.email,
    cfaId: user.cfaIds[0] ?? null,
    cfaIds: [...user.cfaIds],
    cfas: await cfaRefs(deps.db, user.cfaIds),
    rights,
    rightLabels: rights.map((right) => ({ right, label: RIGHTS[right].label })),
    tokenExpiresAt: user.tokenExpiresAt === null ? null : user.tokenExpiresAt.toISOString(),
  };
}

// ---- A CFA's user manager -------------------------------------------------------------------------------------

/** The CFAs of `managed` the manager sees, and whether it may change the user (all its CFAs are the manager's). */
function asManaged(manager: User, managed: UserView, invitation: { expiresAt: string; sentAt: string | null } | null) {
  const mine = managed.cfaIds.filter((id) => manager.cfaIds.includes(id));
  return {
    ...managed,
    cfaId: mine[0] ?? null,
    cfaIds: mine,
    manageable: managed.role === 'cfa' && mine.length === managed.cfaIds.length,
    invitation: managed.status === 'REVOKED' ? null : invitation,
  };
}

/** The user as its manager may change it: 404 outside its CFAs, 403 when it acts for others too, 409 for itself. */
async function managedUser(deps: ApiDeps, manager: User, userId: string): Promise<UserView> {
  const user = await findUser(deps.db, userId);
  if (!user || user.role !== 'cfa' || !user.cfaIds.some((id) => manager.cfaIds.includes(id))) {
    throw userNotFound(userId);
  }
  if (user.id === manager.id) {
    throw new HttpError(
      409,
      'OWN_ACCOUNT',
      'Vous ne pouvez pas modifier vos propres droits ni révoquer votre accès : demandez-le à un autre gestionnaire.',
    );
  }
  if (!user.cfaIds.every((id) => manager.cfaIds.includes(id))) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      'Cet utilisateur agit aussi pour un CFA que vous ne gérez pas : seul l’Opco peut le modifier.',
    );
  }
  return user;
}

/** The CFAs a manager gives a user: among its own (404 for another), by default its only one. */
function managerCfas(manager: User, asked: readonly string[] | undefined): string[] {
  if (asked === undefined) {
    if (manager.cfaIds.length === 1) return [...manager.cfaIds];
    throw invalidField('cfaIds', `Vous gérez ${manager.cfaIds.length} CFA : précisez lesquels (cfaIds).`);
  }
  const foreign = asked.find((id) => !manager.cfaIds.includes(id));
  if (foreign !== undefined) throw new HttpError(404, 'NOT_FOUND', `CFA introuvable : ${foreign}`);
  return [...asked];
}

async function managedView(deps: ApiDeps, manager: User, user: UserView) {
  const invitations = await openInvitations(deps.db, [user.id]);
  return asManaged(manager, user, invitations.get(user.id) ?? null);
}

export function cfaUserEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'listCfaUsers',
      method: 'get',
      path: '/api/my-cfa/users',
      tag: 'Mon CFA',
      summary: 'Les utilisateurs de mes CFA, leurs droits et leurs invitations',
      right: 'cfa-users:manage',
      query: pageQuery,
      responses: { 200: { description: 'Une page des utilisateurs', schema: cfaUserListResponse } },
      handle: async ({ user: manager, query, reply }) => {
        const users = await listUsers(deps.db, { cfaIds: manager.cfaIds });
        const invitations = await openInvitations(
          deps.db,
          users.map((u) => u.id),
        );
        const items = users.map((u) => asManaged(manager, u, invitations.get(u.id) ?? null));
        reply(200, cfaUserListResponse, pageOf(items, query));
      },
    }),

    endpoint({
      operationId: 'createCfaUser',
      method: 'post',
      path: '/api/my-cfa/users',
      tag: 'Mon CFA',
      summary: 'Crée un utilisateur de mes CFA avec les droits choisis, et l’invite par e-mail',
      description:
        'Les droits donnés sont parmi ceux que vous détenez ; les CFA parmi les vôtres. L’utilisateur reçoit un ' +
        'lien à usage unique (valable INVITATION_TTL) qui lui donne son jeton. Création tracée.',
      right: 'cfa-users:manage',
      body: createCfaUserRequest,
      responses: { 201: { description: 'L’utilisateur invité', schema: cfaUserResponse } },
      errors: [404, 409, 422, 503],
      handle: async ({ user: manager, body, reply }) => {
        const cfaIds = managerCfas(manager, body.cfaIds);
        const problem = grantProblem('cfa', body.rights as Right[], manager.rights);
        if (problem) throw invalidRights('cfa', problem);
        const created = await createUser(
          deps.db,
          {
            role: 'cfa',
            name: body.name,
            email: body.email,
            cfaIds,
            rights: body.rights as Right[],
            tokenHash: null,
            tokenExpiresAt: null,
          },
          { actor: manager.id, invitation: invitationRequest(deps, body) },
        );
        const { invitation, ...user } = created;
        reply(
          201,
          cfaUserResponse,
          asManaged(manager, user, invitation ? { expiresAt: invitation.expiresAt, sentAt: null } : null),
        );
      },
    }),

    endpoint({
      operationId: 'updateCfaUser',
      method: 'patch',
      path: '/api/my-cfa/users/:userId',
      tag: 'Mon CFA',
      summary: 'Change le nom, les droits ou les CFA d’un utilisateur de mes CFA',
      description:
        'Droits parmi ceux que vous détenez, CFA parmi les vôtres ; pas les vôtres (409 OWN_ACCOUNT), ni ceux d’un ' +
        'utilisateur qui agit aussi pour un CFA que vous ne gérez pas (403). Modification tracée.',
      right: 'cfa-users:manage',
      params: userParams,
      body: updateCfaUserRequest,
      responses: { 200: { description: 'L’utilisateur', schema: cfaUserResponse } },
      errors: [404, 409, 422],
      handle: async ({ user: manager, params, body, reply }) => {
        await managedUser(deps, manager, params.userId);
        const cfaIds = body.cfaIds === undefined ? undefined : managerCfas(manager, body.cfaIds);
        if (body.rights !== undefined) {
          const problem = grantProblem('cfa', body.rights as Right[], manager.rights);
          if (problem) throw invalidRights('cfa', problem);
        }
        const updated = await updateUser(
          deps.db,
          params.userId,
          { name: body.name, rights: body.rights as Right[] | undefined, cfaIds },
          { actor: manager.id },
        );
        if (!updated) throw userNotFound(params.userId);
        reply(200, cfaUserResponse, await managedView(deps, manager, updated));
      },
    }),

    endpoint({
      operationId: 'revokeCfaUser',
      method: 'post',
      path: '/api/my-cfa/users/:userId/revoke',
      tag: 'Mon CFA',
      summary: 'Révoque l’accès d’un utilisateur de mes CFA (jeton et invitation en cours)',
      right: 'cfa-users:manage',
      params: userParams,
      body: emptyBody,
      responses: { 200: { description: 'L’utilisateur révoqué', schema: cfaUserResponse } },
      errors: [404, 409],
      handle: async ({ user: manager, params, reply }) => {
        await managedUser(deps, manager, params.userId);
        const revoked = await revokeUser(deps.db, params.userId, { actor: manager.id });
        if (!revoked) throw userNotFound(params.userId);
        reply(200, cfaUserResponse, await managedView(deps, manager, revoked));
      },
    }),

    endpoint({
      operationId: 'inviteCfaUser',
      method: 'post',
      path: '/api/my-cfa/users/:userId/invitation',
      tag: 'Mon CFA',
      summary: 'Envoie une nouvelle invitation à un utilisateur de mes CFA',
      description:
        'Le lien précédent cesse de valoir. Accepter l’invitation donne un nouveau jeton (l’ancien cesse de valoir) ' +
        'et rétablit un accès révoqué.',
      right: 'cfa-users:manage',
      params: userParams,
      body: emptyBody,
      responses: { 201: { description: 'L’invitation', schema: invitationResponse } },
      errors: [404, 409, 503],
      handle: async ({ user: manager, params, reply }) => {
        const user = await managedUser(deps, manager, params.userId);
        const invitation = await inviteUser(deps.db, user.id, invitationRequest(deps, user), { actor: manager.id });
        if (!invitation) throw userNotFound(params.userId);
        reply(201, invitationResponse, { userId: user.id, expiresAt: invitation.expiresAt });
      },
    }),
  ];
}

// ---- Admins ---------------------------------------------------------------------------------------------------

/** The CFAs and rights a user of `role` gets from an admin's request, checked. */
async function staffGrant(
  deps: ApiDeps,
  role: Role,
  cfaIds: readonly string[],
  rights: readonly Right[],
): Promise<{ cfaIds: string[]; rights: Right[] }> {
  if (role === 'cfa' && cfaIds.length === 0) {
    throw invalidField('cfaIds', 'cfaIds est obligatoire pour un utilisateur cfa');
  }
  if (role !== 'cfa' && cfaIds.length > 0) throw invalidField('cfaIds', `cfaIds est interdit pour le rôle ${role}`);
  await checkCfas(deps, cfaIds);
  const problem = grantProblem(role, rights, 'any');
  if (problem) throw invalidRights(role, problem);
  return { cfaIds: [...cfaIds], rights: normalizeRights(rights) };
}

export function adminUserEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'createUser',
      method: 'post',
      path: '/api/admin/users',
      tag: 'Administration',
      summary: 'Crée un utilisateur : son jeton (montré une seule fois) ou une invitation par e-mail',
      description:
        'Droits par défaut : ceux de son rôle. Un utilisateur cfa agit pour un ou plusieurs CFA (cfaId ou cfaIds). ' +
        'Avec invite, aucun jeton n’est rendu : un lien à usage unique part par e-mail.',
      right: 'admin:manage',
      body: createUserRequest,
      responses: { 201: { description: 'L’utilisateur et son jeton', schema: createdUserResponse } },
      errors: [409, 422, 503],
      handle: async ({ user: admin, body, reply }) => {
        const grant = await staffGrant(
          deps,
          body.role,
          body.cfaIds ?? (body.cfaId === undefined ? [] : [body.cfaId]),
          (body.rights as Right[] | undefined) ?? BUNDLES[body.role],
        );
        const issued = body.invite ? null : issueToken(deps);
        const created = await createUser(
          deps.db,
          {
            role: body.role,
            name: body.name,
            email: body.email,
            ...grant,
            tokenHash: issued?.hash ?? null,
            tokenExpiresAt: issued?.expiresAt ?? null,
          },
          { actor: admin.id, invitation: body.invite ? invitationRequest(deps, body) : undefined },
        );
        const { invitation, ...user } = created;
        reply(201, createdUserResponse, {
          ...user,
          ...(issued && { token: issued.token }),
          ...(invitation && { invitation: { expiresAt: invitation.expiresAt } }),
        });
      },
    }),

    endpoint({
      operationId: 'updateUser',
      method: 'patch',
      path: '/api/admin/users/:userId',
      tag: 'Administration',
      summary: 'Modifie le rôle, le nom, l’e-mail, les CFA ou les droits d’un utilisateur',
      description:
        'Un utilisateur cfa agit pour au moins un CFA, un admin ou un validator pour aucun : ses CFA sont effacés ' +
        'quand un utilisateur cfa change de rôle, et obligatoires pour qui le devient. Au changement de rôle, les ' +
        'droits deviennent ceux du nouveau rôle (sauf rights). Un valideur qui change de rôle quitte son ' +
        'portefeuille. Le jeton n’est pas changé. Chaque modification est historisée.',
      right: 'admin:manage',
      params: userParams,
      body: updateUserRequest,
      responses: { 200: { description: 'L’utilisateur', schema: userResponse } },
      errors: [404, 409, 422],
      handle: async ({ user: admin, params, body, reply }) => {
        const current = await findUser(deps.db, params.userId);
        if (!current) throw userNotFound(params.userId);
        const role = body.role ?? current.role;
        const roleChanged = role !== current.role;
        const askedCfas =
          body.cfaIds ?? (body.cfaId === undefined ? undefined : body.cfaId === null ? [] : [body.cfaId]);
        const cfaIds = askedCfas ?? (role === 'cfa' ? current.cfaIds : []);
        const rights = (body.rights as Right[] | undefined) ?? (roleChanged ? BUNDLES[role] : current.rights);
        const grant = await staffGrant(deps, role, cfaIds, rights);
        const user = await updateUser(
          deps.db,
          params.userId,
          { role: body.role, name: body.name, email: body.email, ...grant },
          { actor: admin.id },
        );
        if (!user) throw userNotFound(params.userId);
        reply(200, userResponse, user);
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
      summary: 'Révoque le jeton d’un utilisateur (401 ensuite) et son invitation en cours',
      right: 'admin:manage',
      params: userParams,
      body: emptyBody,
      responses: { 200: { description: 'L’utilisateur révoqué', schema: userResponse } },
      errors: [404],
      handle: async ({ user: admin, params, reply }) => {
        const user = await revokeUser(deps.db, params.userId, { actor: admin.id });
        if (!user) throw userNotFound(params.userId);
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
      handle: async ({ user: admin, params, reply }) => {
        const issued = issueToken(deps);
        const user = await replaceUserToken(deps.db, params.userId, issued, { actor: admin.id });
        if (!user) throw userNotFound(params.userId);
        reply(200, createdUserResponse, { ...user, token: issued.token });
      },
    }),

    endpoint({
      operationId: 'inviteUser',
      method: 'post',
      path: '/api/admin/users/:userId/invitation',
      tag: 'Administration',
      summary: 'Envoie une invitation à un utilisateur (le lien précédent cesse de valoir)',
      right: 'admin:manage',
      params: userParams,
      body: emptyBody,
      responses: { 201: { description: 'L’invitation', schema: invitationResponse } },
      errors: [404, 503],
      handle: async ({ user: admin, params, reply }) => {
        const user = await findUser(deps.db, params.userId);
        if (!user) throw userNotFound(params.userId);
        const invitation = await inviteUser(deps.db, user.id, invitationRequest(deps, user), { actor: admin.id });
        if (!invitation) throw userNotFound(params.userId);
        reply(201, invitationResponse, { userId: user.id, expiresAt: invitation.expiresAt });
      },
    }),
  ];
}

// ---- Everyone's own account -----------------------------------------------------------------------------------

const INVITATION_REFUSALS = {
  used: { code: 'INVITATION_USED', message: 'Cette invitation a déjà servi : demandez-en une nouvelle.' },
  cancelled: {
    code: 'INVITATION_CANCELLED',
    message: 'Cette invitation a été remplacée par une plus récente ou annulée : utilisez le dernier lien reçu.',
  },
  expired: { code: 'INVITATION_EXPIRED', message: 'Cette invitation a expiré : demandez-en une nouvelle.' },
} as const;

export function accountEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'getMe',
      method: 'get',
      path: '/api/me',
      tag: 'Compte',
      summary: 'L’utilisateur du jeton : ses droits, ses CFA, l’expiration de son jeton',
      right: 'me:read',
      responses: { 200: { description: 'L’utilisateur authentifié', schema: meResponse } },
      handle: async ({ user, reply }) => {
        reply(200, meResponse, await meOf(deps, user));
      },
    }),

    endpoint({
      operationId: 'rotateMyToken',
      method: 'post',
      path: '/api/me/token',
      tag: 'Compte',
      summary: 'Remplace mon jeton par un nouveau (l’ancien cesse aussitôt de valoir)',
      description: 'Le nouveau jeton vaut TOKEN_TTL à partir de maintenant. Renouvellement tracé.',
      right: 'me:read',
      body: emptyBody,
      responses: { 200: { description: 'Le nouveau jeton', schema: rotatedTokenResponse } },
      handle: async ({ user, reply }) => {
        const issued = issueToken(deps);
        const rotated = await replaceUserToken(deps.db, user.id, issued, { actor: user.id, action: 'TOKEN_ROTATED' });
        if (!rotated) throw userNotFound(user.id);
        reply(200, rotatedTokenResponse, { token: issued.token, tokenExpiresAt: rotated.tokenExpiresAt });
      },
    }),

    endpoint({
      operationId: 'acceptInvitation',
      method: 'post',
      path: '/api/invitations/accept',
      tag: 'Compte',
      summary: 'Accepte une invitation : rend le jeton de l’utilisateur (une seule fois)',
      description:
        'Sans jeton : le secret du lien reçu par e-mail suffit, une fois, avant son expiration. Le jeton rendu ' +
        'remplace tout jeton antérieur de l’utilisateur et rétablit un accès révoqué.',
      right: null,
      body: acceptInvitationRequest,
      responses: { 200: { description: 'Le jeton de l’utilisateur', schema: acceptedInvitationResponse } },
      errors: [404, 409],
      handle: async ({ body, reply }) => {
        const issued = issueToken(deps);
        const outcome = await acceptInvitation(deps.db, hashToken(body.token), issued, new Date());
        if (outcome.kind === 'unknown') throw new HttpError(404, 'NOT_FOUND', 'Invitation inconnue.');
        if (outcome.kind !== 'accepted') {
          const refusal = INVITATION_REFUSALS[outcome.kind];
          throw new HttpError(409, refusal.code, refusal.message);
        }
        const { user } = outcome;
        reply(200, acceptedInvitationResponse, {
          token: issued.token,
          tokenExpiresAt: user.tokenExpiresAt,
          user: { id: user.id, name: user.name, email: user.email, role: user.role },
        });
      },
    }),
  ];
}
