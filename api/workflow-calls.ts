import crypto from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Kysely } from 'kysely';
import { findProFormaState, type ProFormaState, type Scope } from '../db/pro-forma-queries';
import type { Database } from '../db/schema';
import { assertAllowed, statusLabel, type ProFormaAction } from '../domain/status';
import { proFormaWorkflowId } from '../workflows/pro-forma.messages';
import { HttpError } from './errors';

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
    throw error;
  }
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
  if (state.status === 'PAID' || state.status === 'CANCELLED') {
    if (action === 'DECIDE') {
      return new HttpError(
        409,
        'NO_DECISION_AWAITED',
        `Aucune décision n'est attendue : la facture pro forma est au statut « ${statusLabel(state.status, state.kind)} ».`,
        { status: state.status, stage: state.stage },
      );
    }
    try {
      assertAllowed(state.status, action, state.kind);
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

/**
 * The update id of a request. With an Idempotency-Key, the key scoped to the user, the action and the pro forma;
 * without one, `fallback` (a value that is the same for the same intent: see each route).
 */
export function requestIdFor(
  action: string,
  number: string,
  userId: string,
  key: string | undefined,
  fallback: string,
): string {
  return key === undefined ? `${action}:${number}:${fallback}` : `${action}:${number}:${userId}:key:${key}`;
}

/** A short, stable digest of the parts of a request that make it "the same request". */
export function digest(...parts: (string | number | null | undefined)[]): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(parts.map((p) => p ?? null)))
    .digest('hex')
    .slice(0, 32);
}
