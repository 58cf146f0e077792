import crypto from 'node:crypto';
import {
  NamespaceNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import {
  GRPC_STATUS,
  TEMPORAL_TIMEOUT_MESSAGE,
  TEMPORAL_UNAVAILABLE_MESSAGE,
  WORKFLOW_NOT_READY_MESSAGE,
  errorHandler,
  type GrpcStatusName,
} from '../../api/errors';
import { proFormaWorkflowId } from '../../workflows/pro-forma.messages';
import { FAILURE_MESSAGE, type failingTaskWorkflow } from '../helpers/failing-workflow';
import { TEST_IBAN } from '../helpers/fixtures';
import { seedInstallments, startApiStack, storedFiles, type ApiStack } from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';
import { uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(120_000);

/** A gRPC error as @grpc/grpc-js raises it (what isGrpcServiceError recognises). */
function grpcError(name: GrpcStatusName): Error {
  const code = GRPC_STATUS[name];
  return Object.assign(new Error(`${code} ${name}: from the server`), {
    code,
    details: 'from the server',
    metadata: {},
  });
}

/**
 * What @temporalio/client throws for a failed update call (WorkflowClient.rethrowUpdateGrpcError): a deadline or a
 * cancellation as WorkflowUpdateRPCTimeoutOrCancelledError, NOT_FOUND as WorkflowNotFoundError, any other status
 * as a ServiceError whose cause is the gRPC error.
 */
function updateCallError(name: GrpcStatusName): Error {
  const grpc = grpcError(name);
  if (name === 'DEADLINE_EXCEEDED' || name === 'CANCELLED') {
    return new WorkflowUpdateRPCTimeoutOrCancelledError(grpc.message, { cause: grpc });
  }
  if (name === 'NOT_FOUND') return new WorkflowNotFoundError(grpc.message, 'pro-forma-PRO-00000001', undefined);
  return new ServiceError('Workflow Update failed', { cause: grpc });
}

function answerTo(error: unknown) {
  const app = express();
  app.get('/call', () => {
    throw error;
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  return request(app).get('/call');
}

const UNAVAILABLE = { status: 503, code: 'TEMPORAL_UNAVAILABLE', message: TEMPORAL_UNAVAILABLE_MESSAGE };
// Past the deadline the call may still be applied: same code, a message that does not call it refused.
const TIMED_OUT = { status: 503, code: 'TEMPORAL_UNAVAILABLE', message: TEMPORAL_TIMEOUT_MESSAGE };
const NOT_READY = { status: 409, code: 'WORKFLOW_NOT_READY', message: WORKFLOW_NOT_READY_MESSAGE };
const NOT_FOUND = { status: 404, code: 'NOT_FOUND', message: 'Le traitement de cette pro forma est introuvable.' };
const CONFLICT = {
  status: 409,
  code: 'WORKFLOW_ALREADY_STARTED',
  message: 'Le traitement de cette pro forma est déjà démarré.',
};
// A malformed call is a bug of the API's or of the server's: neutral, and logged as an error.
const BUG = { status: 500, code: 'INTERNAL_ERROR', message: 'Erreur interne. Réessayez plus tard.' };

const EXPECTED: Record<GrpcStatusName, { status: number; code: string; message: string }> = {
  CANCELLED: TIMED_OUT,
  UNKNOWN: UNAVAILABLE,
  INVALID_ARGUMENT: BUG,
  DEADLINE_EXCEEDED: TIMED_OUT,
  NOT_FOUND,
  ALREADY_EXISTS: CONFLICT,
  PERMISSION_DENIED: UNAVAILABLE,
  RESOURCE_EXHAUSTED: UNAVAILABLE,
  FAILED_PRECONDITION: NOT_READY,
  ABORTED: UNAVAILABLE,
  OUT_OF_RANGE: BUG,
  UNIMPLEMENTED: BUG,
  INTERNAL: UNAVAILABLE,
  UNAVAILABLE,
  DATA_LOSS: BUG,
  UNAUTHENTICATED: UNAVAILABLE,
};

describe('the contract’s answer to each Temporal error', () => {
  const statuses = Object.keys(GRPC_STATUS) as GrpcStatusName[];

  it.each(statuses)('answers a failed update call with gRPC status %s', async (name) => {
    const expected = EXPECTED[name];
    const res = await answerTo(updateCallError(name));
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual({ error: { code: expected.code, message: expected.message } });
    expect(res.headers['retry-after']).toBe(expected.status === 503 ? '5' : undefined);
  });

  it.each(statuses)('answers any other call (a query, a start) failed with gRPC status %s alike', async (name) => {
    const expected = EXPECTED[name];
    const res = await answerTo(new ServiceError('Failed to query Workflow', { cause: grpcError(name) }));
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual({ error: { code: expected.code, message: expected.message } });
  });

  it('answers 503 when the namespace is unknown to the server (a configuration error), with Retry-After', async () => {
    const res = await answerTo(new NamespaceNotFoundError('invoices'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ error: { code: UNAVAILABLE.code, message: UNAVAILABLE.message } });
  });

  it('answers 409 when a workflow with the same id is already running', async () => {
    const res = await answerTo(
      new WorkflowExecutionAlreadyStartedError('already', 'pro-forma-PRO-1', 'proFormaWorkflow'),
    );
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: CONFLICT.code, message: CONFLICT.message } });
  });

  it('answers the domain code of an update the workflow refused, with its message naming the status', async () => {
    const refusal = ApplicationFailure.create({
      type: 'ACTION_NOT_ALLOWED',
      message: 'Action non autorisée : l’annulation est impossible au statut « Payé » (PAID).',
      details: [{ status: 'PAID', action: 'CANCEL' }],
      nonRetryable: true,
    });
    const res = await answerTo(new WorkflowUpdateFailedError('Workflow Update failed', refusal));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: {
        code: 'ACTION_NOT_ALLOWED',
        message: 'Action non autorisée : l’annulation est impossible au statut « Payé » (PAID).',
        details: { status: 'PAID', action: 'CANCEL' },
      },
    });
  });

  it('answers 409 in French, never Temporal’s own words, to an update that Temporal itself failed', async () => {
    const failure = ApplicationFailure.create({
      type: 'AcceptedUpdateCompletedWorkflow',
      message: 'Workflow Update failed because the Workflow completed before the Update completed.',
    });
    const res = await answerTo(new WorkflowUpdateFailedError('Workflow Update failed', failure));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: {
        code: 'ACTION_NOT_COMPLETED',
        message:
          'L’action n’a pas pu aboutir : le traitement de la pro forma l’a interrompue. Consultez la pro forma avant de réessayer.',
      },
    });
  });
});

/**
 * A real FAILED_PRECONDITION: the pro forma's workflow is replaced, under its own id, by one whose task always
 * fails; the server then refuses every update to it, as it would after a bad deployment of the workflow code.
 */
describe('actions on a pro forma whose workflow task keeps failing', () => {
  let api: ApiStack;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('failing');

  beforeAll(async () => {
    api = await startApiStack();
    worker = await Worker.create({
      connection: api.stack.env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../helpers/failing-workflow'),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await api.teardown();
  });

  /** A pro forma awaiting its invoice, whose workflow has been replaced by one whose task has failed thrice. */
  async function blockedProForma(): Promise<{ number: string; total: number }> {
    const total = 100_000 + crypto.randomInt(1, 99_999);
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [total]);
    const made = await request(api.app)
      .post('/api/pro-formas')
      .set('Authorization', `Bearer ${api.users.cfa.token}`)
      .send({ nature: 'PEDAGOGIE', installmentIds });
    expect(made.status).toBe(201);
    const number = made.body.proFormas[0].number as string;
    const client = api.stack.client;
    const workflowId = proFormaWorkflowId(number);
    await client.workflow.getHandle(workflowId).terminate('replaced by a workflow whose task fails');
    const handle = await client.workflow.start<typeof failingTaskWorkflow>('failingTaskWorkflow', {
      workflowId,
      taskQueue,
      workflowTaskTimeout: '1s',
    });
    // The server fails updates fast once the task has failed a few times in a row (it counts attempts).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { raw } = await handle.describe();
      if ((raw.pendingWorkflowTask?.attempt ?? 0) >= 3) break;
      if (Date.now() > deadline) throw new Error(`the workflow task of ${workflowId} did not fail thrice`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const failed = (await handle.fetchHistory()).events?.find((e) => e.workflowTaskFailedEventAttributes);
    expect(failed?.workflowTaskFailedEventAttributes?.failure?.message).toBe(FAILURE_MESSAGE);
    return { number, total };
  }

  const BLOCKED = {
    error: {
      code: 'WORKFLOW_NOT_READY',
      message:
        'Action impossible pour le moment : le traitement de la pro forma au statut « En attente de facture » est ' +
        'bloqué par une erreur technique. L’action n’a pas été prise en compte, réessayez plus tard.',
      details: { status: 'AWAITING_INVOICE', stage: null },
    },
  };

  async function statusRow(number: string) {
    return api.stack.database.db
      .selectFrom('pro_formas')
      .select(['status', 'cancelled_at'])
      .where('number', '=', number)
      .executeTakeFirstOrThrow();
  }

  it('answers a cancellation, a decision and a deposit with 409 naming the status, and changes nothing', async () => {
    const { number, total } = await blockedProForma();
    const cfa = { Authorization: `Bearer ${api.users.cfa.token}` };

    const cancel = await request(api.app).post(`/api/pro-formas/${number}/cancel`).set(cfa);
    expect(cancel.status).toBe(409);
    expect(cancel.body).toEqual(BLOCKED);
    expect(cancel.headers['retry-after']).toBeUndefined();

    const decision = await request(api.app)
      .post(`/api/pro-formas/${number}/decision`)
      .set('Authorization', `Bearer ${api.users.validator.token}`)
      .send({ decision: 'APPROVE' });
    expect(decision.status).toBe(409);
    expect(decision.body).toEqual(BLOCKED);

    const before = storedFiles(api);
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber: 'FA-BLOQUEE',
      totalCents: total,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    const deposit = await request(api.app)
      .post(`/api/pro-formas/${number}/invoice`)
      .set(cfa)
      .attach('file', pdf, 'facture.pdf');
    expect(deposit.status).toBe(409);
    expect(deposit.body).toEqual(BLOCKED);
    // The refused deposit gave its file back: nothing references it.
    expect(storedFiles(api)).toEqual(before);

    expect(await statusRow(number)).toEqual({ status: 'AWAITING_INVOICE', cancelled_at: null });
    await api.stack.client.workflow.getHandle(proFormaWorkflowId(number)).terminate('test over');
  });
});
