import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { sql } from 'kysely';
import pg from 'pg';
import type { ExtractionResult } from '../../extraction/types';
import type { ProFormaStatus } from '../../domain/process';
import type { proFormaWorkflow } from '../../workflows/pro-forma';
import {
  confirmPaymentUpdate,
  decideUpdate,
  depositInvoiceUpdate,
  getProFormaQuery,
  type ProFormaView,
} from '../../workflows/pro-forma.messages';
import { TEST_PG_URL } from './database';
import {
  ADMIN,
  CFA_USER,
  VALIDATOR,
  generate,
  handle,
  perfectReading,
  randomSha,
  seedCfa,
  workflowBundle,
  type Stack,
} from './stack';

/*
 * Fault tests (test/faults/): many pro forma lives run while a fault strikes (a worker killed, PostgreSQL connections
 * cut, Temporal killed), then every life must end where its plan says, each effect recorded exactly once. Every wait
 * here has a deadline: a stuck workflow fails the test with the lives still open, it never hangs the suite.
 */

const ROOT = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- A stack whose main worker may live in another process -------------------------------------------------------

// ---- The main worker, in a process of its own -------------------------------------------------------------------

export interface WorkerProcess {
  pid: number;
  /** Resolves once the worker polls its queue. */
  ready: Promise<void>;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
  /** The last lines it printed (for a failure message). */
  output(): string;
  /** False once the process has exited, whatever the reason. */
  alive(): boolean;
  /** SIGKILL, as a crashed machine; resolves once it is gone. */
  kill(): Promise<void>;
}

let bundleFile: Promise<string> | undefined;
/** The workflow bundle as a file that worker processes load: the run's (global setup), else this test file's. */
function workflowBundleFile(): Promise<string> {
  const shared = process.env.TEST_WORKFLOW_BUNDLE;
  if (shared) return Promise.resolve(shared);
  bundleFile ??= workflowBundle().then(({ code }) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fault-bundle-')), 'workflows.js');
    fs.writeFileSync(file, code);
    return file;
  });
  return bundleFile;
}

/** Removes the bundle file (afterAll). */
export async function removeWorkflowBundleFile(): Promise<void> {
  if (!bundleFile) return;
  const file = await bundleFile.catch(() => undefined);
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  bundleFile = undefined;
}

/**
 * test/helpers/fault-worker.ts (the pro-formas queue's worker: workflows and the main activities) on the stack's
 * task queue, database and outbox, in a process of its own.
 */
export async function spawnMainWorker(stack: Stack, readyTimeoutMs = 90_000): Promise<WorkerProcess> {
  const { config } = stack.deps;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, 'fault-worker.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: stack.env.connection.options.address,
        DATABASE_URL: stack.database.url,
        TASK_QUEUE: config.temporal.taskQueue,
        OUTBOX_DIR: stack.outboxDir,
        WORKFLOW_BUNDLE: await workflowBundleFile(),
      },
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');
  const tail: string[] = [];
  let onBanner: (() => void) | undefined;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      tail.push(line.slice(0, 500));
      if (tail.length > 30) tail.shift();
      if (line === 'READY') onBanner?.();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
  });
  const output = () => tail.join('\n');
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready after ${readyTimeoutMs} ms:\n${output()}`)),
      readyTimeoutMs,
    );
    onBanner = () => {
      clearTimeout(timer);
      resolve();
    };
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${how}) before it was ready:\n${output()}`));
    });
  });
  // Whoever awaits `ready` sees its failure; an unawaited one must not crash the run.
  ready.catch(() => undefined);
  return {
    pid,
    ready,
    exited,
    output,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await withDeadline(exited, 10_000, `worker process ${pid} to die`);
    },
  };
}

/** Milestones of a fault test, printed when FAULTS_TRACE is set (to tune the deadlines). */
export function timeline(name: string) {
  const t0 = Date.now();
  const marks: string[] = [];
  return {
    mark(what: string) {
      marks.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    },
    print() {
      if (process.env.FAULTS_TRACE) process.stderr.write(`[${name}]\n  ${marks.join('\n  ')}\n`);
    },
  };
}

// ---- Deadlines and retries ---------------------------------------------------------------------------------------

export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  // The losing promise may still reject later: nobody awaits it any more.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `fn` until it succeeds or `deadline` (epoch ms) passes: a fault makes calls fail or hang for a while (no
 * worker to take an Update, Temporal restarting). An attempt that hangs is abandoned after 20 s, its Temporal calls
 * cancelled. A refused Update is an answer, not a fault: it is thrown at once.
 */
export async function retrying<T>(stack: Stack, what: string, deadline: number, fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  while (Date.now() < deadline) {
    const abort = new AbortController();
    try {
      const attempt = stack.client.withAbortSignal(abort.signal, fn);
      return await withDeadline(attempt, Math.max(1, Math.min(deadline - Date.now(), 20_000)), what);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw error;
      last = error;
      await sleep(300);
    } finally {
      abort.abort();
    }
  }
  throw new Error(`${what}: gave up at the deadline; last error: ${String(last)}`);
}

// ---- Lives -------------------------------------------------------------------------------------------------------

/**
 * AUTO: trusted CFA, perfect reading → auto-validation → payment order → confirmed → PAID (workflow completes).
 * APPROVE: untrusted CFA → AWAITING_DECISION → approved → payment order → confirmed → PAID.
 * REFUSE: untrusted CFA → AWAITING_DECISION → refused by a validator → REFUSED (the workflow awaits a correction).
 */
export type Plan = 'AUTO' | 'APPROVE' | 'REFUSE';

export interface Life {
  plan: Plan;
  number: string;
  totalCents: number;
  sha256: string;
  reading: ExtractionResult;
  /** Request ids, fixed per life: a retried Update is the same request. */
  requests: { deposit: string; decide: string; confirm: string };
}

/** What each plan must leave in the read model, per pro forma, exactly. */
export const EXPECTED: Record<
  Plan,
  {
    status: ProFormaStatus;
    audit: string[];
    decisions: string[];
    payments: number;
    notifications: string[];
    /** The workflow completes (PAID) or keeps waiting (REFUSED awaits a correction). */
    completes: boolean;
  }
> = {
  AUTO: {
    status: 'PAID',
    audit: ['GENERATE', 'DEPOSIT', 'CONTROL', 'AUTO_VALIDATE', 'CONFIRM_PAYMENT'],
    decisions: ['AUTOMATIC:APPROVE'],
    payments: 1,
    notifications: ['DEPOSIT_RECEIVED', 'VALIDATED', 'PAID'],
    completes: true,
  },
  APPROVE: {
    status: 'PAID',
    audit: ['GENERATE', 'DEPOSIT', 'CONTROL', 'AWAIT_DECISION', 'APPROVE', 'CONFIRM_PAYMENT'],
    decisions: ['MANUAL:APPROVE'],
    payments: 1,
    notifications: ['DEPOSIT_RECEIVED', 'VALIDATED', 'PAID'],
    completes: true,
  },
  REFUSE: {
    status: 'REFUSED',
    audit: ['GENERATE', 'DEPOSIT', 'CONTROL', 'AWAIT_DECISION', 'REFUSE'],
    decisions: ['MANUAL:REFUSE'],
    payments: 0,
    notifications: ['DEPOSIT_RECEIVED', 'REFUSED'],
    completes: false,
  },
};

/** `count` plans, mixed: 60 % AUTO, 30 % APPROVE, 10 % REFUSE (one of each from 3 lives on). */
export function mixedPlans(count: number): Plan[] {
  const cycle: Plan[] = ['AUTO', 'APPROVE', 'REFUSE', 'AUTO', 'AUTO', 'APPROVE', 'AUTO', 'AUTO', 'APPROVE', 'AUTO'];
  return Array.from({ length: count }, (_, i) => cycle[i % cycle.length] as Plan);
}

/** One CFA per life (trusted for AUTO), one pro forma each, generated (its workflow started) here. */
export async function prepareLives(stack: Stack, plans: readonly Plan[]): Promise<Life[]> {
  const prepare = async (plan: Plan, i: number): Promise<Life> => {
    const scenario = await seedCfa(stack, [100_000 + 100 * i], { trusted: plan === 'AUTO' });
    const [proForma] = await generate(stack, scenario);
    if (!proForma) throw new Error('no pro forma generated');
    return {
      plan,
      number: proForma.number,
      totalCents: proForma.totalCents,
      sha256: randomSha(),
      reading: perfectReading(proForma.number, proForma.totalCents, scenario),
      requests: { deposit: crypto.randomUUID(), decide: crypto.randomUUID(), confirm: crypto.randomUUID() },
    };
  };
  const lives: Life[] = [];
  // A few at a time (the pool has 5 connections); in plan order, so numbers follow the plans.
  for (let i = 0; i < plans.length; i += 5) {
    lives.push(...(await Promise.all(plans.slice(i, i + 5).map((plan, j) => prepare(plan, i + j)))));
  }
  const readings = new Map(lives.map((l) => [l.sha256, l.reading]));
  stack.extract.mockImplementation(async ({ sha256 }) => {
    const reading = readings.get(sha256);
    if (!reading) throw new Error(`no reading for ${sha256}`);
    return reading;
  });
  return lives;
}

interface Row {
  status: ProFormaStatus;
  stage: string | null;
  transitions: number;
}

/**
 * One query for every life, a few times a second (never one query per life): the lives wait on this snapshot. The
 * read model is polled rather than the workflows queried, since a query needs a worker and the fault may have
 * killed it. A failed poll (connections cut) is retried at the next tick.
 */
export class Progress {
  private rows = new Map<string, Row>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  readonly pollErrors: unknown[] = [];

  constructor(
    private readonly stack: Stack,
    private readonly lives: readonly Life[],
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.stack.database.db
        .selectFrom('pro_formas as p')
        .select(['p.number', 'p.status', 'p.stage'])
        .select((eb) =>
          eb
            .selectFrom('audit_events as a')
            .whereRef('a.pro_forma_id', '=', 'p.id')
            .where('a.action', '!=', 'GENERATE')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('transitions'),
        )
        .where(
          'p.number',
          'in',
          this.lives.map((l) => l.number),
        )
        .execute();
      for (const r of rows)
        this.rows.set(r.number, { status: r.status, stage: r.stage, transitions: Number(r.transitions) });
    } catch (error) {
      this.pollErrors.push(error);
    } finally {
      this.polling = false;
    }
  }

  row(number: string): Row | undefined {
    return this.rows.get(number);
  }

  /** Transitions recorded so far over the transitions all lives will record (0..1). */
  fraction(): number {
    const expected = this.lives.reduce((n, l) => n + EXPECTED[l.plan].audit.length - 1, 0);
    const done = this.lives.reduce((n, l) => n + (this.rows.get(l.number)?.transitions ?? 0), 0);
    return done / expected;
  }

  /** Lives that have not recorded their last transition yet. */
  unfinished(): number {
    return this.lives.filter((l) => (this.rows.get(l.number)?.transitions ?? 0) < EXPECTED[l.plan].audit.length - 1)
      .length;
  }

  async until(what: string, deadline: number, done: () => boolean): Promise<void> {
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }
}

/**
 * Drives every life at once, as users would: deposit, then (per plan) decide when the decision is awaited, confirm
 * the payment once validated, and for a PAID life await the workflow's result. Each Update is retried with its
 * request id through the fault. Resolves with the final view of each workflow, or rejects naming the lives
 * that did not finish by the deadline.
 */
export async function runLives(
  stack: Stack,
  lives: readonly Life[],
  progress: Progress,
  deadline: number,
): Promise<Map<string, ProFormaView>> {
  const finals = new Map<string, ProFormaView>();
  const live = async (life: Life): Promise<void> => {
    const h: WorkflowHandle<typeof proFormaWorkflow> = handle(stack, life.number);
    const row = () => progress.row(life.number);
    const { deposit, decide, confirm } = life.requests;
    await retrying(stack, `deposit on ${life.number}`, deadline, () =>
      h.executeUpdate(depositInvoiceUpdate, {
        args: [
          {
            requestId: deposit,
            actor: CFA_USER,
            document: { sha256: life.sha256, fileName: 'facture.pdf', mimeType: 'application/pdf', size: 2048 },
          },
        ],
        updateId: deposit,
      }),
    );
    if (life.plan !== 'AUTO') {
      await progress.until(`${life.number} awaiting a decision`, deadline, () => row()?.stage === 'AWAITING_DECISION');
      const decision = life.plan === 'APPROVE' ? 'APPROVE' : 'REFUSE';
      const reasonCode = life.plan === 'REFUSE' ? 'AMOUNT_MISMATCH' : undefined;
      await retrying(stack, `decision on ${life.number}`, deadline, () =>
        h.executeUpdate(decideUpdate, {
          args: [{ requestId: decide, actor: VALIDATOR, decision, reasonCode }],
          updateId: decide,
        }),
      );
    }
    if (life.plan === 'REFUSE') {
      await progress.until(`${life.number} refused`, deadline, () => row()?.status === 'REFUSED');
      finals.set(
        life.number,
        await retrying(stack, `query of ${life.number}`, deadline, () => h.query(getProFormaQuery)),
      );
      return;
    }
    await progress.until(`${life.number} validated`, deadline, () => row()?.status === 'VALIDATED');
    await retrying(stack, `payment confirmation on ${life.number}`, deadline, () =>
      h.executeUpdate(confirmPaymentUpdate, {
        args: [{ requestId: confirm, actor: ADMIN, reference: `VIR-${life.number}` }],
        updateId: confirm,
      }),
    );
    finals.set(life.number, await retrying(stack, `result of ${life.number}`, deadline, () => h.result()));
  };
  const outcomes = await Promise.allSettled(lives.map(live));
  const failed = outcomes.flatMap((o, i) =>
    o.status === 'rejected' ? [`${lives[i]?.number} (${lives[i]?.plan}): ${String(o.reason)}`] : [],
  );
  if (failed.length > 0) throw new Error(`${failed.length} lives did not finish:\n${failed.join('\n')}`);
  return finals;
}

// ---- Invariants --------------------------------------------------------------------------------------------------

/** Rows of a GROUP BY … HAVING count(*) > 1 over one of the effect tables: each must be empty. */
export async function duplicates(stack: Stack): Promise<Record<string, unknown[]>> {
  const db = stack.database.db;
  const q = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(db)).rows;
  return {
    notifications: await q(
      `select pro_forma_id, template, recipient, count(*)::int as n from notifications
       group by pro_forma_id, template, recipient having count(*) > 1`,
    ),
    payments: await q(
      `select pro_forma_id, count(*)::int as n from payments group by pro_forma_id having count(*) > 1`,
    ),
    decisions: await q(
      `select pro_forma_id, document_id, decision, count(*)::int as n from decisions
       group by pro_forma_id, document_id, decision having count(*) > 1`,
    ),
    audit_events: await q(
      `select pro_forma_id, action, from_status, to_status, count(*)::int as n from audit_events
       group by pro_forma_id, action, from_status, to_status having count(*) > 1`,
    ),
    documents: await q(
      `select pro_forma_id, version, count(*)::int as n from documents group by pro_forma_id, version having count(*) > 1`,
    ),
    control_results: await q(
      `select document_id, code, count(*)::int as n from control_results group by document_id, code having count(*) > 1`,
    ),
  };
}

export interface LifeRecord {
  status: string;
  audit: string[];
  decisions: string[];
  payments: string[];
  notifications: string[];
  documents: number;
}

/** What the read model holds for each life (sorted lists, comparable to EXPECTED). */
export async function recordsOf(stack: Stack, lives: readonly Life[]): Promise<Map<string, LifeRecord>> {
  const db = stack.database.db;
  const numbers = lives.map((l) => l.number);
  const ids = await db
    .selectFrom('pro_formas')
    .select(['id', 'number', 'status'])
    .where('number', 'in', numbers)
    .execute();
  const records = new Map<string, LifeRecord>();
  const byId = new Map<string, LifeRecord>();
  for (const { id, number, status } of ids) {
    const record: LifeRecord = { status, audit: [], decisions: [], payments: [], notifications: [], documents: 0 };
    records.set(number, record);
    byId.set(id, record);
  }
  const idList = [...byId.keys()];
  const at = (id: string | null) => {
    const record = id === null ? undefined : byId.get(id);
    if (!record) throw new Error(`a row of an unknown pro forma ${id}`);
    return record;
  };
  for (const r of await db
    .selectFrom('audit_events')
    .select(['pro_forma_id', 'action'])
    .where('pro_forma_id', 'in', idList)
    .orderBy('id')
    .execute())
    at(r.pro_forma_id).audit.push(r.action);
  for (const r of await db
    .selectFrom('decisions')
    .select(['pro_forma_id', 'origin', 'decision'])
    .where('pro_forma_id', 'in', idList)
    .execute())
    at(r.pro_forma_id).decisions.push(`${r.origin}:${r.decision}`);
  for (const r of await db
    .selectFrom('payments')
    .select(['pro_forma_id', 'status'])
    .where('pro_forma_id', 'in', idList)
    .execute())
    at(r.pro_forma_id).payments.push(r.status);
  for (const r of await db
    .selectFrom('notifications')
    .select(['pro_forma_id', 'template', 'status'])
    .where('pro_forma_id', 'in', idList)
    .orderBy('created_at')
    .execute())
    at(r.pro_forma_id).notifications.push(`${r.template}:${r.status}`);
  for (const r of await db
    .selectFrom('documents')
    .select(['pro_forma_id'])
    .where('pro_forma_id', 'in', idList)
    .execute())
    at(r.pro_forma_id).documents++;
  return records;
}

/** The record each life must leave, in the same shape as recordsOf. */
export function expectedRecord(life: Life): LifeRecord {
  const e = EXPECTED[life.plan];
  return {
    status: e.status,
    audit: e.audit,
    decisions: e.decisions,
    payments: e.payments === 1 ? ['CONFIRMED'] : [],
    notifications: e.notifications.map((t) => `${t}:SENT`),
    documents: 1,
  };
}

/**
 * Waits (to the deadline) until the e-mails of the REFUSED lives are all recorded (a PAID life's workflow only
 * completes once its e-mails are out), then asserts: no duplicate in any effect table, every life's exact record,
 * every life's final workflow state, and the totals.
 */
export async function expectEveryLifeOnce(
  stack: Stack,
  lives: readonly Life[],
  finals: Map<string, ProFormaView>,
  deadline: number,
): Promise<void> {
  const expectedNotifications = lives.reduce((n, l) => n + EXPECTED[l.plan].notifications.length, 0);
  for (;;) {
    const { n } = await stack.database.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'SENT')
      .executeTakeFirstOrThrow();
    if (Number(n) >= expectedNotifications || Date.now() > deadline) break;
    await sleep(200);
  }
  expect(await duplicates(stack)).toEqual({
    notifications: [],
    payments: [],
    decisions: [],
    audit_events: [],
    documents: [],
    control_results: [],
  });
  const records = await recordsOf(stack, lives);
  const actual = Object.fromEntries(lives.map((l) => [l.number, records.get(l.number)]));
  const expected = Object.fromEntries(lives.map((l) => [l.number, expectedRecord(l)]));
  expect(actual).toEqual(expected);
  expect(Object.fromEntries(lives.map((l) => [l.number, finals.get(l.number)?.status]))).toEqual(
    Object.fromEntries(lives.map((l) => [l.number, EXPECTED[l.plan].status])),
  );
  // Totals over the whole database: nothing recorded for a pro forma outside the lives either.
  const totals = await sql<{ notifications: number; payments: number; decisions: number; audit: number }>`
    select (select count(*)::int from notifications) as notifications, (select count(*)::int from payments) as payments,
      (select count(*)::int from decisions) as decisions, (select count(*)::int from audit_events) as audit`.execute(
    stack.database.db,
  );
  expect(totals.rows[0]).toEqual({
    notifications: expectedNotifications,
    payments: lives.reduce((n, l) => n + EXPECTED[l.plan].payments, 0),
    decisions: lives.length,
    audit: lives.reduce((n, l) => n + EXPECTED[l.plan].audit.length, 0),
  });
  // Every e-mail recorded as sent was written to the outbox.
  const sent = await stack.database.db.selectFrom('notifications').select('location').execute();
  expect(sent.filter((s) => !s.location || !fs.existsSync(s.location))).toEqual([]);
}

// ---- PostgreSQL --------------------------------------------------------------------------------------------------

/** Terminates every connection to the stack's database (but the one asking); returns how many were cut. */
export async function terminateConnections(stack: Stack): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    const result = await client.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [stack.database.name],
    );
    return result.rows.filter((r) => r.terminated).length;
  } finally {
    await client.end();
  }
}
