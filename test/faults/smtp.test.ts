import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { paymentRunSettings } from '../../activities/payment-runs';
import { FileDocumentStore } from '../../infra/storage';
import type { GenerationDeps } from '../../api/generation';
import { loadConfig } from '../../infra/config';
import { createMailer } from '../../infra/mailer';
import { confirmPaymentUpdate, decideUpdate } from '../../workflows/pro-forma.messages';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { TestSmtpServer } from '../helpers/smtp-server';
import {
  ADMIN,
  VALIDATOR,
  deposit,
  generate,
  handle,
  perfectReading,
  seedCfa,
  waitFor,
  workflowBundle,
  type Scenario,
  type Stack,
} from '../helpers/stack';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal';

/**
 * The SMTP server down while a pro forma goes from deposit to payment: the process never waits for its e-mails
 * (each status is reached while every e-mail is still failing), the mail activities keep retrying (within
 * MAIL_ATTEMPTS and the production retry policy: 5 s, then 10 s, …), and once the server is back each e-mail is sent
 * exactly once.
 */
describe('the SMTP server down for a while', () => {
  jest.setTimeout(90_000);
  let database: TestDatabase;
  let env: TestWorkflowEnvironment;
  let smtp: TestSmtpServer;
  let outboxDir: string;
  let stack: Stack;
  const running: { worker: Worker; run: Promise<void> }[] = [];
  let scenario: Scenario;
  /** The pro forma under test (the stubbed reading reads it). */
  let number = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    env = await connectTestEnvironment();
    smtp = await TestSmtpServer.create();
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-outbox-'));
    const taskQueue = uniqueTaskQueue('pro-formas');
    const ocrTaskQueue = uniqueTaskQueue('ocr');
    const config = loadConfig({ TASK_QUEUE: taskQueue, OCR_TASK_QUEUE: ocrTaskQueue, SMTP_URL: smtp.url });
    const mailer = createMailer({ outboxDir, smtpUrl: config.mail.smtpUrl, from: 'factures@opco.example' });
    expect(mailer.transport).toBe('SMTP');
    const launch = (worker: Worker) => running.push({ worker, run: worker.run() });
    launch(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities: createActivities({
          db: database.db,
          mailer,
          store: new FileDocumentStore(outboxDir),
          client: env.client,
          paymentRuns: paymentRunSettings(config),
        }),
      }),
    );
    // The reading: a perfect one, whatever the file (this test is about e-mails).
    launch(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue: ocrTaskQueue,
        activities: {
          extractInvoiceFields: async () =>
            perfectReading(number, scenario.installments[0]?.amountCents ?? 0, scenario),
        },
      }),
    );
    const deps: GenerationDeps = {
      db: database.db,
      client: env.client,
      config,
      workflowOverrides: { timings: { ocrHeartbeatTimeoutMs: 5000 } },
    };
    // The part of a Stack the helpers of test/helpers/stack.ts use (database, client, generation deps).
    stack = { database, env, client: env.client, deps, outboxDir } as Stack;
    scenario = await seedCfa(stack, [257_500]);
  });
  afterAll(async () => {
    for (const { worker } of running) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(running.map((r) => r.run));
    await smtp?.stop();
    await env?.teardown();
    await database?.drop();
    if (outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  async function notifications(number: string) {
    return database.db
      .selectFrom('notifications as n')
      .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
      .select(['n.template', 'n.status', 'n.attempts', 'n.transport', 'n.location', 'n.subject', 'n.error'])
      .where('p.number', '=', number)
      .orderBy('n.created_at')
      .execute();
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('moves the pro forma on while the e-mails fail, then sends each e-mail exactly once when the server is back', async () => {
    // Up, then down: the port now refuses connections.
    await smtp.start();
    await smtp.stop();

    const [proForma] = await generate(stack, scenario);
    if (!proForma) throw new Error('nothing generated');
    number = proForma.number;
    const readingSince = Date.now();
    // Deposit, then reading and controls: an untrusted CFA's compliant invoice awaits a decision.
    await deposit(stack, number);
    await waitFor(stack, number, (v) => v.stage === 'AWAITING_DECISION', 20_000);
    // A decision, then the payment ordered and confirmed: none of it waits for the e-mail of the deposit.
    const decisionId = `decide-${crypto.randomUUID()}`;
    const decided = await handle(stack, number).executeUpdate(decideUpdate, {
      args: [{ requestId: decisionId, actor: VALIDATOR, decision: 'APPROVE' }],
      updateId: decisionId,
    });
    expect(decided.status).toBe('VALIDATED');
    const paymentId = `pay-${crypto.randomUUID()}`;
    await waitFor(stack, number, (v) => v.payment !== null, 10_000);
    const paid = await handle(stack, number).executeUpdate(confirmPaymentUpdate, {
      args: [{ requestId: paymentId, actor: ADMIN, reference: 'VIR-2026-0001' }],
      updateId: paymentId,
    });
    expect(paid.status).toBe('PAID');
    const processMs = Date.now() - readingSince;

    // Every status was reached while the server was down: nothing was received, the e-mail of the deposit is still
    // pending (it failed, and waits for its next attempt), the others wait behind it.
    expect(await smtp.messages()).toEqual([]);
    const pro = await database.db
      .selectFrom('pro_formas')
      .select(['status'])
      .where('number', '=', number)
      .executeTakeFirstOrThrow();
    expect(pro.status).toBe('PAID');
    const whileDown = await notifications(number);
    expect(whileDown.map((n) => [n.template, n.status])).toEqual([['DEPOSIT_RECEIVED', 'PENDING']]);
    expect(whileDown[0]?.attempts).toBeGreaterThanOrEqual(1);
    expect(whileDown[0]?.error).toMatch(/ECONNREFUSED/);
    // Within the first retry interval (5 s) of the mail policy on an idle machine; loose here for a loaded one.
    expect(processMs).toBeLessThan(30_000);

    // A second attempt fails too: the activity is retried, as the policy says, while the server stays down.
    await until(
      'the e-mail of the deposit has failed twice',
      async () => ((await notifications(number))[0]?.attempts ?? 0) >= 2 || undefined,
      30_000,
    );
    expect(await smtp.messages()).toEqual([]);
    const failedAttempts = (await notifications(number))[0]?.attempts ?? 0;
    expect(failedAttempts).toBe(2);

    // The server is back (the third attempt comes 10 s after the second): each e-mail goes out once, in order, and the
    // workflow, which closes only once its e-mails are out, completes.
    await smtp.start();
    const result = await handle(stack, number).result();
    expect(result.status).toBe('PAID');

    const sent = await notifications(number);
    expect(sent.map((n) => [n.template, n.status, n.transport])).toEqual([
      ['DEPOSIT_RECEIVED', 'SENT', 'SMTP'],
      ['VALIDATED', 'SENT', 'SMTP'],
      ['PAID', 'SENT', 'SMTP'],
    ]);
    // The deposit's e-mail: two failed attempts, then one that sent it; the others: sent at their first attempt.
    expect(sent.map((n) => n.attempts)).toEqual([3, 1, 1]);
    const received = await smtp.messages();
    expect(received.map((m) => m.subject)).toEqual(sent.map((n) => n.subject));
    expect(received.map((m) => m.messageId)).toEqual(sent.map((n) => n.location));
    expect(new Set(received.map((m) => m.messageId)).size).toBe(3);
    // The outbox is not used when SMTP_URL is set.
    expect(fs.readdirSync(outboxDir)).toEqual([]);

    // Nothing more comes later: the workflow is closed, and no activity is left to retry.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await smtp.messages()).toHaveLength(3);
  });
});
