import type { RequestHandler } from 'express';
import type { Kysely } from 'kysely';
import { findUserByTokenHash } from '../db/admin-queries';
import type { Scope } from '../db/pro-forma-summary';
import type { Database, UserRoleCode } from '../db/schema';
import { hashToken } from '../infra/tokens';
import { HttpError } from './errors';

/**
 * Authentication (bearer tokens: random, shown once, stored as their SHA-256, revocable) and rights. Which role may
 * do what is written once, in RIGHTS; every endpoint names the right it needs and the endpoint runner
 * (api/endpoint.ts) checks it before anything else happens. A CFA user's reads and actions are further limited to
 * its own CFA by `scopeOf`: another CFA's pro forma is not found (404), never "forbidden".
 */

export const ROLES = ['admin', 'validator', 'cfa'] as const satisfies readonly UserRoleCode[];
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  role: Role;
  name: string;
  email: string;
  /** Set exactly for a CFA user. */
  cfaId: string | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authenticate`. */
    user?: User;
  }
}

/**
 * The rights table. Validators claim, correct readings and decide (a second approval is a decision by another
 * validator) but never deposit; CFA users deposit, cancel and read their own CFA's data; admins take claims over,
 * cancel or return pro formas for the Opco, manage the reference data, read the audit and the figures, and confirm
 * payments.
 */
export const RIGHTS = {
  'me:read': ['admin', 'validator', 'cfa'],
  'my-cfa:read': ['cfa'],
  'my-cfa:manage': ['cfa'],
  'pro-formas:read': ['admin', 'validator', 'cfa'],
  'installments:read': ['cfa'],
  'pro-formas:generate': ['cfa'],
  'pro-formas:deposit': ['cfa'],
  'pro-formas:cancel': ['cfa'],
  'pro-formas:decide': ['validator'],
  'pro-formas:correct': ['validator'],
  'validation-queue:read': ['validator', 'admin'],
  'validation:claim': ['validator', 'admin'],
  'pro-formas:administer': ['admin'],
  'payments:confirm': ['admin'],
  'refusal-reasons:read': ['admin', 'validator'],
  'audit:read': ['admin'],
  'metrics:read': ['admin'],
  'admin:manage': ['admin'],
  'contracts:read': ['cfa', 'validator', 'admin'],
  'mandates:read': ['cfa', 'validator', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Right = keyof typeof RIGHTS;

export function rolesWith(right: Right): readonly Role[] {
  return RIGHTS[right];
}

/** What a user may read: a CFA user its own CFA only, staff every CFA. */
export function scopeOf(user: User): Scope {
  return { cfaId: user.role === 'cfa' ? user.cfaId : null };
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]{1,512})$/i;

function unauthenticated(message: string): HttpError {
  return new HttpError(401, 'UNAUTHENTICATED', message);
}

/** Resolves `Authorization: Bearer <token>` to a user; 401 when absent, unknown or revoked. */
export function authenticate(db: Kysely<Database>): RequestHandler {
  return async (req, res, next) => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="api"');
    const header = req.get('authorization');
    if (!header) throw unauthenticated('Authentification requise : en-tête « Authorization: Bearer <jeton> ».');
    const match = BEARER.exec(header.trim());
    if (!match) throw unauthenticated('En-tête Authorization invalide : « Bearer <jeton> » attendu.');
    const found = await findUserByTokenHash(db, hashToken(match[1] as string));
    if (!found) throw unauthenticated('Jeton inconnu.');
    if (found.revoked) throw unauthenticated('Jeton révoqué.');
    res.removeHeader('WWW-Authenticate');
    req.user = { id: found.id, role: found.role, name: found.name, email: found.email, cfaId: found.cfaId };
    next();
  };
}

/** 403 unless the authenticated user's role holds `right`. */
export function authorize(right: Right): RequestHandler {
  return (req, _res, next) => {
    const user = req.user;
    if (!user) throw unauthenticated('Authentification requise.');
    if (!(RIGHTS[right] as readonly Role[]).includes(user.role)) {
      throw new HttpError(403, 'FORBIDDEN', `Votre rôle (${user.role}) ne permet pas cette action.`, {
        role: user.role,
        allowed: RIGHTS[right],
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
