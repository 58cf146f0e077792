import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Kysely } from 'kysely';
import type { Scope } from '../db/scope';
import type { Database } from '../db/schema';
import { findUser, findUserByTokenHash } from '../db/users';
import { findWebSession, type WebSession } from '../db/web-sessions';
import { BUNDLES, holds, RIGHTS, ROLES, type Right, type Role } from '../domain/rights';
import { hashToken } from '../infra/tokens';
import { HttpError } from './errors';

/**
 * Authentication (bearer tokens: random, shown once, stored as their SHA-256, revocable, expiring; or, for the web
 * pages, a browser session: an httpOnly SameSite cookie opened with a token, whose writes must echo the session's
 * CSRF token in `X-CSRF-Token`) and rights. A
 * user's rights are its own (domain/rights.ts: each role's usual rights are its bundle); every endpoint names the
 * right it needs and the endpoint runner (api/endpoint.ts) checks it before anything else happens. A CFA user's reads
 * and actions are further limited to the CFAs it acts for by `scopeOf`: another CFA's pro forma is not found (404),
 * never "forbidden".
 */

export type { Right, Role } from '../domain/rights';

export interface User {
  id: string;
  role: Role;
  name: string;
  email: string;
  rights: readonly Right[];
  /** The CFAs a CFA user acts for (one or more); none for staff. */
  cfaIds: readonly string[];
  tokenExpiresAt: Date | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authenticate`. */
    user?: User;
    /** The browser session the request came with (set by `authenticate` when it used the cookie). */
    webSession?: WebSession;
  }
}

/** The roles whose usual rights include `right` (the OpenAPI document's `x-roles`). */
export function rolesWith(right: Right): Role[] {
  return ROLES.filter((role) => holds(BUNDLES[role], right));
}

/** What a user may read: a CFA user the CFAs it acts for, staff every CFA. */
export function scopeOf(user: User): Scope {
  return { cfaIds: user.role === 'cfa' ? user.cfaIds : null };
}

/**
 * The one CFA an action of a CFA user is for: the one asked (404 unless the user acts for it), else its only CFA; a
 * user acting for several must say which (422).
 */
export function actingCfa(user: User, asked: string | undefined, field = 'cfaId'): string {
  if (asked !== undefined) {
    if (user.role === 'cfa' && user.cfaIds.includes(asked)) return asked;
    throw new HttpError(404, 'NOT_FOUND', `CFA introuvable : ${asked}`);
  }
  const [only, ...others] = user.role === 'cfa' ? user.cfaIds : [];
  if (only !== undefined && others.length === 0) return only;
  if (only === undefined) throw new HttpError(403, 'FORBIDDEN', 'Réservé aux utilisateurs d’un CFA.');
  throw new HttpError(422, 'VALIDATION_FAILED', 'Données invalides.', {
    issues: [{ path: field, message: `Vous agissez pour ${user.cfaIds.length} CFA : précisez lequel (${field}).` }],
  });
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]{1,512})$/i;

function unauthenticated(message: string): HttpError {
  return new HttpError(401, 'UNAUTHENTICATED', message);
}

/** The cookie of a browser session (its secret) and the header a session's writes must carry. */
export const SESSION_COOKIE = 'session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function asUser(found: Omit<User, 'tokenExpiresAt'>, tokenExpiresAt: Date | null): User {
  const { id, role, name, email, rights, cfaIds } = found;
  return { id, role, name, email, rights, cfaIds, tokenExpiresAt };
}

async function bearerUser(db: Kysely<Database>, header: string): Promise<User> {
  const match = BEARER.exec(header.trim());
  if (!match) throw unauthenticated('En-tête Authorization invalide : « Bearer <jeton> » attendu.');
  const found = await tokenUser(db, match[1] as string);
  if (found === 'unknown') throw unauthenticated('Jeton inconnu.');
  if (found === 'revoked') throw unauthenticated('Jeton révoqué.');
  if (found === 'expired') {
    throw unauthenticated('Jeton expiré : demandez-en un nouveau (invitation ou administrateur).');
  }
  return found;
}

/** The user holding `token`, or why it holds none (the bearer check and the web pages' sign-in). */
export async function tokenUser(
  db: Kysely<Database>,
  token: string,
): Promise<User | 'unknown' | 'revoked' | 'expired'> {
  const found = await findUserByTokenHash(db, hashToken(token));
  if (!found) return 'unknown';
  if (found.revoked) return 'revoked';
  if (found.tokenExpiresAt !== null && found.tokenExpiresAt <= new Date()) return 'expired';
  return asUser(found, found.tokenExpiresAt);
}

async function sessionUser(db: Kysely<Database>, req: Request, secret: string): Promise<User> {
  const session = await findWebSession(db, hashToken(secret), new Date());
  if (!session) throw unauthenticated('Session expirée ou fermée : reconnectez-vous.');
  // A cross-site form or script cannot read the CSRF token: a write without it is refused.
  if (!SAFE_METHODS.has(req.method) && !sameSecret(req.get(CSRF_HEADER), session.csrfToken)) {
    throw new HttpError(403, 'CSRF_REJECTED', 'Jeton anti-CSRF absent ou invalide : rechargez la page.');
  }
  const found = await findUser(db, session.userId);
  if (!found || found.status === 'REVOKED') throw unauthenticated('Accès révoqué.');
  req.webSession = session;
  return asUser(found, found.tokenExpiresAt === null ? null : new Date(found.tokenExpiresAt));
}

/**
 * Resolves `Authorization: Bearer <token>` (API clients) or the session cookie (the web pages) to a user; 401 when
 * absent, unknown, revoked or expired; 403 for a session's write without its CSRF token.
 */
export function authenticate(db: Kysely<Database>): RequestHandler {
  return async (req, res, next) => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="api"');
    const header = req.get('authorization');
    const cookies = (req as { cookies?: Record<string, unknown> }).cookies;
    const secret = cookies?.[SESSION_COOKIE];
    if (header) req.user = await bearerUser(db, header);
    else if (typeof secret === 'string' && secret !== '') req.user = await sessionUser(db, req, secret);
    else throw unauthenticated('Authentification requise : en-tête « Authorization: Bearer <jeton> ».');
    res.removeHeader('WWW-Authenticate');
    next();
  };
}

/** 403 unless the authenticated user holds `right`. */
export function authorize(right: Right): RequestHandler {
  return (req, _res, next) => {
    const user = req.user;
    if (!user) throw unauthenticated('Authentification requise.');
    if (!holds(user.rights, right)) {
      throw new HttpError(403, 'FORBIDDEN', `Vous n’avez pas le droit « ${RIGHTS[right].label} » (${right}).`, {
        role: user.role,
        right,
      });
    }
    next();
  };
}

/** The authenticated user (after `authenticate`). */
export function userOf(req: { user?: User }): User {
  if (!req.user) throw unauthenticated('Authentification requise.');
  return req.user;
}
