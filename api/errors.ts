import {
  NamespaceNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
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
    /** The failure behind the answer: logged, never sent. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
  AMOUNT_OUT_OF_RANGE: 422,
  SELECTION_TOO_LARGE: 422,
  CLAIMED_BY_OTHER: 409,
  SAME_APPROVER: 409,
  PAYMENT_ALREADY_ORDERED: 409,
};

function isDomainErrorCode(code: string | undefined | null): code is DomainErrorCode {
  return (DOMAIN_ERROR_CODES as readonly string[]).includes(code ?? '');
}

/**
 * The workflow refused the update with a domain code. A validator's refusal leaves no trace; a handler's refusal
 * (a deposit's handler has none) comes before its effects. Any other failure may come after some of them.
 */
export function isRefusedByWorkflow(error: unknown): boolean {
  return (
    error instanceof WorkflowUpdateFailedError &&
    error.cause instanceof ApplicationFailure &&
    isDomainErrorCode(error.cause.type)
  );
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

/** gRPC status codes, as Temporal's client reports them (a ServiceError's cause, or the raw gRPC error). */
export const GRPC_STATUS = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusName = keyof typeof GRPC_STATUS;

export const TEMPORAL_UNAVAILABLE_MESSAGE =
  'Le moteur de traitement ne répond pas pour le moment : l’action n’a pas été prise en compte, réessayez dans quelques instants.';

/** Past the API's deadline the server may still apply what it was asked: the client must not take it as refused. */
export const TEMPORAL_TIMEOUT_MESSAGE =
  'Le moteur de traitement n’a pas répondu dans le délai : l’action a peut-être été prise en compte. Consultez la ' +
  'pro forma, ou renvoyez la même requête avec le même en-tête Idempotency-Key : elle ne sera appliquée qu’une fois.';

export const WORKFLOW_NOT_READY_MESSAGE =
  'Le traitement de cette pro forma est bloqué par une erreur technique : l’action n’a pas été prise en compte, ' +
  'réessayez plus tard.';

type TemporalAnswer = 'UNAVAILABLE' | 'TIMED_OUT' | 'NOT_READY' | 'NOT_FOUND' | 'CONFLICT';

/**
 * The answer to each gRPC status of a Temporal call. Unavailable: Temporal is down, overloaded, or refuses the
 * API's credentials; nothing was applied and a retry may succeed (503 with Retry-After). Timed out: the API's
 * deadline passed first; the server may still apply the call, and the answer says so (same code). Not ready:
 * the server refuses updates and queries while the workflow's task keeps failing (a bug or a bad deployment of the
 * workflow code), until the task succeeds again. Absent: a status that only a bug of the API or of the server
 * produces (a malformed call), answered as a neutral 500 and logged as an error.
 */
const TEMPORAL_ANSWERS: Record<GrpcStatusName, TemporalAnswer | undefined> = {
  CANCELLED: 'TIMED_OUT',
  UNKNOWN: 'UNAVAILABLE',
  INVALID_ARGUMENT: undefined,
  DEADLINE_EXCEEDED: 'TIMED_OUT',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'CONFLICT',
  PERMISSION_DENIED: 'UNAVAILABLE',
  RESOURCE_EXHAUSTED: 'UNAVAILABLE',
  FAILED_PRECONDITION: 'NOT_READY',
  // A conflict of concurrent writes inside the server: the same call can be retried as is.
  ABORTED: 'UNAVAILABLE',
  OUT_OF_RANGE: undefined,
  UNIMPLEMENTED: undefined,
  INTERNAL: 'UNAVAILABLE',
  UNAVAILABLE: 'UNAVAILABLE',
  DATA_LOSS: undefined,
  UNAUTHENTICATED: 'UNAVAILABLE',
};

const GRPC_STATUS_NAMES = new Map<number, GrpcStatusName>(
  Object.entries(GRPC_STATUS).map(([name, code]) => [code, name as GrpcStatusName]),
);

/** The gRPC status of a failed Temporal call, whether the client wrapped it (ServiceError, …) or not. */
export function grpcStatusOf(error: unknown): GrpcStatusName | undefined {
  let cause = error;
  for (let depth = 0; depth < 5; depth++) {
    if (isGrpcServiceError(cause)) return GRPC_STATUS_NAMES.get(cause.code);
    if (!(cause instanceof ServiceError || cause instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) return undefined;
    cause = cause.cause;
  }
  return undefined;
}

function temporalAnswerOf(error: unknown): TemporalAnswer | undefined {
  if (error instanceof NamespaceNotFoundError) return 'UNAVAILABLE';
  if (error instanceof WorkflowNotFoundError) return 'NOT_FOUND';
  if (error instanceof WorkflowExecutionAlreadyStartedError) return 'CONFLICT';
  const status = grpcStatusOf(error);
  if (status) return TEMPORAL_ANSWERS[status];
  return error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ? 'TIMED_OUT' : undefined;
}

/** Temporal could not be reached, or did not answer before the API's deadline (no worker polling, for instance). */
export function isTemporalUnavailable(error: unknown): boolean {
  const answer = temporalAnswerOf(error);
  return answer === 'UNAVAILABLE' || answer === 'TIMED_OUT';
}

/** The server refuses the call because the workflow's task keeps failing (gRPC FAILED_PRECONDITION). */
export function isWorkflowNotReady(error: unknown): boolean {
  return temporalAnswerOf(error) === 'NOT_READY';
}

const TEMPORAL_HTTP_ERRORS: Record<TemporalAnswer, [status: number, code: string, message: string]> = {
  UNAVAILABLE: [503, 'TEMPORAL_UNAVAILABLE', TEMPORAL_UNAVAILABLE_MESSAGE],
  TIMED_OUT: [503, 'TEMPORAL_UNAVAILABLE', TEMPORAL_TIMEOUT_MESSAGE],
  NOT_READY: [409, 'WORKFLOW_NOT_READY', WORKFLOW_NOT_READY_MESSAGE],
  NOT_FOUND: [404, 'NOT_FOUND', 'Le traitement de cette pro forma est introuvable.'],
  CONFLICT: [409, 'WORKFLOW_ALREADY_STARTED', 'Le traitement de cette pro forma est déjà démarré.'],
};

/** The contract's answer to a failed Temporal call (other than an update the workflow refused); its cause is logged. */
function temporalHttpError(error: unknown): HttpError | undefined {
  const answer = temporalAnswerOf(error);
  if (!answer) return undefined;
  const [status, code, message] = TEMPORAL_HTTP_ERRORS[answer];
  return new HttpError(status, code, message, undefined, { cause: error });
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
  if (err instanceof WorkflowUpdateFailedError) {
    // The workflow's validator (or handler) refused the action: its type is a domain code, its message names the status.
    if (isRefusedByWorkflow(err)) {
      const failure = err.cause as ApplicationFailure;
      const type = failure.type as DomainErrorCode;
      return new HttpError(DOMAIN_STATUS[type], type, failure.message, failure.details?.[0] ?? undefined);
    }
    // Any other failure of an accepted update comes from Temporal itself (the workflow closed before the update
    // completed) or from a step of the handler: its message is not written for users.
    return new HttpError(
      409,
      'ACTION_NOT_COMPLETED',
      'L’action n’a pas pu aboutir : le traitement de la pro forma l’a interrompue. Consultez la pro forma avant de réessayer.',
      undefined,
      { cause: err },
    );
  }
  const temporal = temporalHttpError(err);
  if (temporal) return temporal;
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
  // A path segment that is not valid percent-encoding (`/api/pro-formas/%E0%A4%A`): the router cannot decode it.
  if (err instanceof URIError && (err as URIError & { status?: unknown }).status === 400) {
    return new HttpError(400, 'BAD_REQUEST', 'Requête invalide : le chemin est mal encodé.');
  }
  return undefined;
}

/** Registered last: every error becomes the contract's JSON body; unknown errors are a neutral 500, details logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toHttpError(err);
    if (!known) logger.error({ err, method: req.method, path: req.path, reqId: req.id }, 'unhandled error');
    // A known 5xx (Temporal or PostgreSQL unreachable), or an answer to a failure of the service's own (a workflow
    // whose task fails), keeps its cause in the log, never in the answer.
    else if (known.status >= 500 || known.cause !== undefined) {
      logger.warn({ err: known.cause ?? err, method: req.method, path: req.path, reqId: req.id }, known.code);
    }
    const error = known ?? new HttpError(500, 'INTERNAL_ERROR', 'Erreur interne. Réessayez plus tard.');
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    if (res.headersSent) return;
    if (error.status === 503) res.setHeader('Retry-After', '5');
    res.status(error.status).json(body);
  };
}
