import {
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { UniqueViolationError } from '../db/errors';
import { DOMAIN_ERROR_CODES, DomainError, type DomainErrorCode } from '../domain/errors';

/** The contract's error body: {"error": {"code", "message", "details"}}. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  ACTION_NOT_ALLOWED: 409,
  NO_DECISION_AWAITED: 409,
  INSTALLMENT_NOT_ELIGIBLE: 409,
  UNKNOWN_REFUSAL_REASON: 422,
  EMPTY_SELECTION: 422,
  VALIDATION_FAILED: 422,
  DOCUMENT_UNREADABLE: 422,
  NOT_FOUND: 404,
};

function isDomainErrorCode(code: string | undefined | null): code is DomainErrorCode {
  return (DOMAIN_ERROR_CODES as readonly string[]).includes(code ?? '');
}

/** The answer for a write that met one of the schema's unique constraints. */
const UNIQUE_CONFLICTS: Record<string, { code: string; message: string }> = {
  cfas_siret_key: { code: 'CFA_ALREADY_EXISTS', message: 'Un CFA est déjà enregistré avec ce SIRET.' },
  users_email_key: { code: 'USER_ALREADY_EXISTS', message: 'Un utilisateur existe déjà avec cette adresse e-mail.' },
  contracts_number_key: { code: 'CONTRACT_ALREADY_EXISTS', message: 'Un contrat existe déjà avec ce numéro.' },
  refusal_reasons_pkey: {
    code: 'REFUSAL_REASON_ALREADY_EXISTS',
    message: 'Un motif de refus existe déjà avec ce code.',
  },
};

// gRPC status codes meaning "Temporal did not answer in time or cannot be reached": CANCELLED, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, UNAVAILABLE.
const TEMPORAL_UNREACHABLE_CODES = new Set([1, 4, 8, 14]);

export const TEMPORAL_UNAVAILABLE_MESSAGE =
  'Le moteur de traitement ne répond pas pour le moment : l’action n’a pas été prise en compte, réessayez dans quelques instants.';

/** Temporal could not be reached, or did not answer before the API's deadline (no worker polling, for instance). */
export function isTemporalUnavailable(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const grpc = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(grpc) && TEMPORAL_UNREACHABLE_CODES.has(grpc.code);
}

// Connection-level failures of PostgreSQL (node-postgres and the server's own "shutting down" codes).
const DATABASE_UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300']);

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'NOT_FOUND', `Ressource introuvable : ${req.method} ${req.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DomainError) return new HttpError(DOMAIN_STATUS[err.code], err.code, err.message, err.details);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    // The workflow's validator (or handler) refused the action: its type is a domain code, its message names the status.
    const type = err.cause.type;
    const details = err.cause.details?.[0];
    return new HttpError(
      isDomainErrorCode(type) ? DOMAIN_STATUS[type] : 409,
      type ?? 'ACTION_NOT_ALLOWED',
      err.cause.message,
      details ?? undefined,
    );
  }
  if (isTemporalUnavailable(err)) return new HttpError(503, 'TEMPORAL_UNAVAILABLE', TEMPORAL_UNAVAILABLE_MESSAGE);
  if (err instanceof UniqueViolationError) {
    const conflict = UNIQUE_CONFLICTS[err.constraint];
    if (conflict) return new HttpError(409, conflict.code, conflict.message);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && DATABASE_UNREACHABLE.has(code)) {
    return new HttpError(
      503,
      'DATABASE_UNAVAILABLE',
      'La base de données ne répond pas : réessayez dans quelques instants.',
    );
  }
  const parserError = err as BodyParserError;
  if (parserError && typeof parserError === 'object' && typeof parserError.type === 'string') {
    if (parserError.type === 'entity.parse.failed')
      return new HttpError(400, 'MALFORMED_JSON', 'Le corps de la requête n’est pas un JSON valide.');
    if (parserError.type === 'entity.too.large')
      return new HttpError(413, 'PAYLOAD_TOO_LARGE', 'Le corps de la requête est trop volumineux.');
    if (parserError.type === 'encoding.unsupported' || parserError.type === 'charset.unsupported') {
      return new HttpError(415, 'UNSUPPORTED_ENCODING', 'Encodage du corps de requête non pris en charge.');
    }
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      return new HttpError(parserError.status, 'BAD_REQUEST', 'Requête invalide.');
    }
  }
  return undefined;
}

/** Registered last: every error becomes the contract's JSON body; unknown errors are a neutral 500, details logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toHttpError(err);
    if (!known) logger.error({ err, method: req.method, path: req.path, reqId: req.id }, 'unhandled error');
    // A known 5xx (Temporal or PostgreSQL unreachable) keeps its cause in the log, never in the answer.
    else if (known.status >= 500) logger.warn({ err, method: req.method, path: req.path, reqId: req.id }, known.code);
    const error = known ?? new HttpError(500, 'INTERNAL_ERROR', 'Erreur interne. Réessayez plus tard.');
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    if (res.headersSent) return;
    if (error.status === 503) res.setHeader('Retry-After', '5');
    res.status(error.status).json(body);
  };
}
