import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DomainError, type DomainErrorCode } from '../domain/errors';

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
    if (!known) logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    const error = known ?? new HttpError(500, 'INTERNAL_ERROR', 'Erreur interne. Réessayez plus tard.');
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    if (res.headersSent) return;
    res.status(error.status).json(body);
  };
}
