import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { createDb } from '../db/connect';
import { ensureAdminFromToken } from '../db/demo-data';
import { migrateToLatest } from '../db/migrate';
import { loadConfig } from '../infra/config';
import { invoicePdf } from '../support/invoice-pdf';
import { sampleTreeRss, type TreeMemory } from '../support/rss';
import { proFormaWorkflowId } from '../workflows/pro-forma.messages';
import { freePort } from '../support/ports';
import { startScript, waitFor, type Subprocess } from './lives-stack';

/**
 * The real half of bench/lives.ts: the service's worker (both task queues, with its reader processes) and API as
 * subprocesses on the bench's dev server and database, and N whole lives driven through the HTTP API only: a
 * trusted CFA's pro forma generated, its own text-layer invoice PDF deposited, read, controlled, auto-validated, its
 * payment confirmed by an admin, until PAID.
 */

export const CFA_SIRET = '73282932000074';
export const CFA_IBAN = 'FR7630006000011234567890189';

export interface RealStack {
  apiUrl: string;
  worker: Subprocess;
  api: Subprocess;
  tokens: { admin: string; cfa: string };
  /** One installment per life, its amount. */
  installments: { id: string; amountCents: number }[];
  stop(): Promise<void>;
}

export interface LifeResult {
  number: string;
  totalCents: number;
  /** Deposit request sent → validatedAt stamped by the service (same clock). */
  depositToValidatedMs: number;
  lifeMs: number;
}

async function api<T>(
  apiUrl: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
  expected = [200, 201],
): Promise<T> {
  const res = await fetch(`${apiUrl}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Seeded amounts: the same N lives on every run. */
export function amounts(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => 100_000 + Math.floor(next() * 900_000));
}

export async function startRealStack(options: {
  temporalAddress: string;
  databaseUrl: string;
  dataDir: string;
  lives: number;
  seed: number;
}): Promise<RealStack> {
  const adminToken = crypto.randomBytes(32).toString('base64url');
  const config = loadConfig({ DATABASE_URL: options.databaseUrl, DEMO_DATA: 'false' });
  const db = await createDb(config.database);
  try {
    await migrateToLatest(db.db);
    await ensureAdminFromToken(db.db, adminToken);
  } finally {
    await db.destroy();
  }
  const port = await freePort();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: options.temporalAddress,
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: options.dataDir,
    STORAGE_DIR: path.join(options.dataDir, 'documents'),
    OUTBOX_DIR: path.join(options.dataDir, 'outbox'),
    DEMO_DATA: 'false',
    // Every life is a trusted CFA's automatic validation: none sampled for a human.
    SAMPLING_RATE: '0',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    PORT: String(port),
    // The bench deposits N invoices with one CFA token within a minute or two.
    UPLOAD_RATE_LIMIT: '100000',
    TEMPORAL_CALL_TIMEOUT: '60s',
  };
  const worker = startScript('bin/worker.ts', env);
  const apiProcess = startScript('bin/api.ts', env);
  const apiUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the API', apiProcess, async () => (await fetch(`${apiUrl}/ready`)).status === 200);
    const admin = adminToken;
    const cfa = await api<{ id: string }>(apiUrl, admin, 'POST', '/api/admin/cfas', {
      siret: CFA_SIRET,
      name: 'CFA du banc',
      email: 'cfa-banc@bench.example',
      iban: CFA_IBAN,
      trusted: true,
    });
    await api(apiUrl, admin, 'POST', `/api/admin/cfas/${cfa.id}/mandates`, { validFrom: '2020-01-01' });
    const user = await api<{ token: string }>(apiUrl, admin, 'POST', '/api/admin/users', {
      role: 'cfa',
      name: 'Utilisateur du banc',
      email: 'user-banc@bench.example',
      cfaId: cfa.id,
    });
    // One contract per 100 lives, one installment per life (distinct periods: a week each, from 2020 on).
    const all = amounts(options.lives, options.seed);
    const installments: RealStack['installments'] = [];
    for (let first = 0, c = 0; first < all.length; first += 100, c += 1) {
      const slice = all.slice(first, first + 100);
      const day = (i: number, plus: number) =>
        new Date(Date.UTC(2020, 0, 1) + ((first + i) * 7 + plus) * 86_400_000).toISOString().slice(0, 10);
      const contract = await api<{ installments: { id: string; amountCents: number }[] }>(
        apiUrl,
        admin,
        'POST',
        '/api/admin/contracts',
        {
          cfaId: cfa.id,
          number: `DECA-BENCH-${c}`,
          label: 'BTS du banc',
          apprenticeName: 'Camille Banc',
          employerName: 'Employeur du banc',
          employerSiret: CFA_SIRET,
          startDate: '2019-09-01',
          endDate: '2026-08-31',
          status: 'ENGAGE',
          installments: slice.map((amountCents, i) => ({
            nature: 'PEDAGOGIE',
            periodStart: day(i, 0),
            periodEnd: day(i, 6),
            amountCents,
          })),
        },
      );
      installments.push(...contract.installments.map(({ id, amountCents }) => ({ id, amountCents })));
    }
    return {
      apiUrl,
      worker,
      api: apiProcess,
      tokens: { admin, cfa: user.token },
      installments,
      stop: async () => {
        await apiProcess.stop();
        await worker.stop();
      },
    };
  } catch (error) {
    await apiProcess.stop(5_000);
    await worker.stop(5_000);
    throw error;
  }
}

/** The worker's task queues have pollers: it is ready. */
export async function waitForPollers(client: Client, proc: Subprocess, queues: string[]): Promise<void> {
  await waitFor('the worker', proc, async () => {
    for (const name of queues) {
      for (const taskQueueType of [1, 2]) {
        // The main queue has workflow (1) and activity (2) pollers; an activity-only queue has no workflow poller.
        const res = await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name },
          taskQueueType,
        });
        if (taskQueueType === 2 && res.pollers.length === 0) return false;
      }
    }
    return true;
  });
}

interface Detail {
  status: string;
  stage: string | null;
  validatedAt: string | null;
  controls?: { code: string; passed: boolean }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One whole life through the API. */
export async function realLife(
  stack: RealStack,
  installment: { id: string; amountCents: number },
  _index: number,
  pollMs: number,
): Promise<LifeResult> {
  const started = performance.now();
  const { apiUrl, tokens } = stack;
  const generated = await api<{ proFormas: { number: string; totalCents: number }[] }>(
    apiUrl,
    tokens.cfa,
    'POST',
    '/api/pro-formas',
    { nature: 'PEDAGOGIE', installmentIds: [installment.id] },
    [201],
  );
  const proForma = generated.proFormas[0] as { number: string; totalCents: number };
  const pdf = invoicePdf({
    proFormaNumber: proForma.number,
    invoiceNumber: `FA-${proForma.number}`,
    totalCents: proForma.totalCents,
    siret: CFA_SIRET,
    iban: CFA_IBAN,
  });
  const form = new FormData();
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'facture.pdf');
  const depositedAt = Date.now();
  const res = await fetch(`${apiUrl}/api/pro-formas/${proForma.number}/invoice`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tokens.cfa}` },
    body: form,
  });
  if (res.status !== 202) throw new Error(`deposit ${proForma.number}: ${res.status} ${await res.text()}`);
  let detail: Detail;
  for (;;) {
    await sleep(pollMs);
    detail = await api<Detail>(apiUrl, tokens.cfa, 'GET', `/api/pro-formas/${proForma.number}`);
    if (detail.status === 'VALIDATED' && detail.stage === 'AWAITING_PAYMENT') break;
    if (detail.status !== 'UNDER_VALIDATION' && detail.status !== 'VALIDATED') {
      const failed = (detail.controls ?? []).filter((c) => !c.passed).map((c) => c.code);
      throw new Error(
        `${proForma.number} ended ${detail.status}/${detail.stage}, not VALIDATED (${failed.join(', ')})`,
      );
    }
    if (detail.stage === 'AWAITING_DECISION') throw new Error(`${proForma.number} awaits a human decision`);
  }
  const paid = await api<Detail>(
    apiUrl,
    tokens.admin,
    'POST',
    `/api/pro-formas/${proForma.number}/payment-confirmation`,
    { reference: `VIR-${proForma.number}` },
  );
  if (paid.status !== 'PAID') {
    for (;;) {
      await sleep(pollMs);
      const now = await api<Detail>(apiUrl, tokens.admin, 'GET', `/api/pro-formas/${proForma.number}`);
      if (now.status === 'PAID') break;
    }
  }
  return {
    number: proForma.number,
    totalCents: proForma.totalCents,
    depositToValidatedMs: Date.parse(detail.validatedAt as string) - depositedAt,
    lifeMs: performance.now() - started,
  };
}

export interface RealRun {
  lives: LifeResult[];
  wallMs: number;
  workerMemory: TreeMemory;
  apiMemory: TreeMemory;
}

/** N lives, `concurrency` at a time; the wall time ends when every pro forma workflow has closed. */
export async function runRealLives(
  stack: RealStack,
  client: Client,
  concurrency: number,
  pollMs: number,
): Promise<RealRun> {
  const workerRss = sampleTreeRss(stack.worker.pid);
  const apiRss = sampleTreeRss(stack.api.pid);
  const started = performance.now();
  const lives = await pool(stack.installments, concurrency, (installment, i) =>
    realLife(stack, installment, i, pollMs),
  );
  await Promise.all(lives.map((life) => client.workflow.getHandle(proFormaWorkflowId(life.number)).result()));
  const wallMs = performance.now() - started;
  return { lives, wallMs, workerMemory: workerRss.stop(), apiMemory: apiRss.stop() };
}

/** Runs `task` over `items`, `concurrency` at a time, keeping the order of the results. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
  return results;
}
