import crypto from 'node:crypto';
import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import path from 'node:path';
import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { createMandate } from '../../db/admin-queries';
import { createUser } from '../../db/users';
import { BUNDLES, type Right } from '../../domain/rights';
import type { UserRoleCode } from '../../db/schema';
import { loadConfig } from '../../infra/config';
import { FileDocumentStore } from '../../infra/storage';
import { createReaderPool, type ReaderPool } from '../../extraction/readers';
import type { ExtractionResult } from '../../extraction/types';
import { generateToken, hashToken } from '../../infra/tokens';
import { TEST_IBAN, insertCfa, uniqueSiret } from './fixtures';
import { invoicePdf } from './invoices';
import { perfectReading, startStack, type Stack, type StackOptions } from './stack';

/** "Today" of the API tests: every seeded installment (2026, January to September) has started. */
export const API_NOW = new Date('2026-11-22T10:00:00Z');

export interface TestUser {
  id: string;
  role: UserRoleCode;
  cfaId: string | null;
  token: string;
}

export interface TestCfa {
  id: string;
  siret: string;
  iban: string;
  name: string;
}

export interface ApiStack {
  stack: Stack;
  deps: ApiDeps;
  app: Express;
  /** Another app on the same stack, with more configuration (a task queue nobody polls, a low rate limit). */
  appWith(env: Record<string, string>): Express;
  store: FileDocumentStore;
  storeDir: string;
  /** A CFA with a billing mandate since 2020, and one without any. */
  cfa: TestCfa;
  otherCfa: TestCfa;
  users: { admin: TestUser; validator: TestUser; cfa: TestUser; otherCfa: TestUser };
  /** supertest on the app, with the token of `as` (none: no Authorization header). */
  http(as?: TestUser): { agent: request.Agent; auth: Record<string, string> };
  /** A user of `role` with its role's rights (or `rights`), acting for `cfaId` (or `cfaIds`). */
  createUser(
    role: UserRoleCode,
    cfaId?: string | null,
    options?: { rights?: readonly Right[]; cfaIds?: readonly string[]; tokenExpiresAt?: Date | null },
  ): Promise<TestUser>;
  teardown(): Promise<void>;
}

export interface ApiStackOptions extends StackOptions {
  /** The payment runs' Schedule the API manages (a test's own). */
  paymentRunScheduleId?: string;
  logger?: Logger;
  /** The API's reader processes (workbook imports); closed at teardown. */
  readers?: ReaderPool;
}

/** The real stack (PostgreSQL, Temporal dev server, workers) behind the real Express app, with users of each role. */
export async function startApiStack(options: ApiStackOptions = {}): Promise<ApiStack> {
  const stack = await startStack(options);
  const { store, storeDir } = stack;
  const configWith = (env: Record<string, string> = {}) =>
    loadConfig({
      TASK_QUEUE: stack.deps.config.temporal.taskQueue,
      OCR_TASK_QUEUE: stack.deps.config.temporal.ocrTaskQueue,
      TEMPORAL_CALL_TIMEOUT: '10s',
      SAMPLING_RATE: '0',
      ...options.env,
      ...env,
    });
  const config = configWith();
  const db = stack.database.db;
  // Started at the first workbook import only.
  const readers = options.readers ?? createReaderPool({ size: 1, deadlineMs: 30_000, memoryLimitMb: 1024 });
  const deps: ApiDeps = {
    db,
    temporal: stack.client,
    store,
    readers,
    config,
    logger: options.logger ?? pino({ level: 'silent' }),
    workflowOverrides: stack.deps.workflowOverrides,
    now: () => API_NOW,
    paymentRunScheduleId: options.paymentRunScheduleId,
    checkResponses: true,
  };
  const appWith = (env: Record<string, string>) =>
    createApp({ logger: deps.logger, readiness: {}, api: { ...deps, config: configWith(env) } });
  const app = createApp({ logger: deps.logger, readiness: { database: async () => true }, api: deps });

  const newCfa = async (withMandate: boolean): Promise<TestCfa> => {
    const row = await insertCfa(db, { siret: uniqueSiret(), iban: TEST_IBAN });
    if (withMandate) await createMandate(db, { cfaId: row.id, validFrom: '2020-01-01', validTo: null });
    return { id: row.id, siret: row.siret, iban: row.iban, name: row.name };
  };
  const cfa = await newCfa(true);
  const otherCfa = await newCfa(true);

  const makeUser: ApiStack['createUser'] = async (role, cfaId = null, options = {}) => {
    const token = generateToken();
    const cfaIds = options.cfaIds ?? (cfaId === null ? [] : [cfaId]);
    const user = await createUser(db, {
      role,
      name: `${role} ${crypto.randomBytes(3).toString('hex')}`,
      email: `${role}-${crypto.randomBytes(4).toString('hex')}@test.example`,
      cfaIds,
      rights: options.rights ?? BUNDLES[role],
      tokenHash: hashToken(token),
      tokenExpiresAt: options.tokenExpiresAt ?? null,
    });
    return { id: user.id, role, cfaId: cfaIds[0] ?? null, token };
  };
  const users = {
    admin: await makeUser('admin'),
    validator: await makeUser('validator'),
    cfa: await makeUser('cfa', cfa.id),
    otherCfa: await makeUser('cfa', otherCfa.id),
  };

  return {
    stack,
    deps,
    app,
    appWith,
    store,
    storeDir,
    cfa,
    otherCfa,
    users,
    http: (as) => ({
      agent: request.agent(app),
      auth: as ? { Authorization: `Bearer ${as.token}` } : ({} as Record<string, string>),
    }),
    createUser: makeUser,
    teardown: async () => {
      await readers.close();
      await stack.teardown();
    },
  };
}

/** A contract of `cfaId` with one PEDAGOGIE installment per amount, periods from January 2026 on. */
export async function seedInstallments(
  api: ApiStack,
  cfaId: string,
  amounts: readonly number[],
  contract: Partial<{ number: string; apprenticeName: string; status: 'ENGAGE' | 'RUPTURE' }> = {},
): Promise<{ contractNumber: string; installmentIds: string[] }> {
  const db = api.stack.database.db;
  const number = contract.number ?? `DECA-${crypto.randomBytes(5).toString('hex')}`;
  const row = await db
    .insertInto('contracts')
    .values({
      cfa_id: cfaId,
      number,
      label: 'BTS Management commercial opérationnel',
      apprentice_name: contract.apprenticeName ?? 'Léa Martin',
      employer_name: 'Boulangerie du Centre',
      employer_siret: '73282932000074',
      start_date: '2025-09-01',
      end_date: '2027-08-31',
      status: contract.status ?? 'ENGAGE',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const installmentIds: string[] = [];
  for (const [i, amountCents] of amounts.entries()) {
    const month = String((i % 9) + 1).padStart(2, '0');
    const inserted = await db
      .insertInto('installments')
      .values({
        contract_id: row.id,
        nature: 'PEDAGOGIE',
        period_start: `2026-${month}-01`,
        period_end: `2026-${month}-28`,
        amount_cents: amountCents,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    installmentIds.push(inserted.id);
  }
  return { contractNumber: number, installmentIds };
}

/** A pro forma of `api.cfa` generated through the API, on one new installment of `totalCents`. */
export async function generatedProForma(
  api: ApiStack,
  totalCents = 100_000 + crypto.randomInt(1, 99_999),
): Promise<{ number: string; totalCents: number }> {
  const { installmentIds } = await seedInstallments(api, api.cfa.id, [totalCents]);
  const res = await request(api.app)
    .post('/api/pro-formas')
    .set('Authorization', `Bearer ${api.users.cfa.token}`)
    .send({ nature: 'PEDAGOGIE', installmentIds });
  if (res.status !== 201) throw new Error(`generation: ${res.status} ${JSON.stringify(res.body)}`);
  return { number: res.body.proFormas[0].number as string, totalCents };
}

/**
 * Makes the stack's stubbed reading answer, per deposited file, what `readings` holds for its SHA-256 (a file without
 * one fails its reading, as a test that forgot it should).
 */
export function programReadings(api: ApiStack): Map<string, ExtractionResult> {
  const readings = new Map<string, ExtractionResult>();
  api.stack.extract.mockImplementation(async (input) => {
    const reading = readings.get(input.sha256);
    if (!reading) throw new Error(`no reading programmed for ${input.sha256}`);
    return reading;
  });
  return readings;
}

/** An invoice PDF that matches the pro forma in every field, with the reading that says so programmed. */
export function matchingInvoice(
  api: ApiStack,
  readings: Map<string, ExtractionResult>,
  proForma: { number: string; totalCents: number },
): { pdf: Buffer; sha256: string } {
  const invoiceNumber = `FA-${crypto.randomBytes(4).toString('hex')}`;
  const pdf = invoicePdf({
    proFormaNumber: proForma.number,
    invoiceNumber,
    totalCents: proForma.totalCents,
    siret: api.cfa.siret,
    iban: TEST_IBAN,
  });
  const sha256 = crypto.createHash('sha256').update(pdf).digest('hex');
  const scenario = { cfa: api.cfa, installments: [] };
  readings.set(sha256, perfectReading(proForma.number, proForma.totalCents, scenario, { invoiceNumber }));
  return { pdf, sha256 };
}

/** The decisions recorded on a pro forma, oldest first. */
export async function decisionsOf(api: ApiStack, number: string) {
  return api.stack.database.db
    .selectFrom('decisions as d')
    .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
    .select(['d.decision', 'd.reason_code', 'd.decided_by'])
    .where('p.number', '=', number)
    .orderBy('d.decided_at')
    .execute();
}

/** Polls the API until the pro forma satisfies `done` (the workflow moves on its own between human steps). */
export async function waitForProForma(
  api: ApiStack,
  as: TestUser,
  number: string,
  done: (body: { status: string; stage: string | null }) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown> & { status: string; stage: string | null }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: string; stage: string | null } | undefined;
  while (Date.now() < deadline) {
    const { agent, auth } = api.http(as);
    const res = await agent.get(`/api/pro-formas/${number}`).set(auth);
    if (res.status !== 200) throw new Error(`GET ${number}: ${res.status} ${JSON.stringify(res.body)}`);
    last = res.body as { status: string; stage: string | null };
    if (done(last)) return res.body as Record<string, unknown> & { status: string; stage: string | null };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${number}; last: ${JSON.stringify(last)}`);
}

/** Every file in the document store (to prove that a refused upload stored nothing). */
export function storedFiles(api: ApiStack): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(path.relative(api.storeDir, full));
    }
  };
  walk(api.storeDir);
  return files.sort();
}

type NodeParser = Extract<Parameters<request.Test['parse']>[0], (res: never, callback: never) => void>;

/** A supertest parser that keeps the body as bytes, whatever its type (spreadsheets, CSV, documents). */
export const binary: NodeParser = (res, done) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
  stream.on('error', (error: Error) => done(error, Buffer.alloc(0)));
};

/** The secret of the latest invitation link e-mailed to `to` (the e-mail read back from the outbox). */
export async function invitationSecret(api: ApiStack, to: string, after = new Date(0)): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const sent = await api.stack.database.db
      .selectFrom('notifications')
      .select(['location', 'created_at'])
      .where('template', '=', 'INVITATION')
      .where('recipient', '=', to)
      .where('status', '=', 'SENT')
      .where('created_at', '>', after)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (sent?.location) {
      const mail = await simpleParser(fs.readFileSync(sent.location));
      const match = /\/invitation#([A-Za-z0-9_-]{20,})/.exec(mail.text ?? '');
      if (!match) throw new Error(`no link in ${mail.text}`);
      return match[1] as string;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no invitation e-mailed to ${to}`);
}
