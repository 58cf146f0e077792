import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { endWebSession, openWebSession } from '../db/web-sessions';
import { generateToken, hashToken } from '../infra/tokens';
import { SESSION_COOKIE, tokenUser, type User } from './auth';
import type { ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { openSessionRequest, sessionResponse } from './schemas/accounts';
import { emptyBody } from './schemas/common';
import { meOf } from './users.routes';

/**
 * Browser sessions of the web pages: a user signs in with its token (or the one an invitation just gave it) and the
 * browser then holds an httpOnly, SameSite=Strict cookie; the page reads the session's CSRF token here and sends it
 * with every write. API clients keep their bearer tokens: nothing here changes them.
 */

function setSessionCookie(deps: ApiDeps, res: Response, secret: string, expiresAt: Date): void {
  res.cookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'strict',
    secure: deps.config.accounts.publicUrl.startsWith('https:'),
    path: '/',
    expires: expiresAt,
  });
}

async function sessionOf(deps: ApiDeps, user: User, csrfToken: string, expiresAt: Date) {
  return {
    csrfToken,
    expiresAt: expiresAt.toISOString(),
    temporalUiUrl: deps.config.temporalUiUrl,
    temporalNamespace: deps.config.temporal.namespace,
    user: await meOf(deps, user),
  };
}

const LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * Failed sign-ins per address: beyond `max` in 15 minutes, 429 until the window ends (a successful one does not
 * count). Tokens are 256-bit random, so guessing is hopeless anyway; this keeps a script from hammering the
 * database.
 */
export function loginRateLimit(max: number): RequestHandler {
  return rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: max,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(
        new HttpError(429, 'RATE_LIMITED', 'Trop de tentatives de connexion : réessayez dans un quart d’heure.', {
          limit: max,
          windowMs: LOGIN_WINDOW_MS,
        }),
      ),
  });
}

const noSession = () =>
  new HttpError(401, 'UNAUTHENTICATED', 'Pas de session ouverte dans ce navigateur : connectez-vous.');

export function sessionEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'openSession',
      method: 'post',
      path: '/api/session',
      tag: 'Compte',
      summary: 'Ouvre une session du navigateur avec un jeton (pages web)',
      description:
        'Pose un cookie httpOnly SameSite=Strict ; les écritures de la session renvoient csrfToken dans l’en-tête ' +
        'X-CSRF-Token. La session dure SESSION_TTL, jamais au-delà de l’expiration du jeton.',
      right: null,
      body: openSessionRequest,
      responses: { 201: { description: 'La session ouverte', schema: sessionResponse } },
      handle: async ({ body, res, reply }) => {
        const user = await tokenUser(deps.db, body.token);
        if (typeof user === 'string') throw new HttpError(401, 'UNAUTHENTICATED', 'Jeton inconnu, révoqué ou expiré.');
        const now = new Date();
        const ttlEnd = new Date(now.getTime() + deps.config.accounts.sessionTtlMs);
        const expiresAt = user.tokenExpiresAt !== null && user.tokenExpiresAt < ttlEnd ? user.tokenExpiresAt : ttlEnd;
        const secret = generateToken();
        const session = await openWebSession(deps.db, {
          userId: user.id,
          secretHash: hashToken(secret),
          csrfToken: crypto.randomBytes(24).toString('base64url'),
          expiresAt,
        });
        setSessionCookie(deps, res, secret, expiresAt);
        reply(201, sessionResponse, await sessionOf(deps, user, session.csrfToken, expiresAt));
      },
    }),

    endpoint({
      operationId: 'getSession',
      method: 'get',
      path: '/api/session',
      tag: 'Compte',
      summary: 'La session du navigateur : l’utilisateur et le jeton anti-CSRF',
      right: 'me:read',
      responses: { 200: { description: 'La session en cours', schema: sessionResponse } },
      handle: async ({ req, user, reply }) => {
        const session = req.webSession;
        if (!session) throw noSession();
        reply(200, sessionResponse, await sessionOf(deps, user, session.csrfToken, session.expiresAt));
      },
    }),

    endpoint({
      operationId: 'closeSession',
      method: 'post',
      path: '/api/session/logout',
      tag: 'Compte',
      summary: 'Ferme la session du navigateur (le jeton de l’utilisateur reste valable)',
      right: 'me:read',
      body: emptyBody,
      responses: { 204: { description: 'Session fermée' } },
      handle: async ({ req, res }) => {
        const session = req.webSession;
        if (!session) throw noSession();
        await endWebSession(deps.db, session.id, new Date());
        res.clearCookie(SESSION_COOKIE, { path: '/' });
        res.status(204).end();
      },
    }),
  ];
}
