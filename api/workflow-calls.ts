import crypto from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Kysely } from 'kysely';
import { findProFormaState, type ProFormaState } from '../db/pro-forma-detail';
import type { Scope } from '../db/pro-forma-summary';
import { bindIdempotencyKey } from '../db/request-bindings';
import type { Database } from '../db/schema';
import { assertAllowed, isFinalStatus, statusLabel, type ProFormaAction } from '../domain/process';
import { proFormaWorkflowId } from '../workflows/pro-forma.messages';
import { HttpError, isWorkflowNotReady } from './errors';

/**
 * Every state change of a pro forma is a Workflow Update of its workflow: the API asks, the workflow's validator
 * accepts or refuses (409 naming the status), and the API answers with the outcome. The API never writes a status.
 *
 * Every call has a deadline: with no worker polling the task queue, the client would retry an update forever
 * (field notes, fact 3); past TEMPORAL_CALL_TIMEOUT the API answers 503 TEMPORAL_UNAVAILABLE (api/errors.ts).
 */

export interface WorkflowCallDeps {
  db: Kysely<Database>;
  temporal: Client;
  callTimeoutMs: number;
}

/** Runs `fn` with the API's deadline on every Temporal call it makes. */
export function withTemporalDeadline<T>(deps: WorkflowCallDeps, fn: () => Promise<T>): Promise<T> {
  return deps.temporal.withDeadline(Date.now() + deps.callTimeoutMs, fn);
}

/**
 * Sends `update` to the pro forma's workflow with `input.requestId` as the update id: the server applies one
 * update id once (and the workflow remembers the ids it applied, across continue-as-new), so a repeated request is
 * answered with the first one's outcome.
 */
export async function updateProForma<Ret, Input extends { requestId: string }>(
  deps: WorkflowCallDeps,
  scope: Scope,
  proForma: Pick<ProFormaState, 'number'>,
  action: ProFormaAction,
  update: UpdateDefinition<Ret, [Input]>,
  input: Input,
): Promise<Ret> {
  const handle = deps.temporal.workflow.getHandle(proFormaWorkflowId(proForma.number));
  try {
    return await withTemporalDeadline(deps, () =>
      handle.executeUpdate(update, { args: [input], updateId: input.requestId }),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw await closedWorkflowError(deps, scope, proForma.number, action);
    if (isWorkflowNotReady(error)) throw await notReadyError(deps, scope, proForma.number, error);
    throw error;
  }
}

/**
 * The server refuses updates while the workflow's task keeps failing (FAILED_PRECONDITION): nothing was applied, and
 * nothing will be until the workflow code is fixed. The answer names the status, read from the database.
 */
async function notReadyError(deps: WorkflowCallDeps, scope: Scope, number: string, cause: unknown): Promise<Error> {
  const state = await findProFormaState(deps.db, scope, number);
  if (!state) return new HttpError(404, 'NOT_FOUND', `Pro forma ${number} introuvable.`);
  return new HttpError(
    409,
    'WORKFLOW_NOT_READY',
    `Action impossible pour le moment : le traitement de la pro forma au statut « ${statusLabel(state.status, state.kind, state.stage)} » ` +
      'est bloqué par une erreur technique. L’action n’a pas été prise en compte, réessayez plus tard.',
    { status: state.status, stage: state.stage },
    { cause },
  );
}

/**
 * A PAID or CANCELLED pro forma's workflow has completed and takes no update: the answer names the status, read
 * from the database. A workflow missing while the pro forma is live has not started yet (its start is retried by
 * the reconciliation of workflow starts): the action can be tried again shortly.
 */
async function closedWorkflowError(
  deps: WorkflowCallDeps,
  scope: Scope,
  number: string,
  action: ProFormaAction,
): Promise<Error> {
  const state = await findProFormaState(deps.db, scope, number);
  if (!state) return new HttpError(404, 'NOT_FOUND', `Pro forma ${number} introuvable.`);
  if (isFinalStatus(state.status)) {
    try {
      assertAllowed(state, action);
    } catch (refusal) {
      return refusal as Error;
    }
  }
  return new HttpError(
    503,
    'WORKFLOW_NOT_STARTED',
    'Le traitement de cette pro forma n’est pas encore démarré : réessayez dans une minute.',
  );
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** The client's `Idempotency-Key` header, checked; undefined when absent. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new HttpError(
      400,
      'INVALID_IDEMPOTENCY_KEY',
      'En-tête Idempotency-Key invalide : 1 à 200 caractères parmi lettres, chiffres, « . », « _ », « : » et « - ».',
    );
  }
  return header;
}

/** The actions an Idempotency-Key applies to, as they name update ids. */
export type KeyedAction =
  | 'deposit'
  | 'decide'
  | 'cancel'
  | 'confirm-payment'
  | 'claim'
  | 'release-claim'
  | 'correct-reading'
  | 'staff-cancel'
  | 'return-to-validation';

export interface RequestIdentity {
  action: KeyedAction;
  number: string;
  userId: string;
  /** The `Idempotency-Key` header, as received. */
  keyHeader: string | undefined;
  /** What the request asks, as parsed (body, or the deposited file's digest and name). */
  content: Record<string, unknown>;
  /** Without a key: a value that is the same for the same intent (see each route). */
  fallback: string;
}

/**
 * The update id of a request. With an Idempotency-Key, the key scoped to the user and the action, bound in the
 * database to the first request it came with: the same key with another body or another pro forma is refused (422)
 * instead of being answered with the first request's outcome, which the client would take for its own.
 */
export async function requestIdOf(deps: WorkflowCallDeps, request: RequestIdentity): Promise<string> {
  const key = idempotencyKey(request.keyHeader);
  if (key === undefined) return `${request.action}:${request.number}:${request.fallback}`;
  const fingerprint = crypto
    .createHash('sha256')
    .update(canonicalJson([request.action, request.number, request.content]))
    .digest('hex');
  const bound = await bindIdempotencyKey(deps.db, { userId: request.userId, action: request.action, key, fingerprint });
  if (bound !== fingerprint) {
    throw new HttpError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'Cette clé Idempotency-Key a déjà servi pour une autre requête (autre contenu ou autre pro forma) : ' +
        'une nouvelle requête demande une nouvelle clé.',
      { key },
    );
  }
  return `${request.action}:${request.number}:${request.userId}:key:${key}`;
}

/** JSON with sorted keys and without undefined fields: the same content always gives the same text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A short, stable digest of the parts of a request that make it "the same request". */
export function digest(...parts: (string | number | null | undefined)[]): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(parts.map((p) => p ?? null)))
    .digest('hex')
    .slice(0, 32);
}
