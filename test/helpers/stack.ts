import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { paymentRunSettings } from '../../activities/payment-runs';
import { FileDocumentStore } from '../../infra/storage';
import { createMailer } from '../../infra/mailer';
import type { ExtractInvoiceFieldsInput } from '../../activities/extraction';
import { generateProFormas, type GenerationDeps } from '../../api/generation';
import type { CostNature } from '../../domain/cost-nature';
import type { ExtractionResult } from '../../extraction/types';
import { loadConfig } from '../../infra/config';
import type { proFormaWorkflow } from '../../workflows/pro-forma';
import {
  depositInvoiceUpdate,
  getProFormaQuery,
  proFormaWorkflowId,
  type Actor,
  type ProFormaView,
  type Timings,
} from '../../workflows/pro-forma.messages';
import { createTestDatabase, type TestDatabase } from './database';
import { TEST_IBAN, insertCfa, insertMandate } from './fixtures';
import { connectTestEnvironment, uniqueTaskQueue } from './temporal';
import { bundleTestWorkflows } from './workflow-bundle';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * The workflow code, bundled once for the whole run by the global setup (webpack takes seconds of CPU: once per test
 * file was minutes of the suite), read from its file; bundled here when a file runs without the global setup.
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  const file = process.env.TEST_WORKFLOW_BUNDLE;
  bundle ??= file
    ? Promise.resolve({ code: fs.readFileSync(file, 'utf8'), sourceMap: fs.readFileSync(`${file}.map`, 'utf8') })
    : bundleTestWorkflows();
  return bundle;
}

export type ExtractFn = (input: ExtractInvoiceFieldsInput) => Promise<ExtractionResult>;

export const CFA_USER: Actor = { id: 'cfa-user', role: 'cfa' };
export const VALIDATOR: Actor = { id: 'validator-user', role: 'validator' };
export const ADMIN: Actor = { id: 'admin-user', role: 'admin' };

export interface Stack {
  database: TestDatabase;
  env: TestWorkflowEnvironment;
  client: Client;
  deps: GenerationDeps;
  outboxDir: string;
  store: FileDocumentStore;
  storeDir: string;
  /** What the OCR queue answers; tests set it per document. */
  extract: jest.Mock<ReturnType<ExtractFn>, Parameters<ExtractFn>>;
  startOcrWorker(fn?: ExtractFn): Promise<Worker>;
  /** The workers running in this process (fault tests check they outlived the fault). */
  workers: Worker[];
  teardown(): Promise<void>;
}

export interface StackOptions {
  timings?: Partial<Timings>;
  continueAsNewAfterEvents?: number;
  /** Start the OCR worker (default true); a test about a dying worker starts its own. */
  ocrWorker?: boolean;
  /** Run the main queue's worker in this process (default true); a fault test runs it in a process it can kill. */
  mainWorker?: boolean;
  /** Temporal frontend (default: the run's shared dev server). */
  address?: string;
  /** Extra configuration (CLAIM_TTL, FOUR_EYES_THRESHOLD, SAMPLING_RATE, …). */
  env?: Record<string, string>;
}

/** A fresh database and the workers of both queues (real main activities, OCR answered by `extract`). */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase();
  const env = await connectTestEnvironment(options.address);
  const taskQueue = uniqueTaskQueue('pro-formas');
  const ocrTaskQueue = uniqueTaskQueue('ocr');
  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  // The document store the workers (payment files) and the API (deposits, downloads) share, as in the service.
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'documents-'));
  const store = new FileDocumentStore(storeDir);
  // No sampling of trusted CFAs by default: a test of a trusted CFA's automatic validation is not left to chance
  // (the sampling's own tests set it).
  const config = loadConfig({
    TASK_QUEUE: taskQueue,
    OCR_TASK_QUEUE: ocrTaskQueue,
    SAMPLING_RATE: '0',
    ...options.env,
  });
  const extract = jest.fn<ReturnType<ExtractFn>, Parameters<ExtractFn>>();
  const running: { worker: Worker; run: Promise<void> }[] = [];
  const launch = (worker: Worker) => {
    running.push({ worker, run: worker.run() });
    return worker;
  };

  if (options.mainWorker !== false) {
    launch(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities: createActivities({
          db: database.db,
          mailer: createMailer({ outboxDir, from: 'test@opco.example' }),
          store,
          client: env.client,
          paymentRuns: paymentRunSettings(config),
        }),
      }),
    );
  }
  const startOcrWorker = async (fn: ExtractFn = (input) => extract(input)) =>
    launch(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue: ocrTaskQueue,
        activities: { extractInvoiceFields: fn },
      }),
    );
  if (options.ocrWorker !== false) await startOcrWorker();

  const deps: GenerationDeps = {
    db: database.db,
    client: env.client,
    config,
    workflowOverrides: {
      timings: { ocrHeartbeatTimeoutMs: 2000, ...options.timings },
      continueAsNewAfterEvents: options.continueAsNewAfterEvents,
    },
  };
  return {
    database,
    env,
    client: env.client,
    deps,
    outboxDir,
    store,
    storeDir,
    extract,
    startOcrWorker,
    workers: running.map((r) => r.worker),
    teardown: async () => {
      for (const { worker } of running) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running.map((r) => r.run));
      await env.teardown();
      await database.drop();
      fs.rmSync(outboxDir, { recursive: true, force: true });
      fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

export interface Scenario {
  cfa: { id: string; siret: string; iban: string };
  installments: { id: string; amountCents: number }[];
}

/** A CFA with a valid mandate and one contract whose installments are given (all started, all PEDAGOGIE). */
export async function seedCfa(
  stack: Stack,
  amounts: number[] = [257_500],
  cfaOptions: { trusted?: boolean; settlement?: 'DEDUCTION' | 'REMBOURSEMENT' } = {},
): Promise<Scenario> {
  const db = stack.database.db;
  const cfa = await insertCfa(db, { trusted: cfaOptions.trusted });
  if (cfaOptions.settlement) {
    await db
      .updateTable('cfas')
      .set({ credit_note_settlement: cfaOptions.settlement })
      .where('id', '=', cfa.id)
      .execute();
  }
  await insertMandate(db, cfa.id, '2020-01-01', null);
  const contract = await db
    .insertInto('contracts')
    .values({
      cfa_id: cfa.id,
      number: `DECA-${crypto.randomBytes(5).toString('hex')}`,
      label: 'BTS Test',
      apprentice_name: 'Camille Test',
      employer_name: 'Employeur Test',
      employer_siret: '73282932000074',
      start_date: '2025-09-01',
      end_date: '2027-08-31',
      status: 'ENGAGE',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const installments = [];
  for (const [i, amountCents] of amounts.entries()) {
    const row = await db
      .insertInto('installments')
      .values({
        contract_id: contract.id,
        nature: 'PEDAGOGIE',
        period_start: `2026-0${(i % 9) + 1}-01`,
        period_end: `2026-0${(i % 9) + 1}-28`,
        amount_cents: amountCents,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    installments.push({ id: row.id, amountCents });
  }
  return { cfa: { id: cfa.id, siret: cfa.siret, iban: cfa.iban }, installments };
}

export async function generate(stack: Stack, scenario: Scenario, nature: CostNature = 'PEDAGOGIE', ids?: string[]) {
  return generateProFormas(stack.deps, {
    cfaId: scenario.cfa.id,
    nature,
    installmentIds: ids,
    actor: 'cfa-user',
    now: new Date('2026-11-22T10:00:00Z'),
  });
}

export function handle(stack: Stack, number: string): WorkflowHandle<typeof proFormaWorkflow> {
  return stack.client.workflow.getHandle<typeof proFormaWorkflow>(proFormaWorkflowId(number));
}

/** A reading of an invoice that matches its pro forma in every field (what a good Factur-X gives). */
export function perfectReading(
  number: string,
  totalCents: number,
  scenario: Scenario,
  overrides: Partial<ExtractionResult['fields']> = {},
  engine: ExtractionResult['engine'] = 'FACTURX',
): ExtractionResult {
  const fields = {
    invoiceNumber: `FA-${crypto.randomBytes(3).toString('hex')}`,
    proFormaNumber: number,
    totalCents,
    issueDate: '2026-11-20',
    siret: scenario.cfa.siret,
    siren: scenario.cfa.siret.slice(0, 9),
    vatId: null,
    iban: TEST_IBAN,
    currency: 'EUR',
    ...overrides,
  };
  const confidences = Object.fromEntries(
    Object.keys(fields).map((k) => [k, 1]),
  ) as ExtractionResult['fieldConfidences'];
  return { engine, fields, fieldConfidences: confidences, confidence: 1, pageCount: 1, durationMs: 5 };
}

export function randomSha(): string {
  return crypto.randomBytes(32).toString('hex');
}

export async function deposit(
  stack: Stack,
  number: string,
  sha256 = randomSha(),
  requestId: string = crypto.randomUUID(),
) {
  return handle(stack, number).executeUpdate(depositInvoiceUpdate, {
    args: [
      {
        requestId,
        actor: CFA_USER,
        document: { sha256, fileName: 'facture.pdf', mimeType: 'application/pdf', size: 2048 },
      },
    ],
    updateId: requestId,
  });
}

/** Queries until the view satisfies `done` (workflows move on their own between human steps). */
export async function waitFor(
  stack: Stack,
  number: string,
  done: (view: ProFormaView) => boolean,
  timeoutMs = 30_000,
): Promise<ProFormaView> {
  const deadline = Date.now() + timeoutMs;
  let last: ProFormaView | undefined;
  while (Date.now() < deadline) {
    last = await handle(stack, number)
      .query(getProFormaQuery)
      .catch((error: unknown) => {
        // The server refuses a query while it has seen no poller lately (a worker busy or restarting): ask again.
        if (String((error as { cause?: unknown }).cause ?? error).includes('no poller seen')) return last;
        throw error;
      });
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out; last state: ${JSON.stringify({ status: last?.status, stage: last?.stage })}`);
}
