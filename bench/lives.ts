import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { SQLITE_WAL_PRAGMAS, type DevServer } from '../infra/temporal-dev-server';
import { sampleTreeRss, type TreeMemory } from '../support/rss';
import { bareLife, confirmPaymentUpdate, depositUpdate, phaseQuery, type BarePlan } from './bare-workflow';
import { pool, runRealLives, startRealStack, waitForPollers, type RealRun } from './lives-real';
import { addCounts, countEvents, fetchHistories, planFrom } from './lives-plan';
import { createDatabase, devServer, startScript, tempDir, type Subprocess } from './lives-stack';

/**
 * `npm run bench:lives`: whole lives of pro formas, end to end, against a bare workflow of the same shape.
 *
 * 1. N pro formas (`--lives`, default 300) live through the real service: the worker (`npm run worker`: both task
 *    queues, its reader processes) and the API (`npm run api`) as subprocesses, on a file-backed Temporal dev server
 *    started as `npm start` starts it and a PostgreSQL database of the bench's own. Each life, through the HTTP API
 *    only: generation, deposit of the life's own text-layer invoice PDF (support/invoice-pdf.ts), reading, controls,
 *    automatic validation (trusted CFA), payment confirmed by an admin, PAID. `--concurrency` lives at a time (default
 *    16); each polls its pro forma every `--poll` ms (default 200) to know when to confirm the payment; `--warmup`
 *    lives (default 4) first, not counted.
 *    Baseline, same server, same concurrency and polling: a bare workflow (bench/bare-workflow.ts) on its own worker
 *    process and task queues, with the Updates, child, signal, activities, upserts and timers counted from a real
 *    life's history, whose activities do nothing. Ratio: time per life real / baseline (goal ≤ 1.5).
 * 2. The dev server's own limit: the baseline on two fresh dev servers, with the CLI's SQLite defaults (what
 *    `npm start` ran before) and with `--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal`
 *    (SQLITE_WAL_PRAGMAS, what it runs now), `--server-lives` lives each (default 60: the defaults are slow).
 * 3. Peak RSS of the worker process tree (the worker and its reader processes), sampled every 200 ms during (1).
 *
 * Prints a table and writes bench/results/lives.json. Needs PostgreSQL (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres: a database `bench_lives` is created there, then dropped).
 */

interface Args {
  lives: number;
  concurrency: number;
  pollMs: number;
  warmup: number;
  seed: number;
  serverLives: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { lives: 300, concurrency: 16, pollMs: 200, warmup: 4, seed: 20261201, serverLives: 60 };
  const flags: Record<string, keyof Args> = {
    '--lives': 'lives',
    '--concurrency': 'concurrency',
    '--poll': 'pollMs',
    '--warmup': 'warmup',
    '--seed': 'seed',
    '--server-lives': 'serverLives',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = flags[argv[i] as string];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 0) {
      throw new Error(`usage: bench/lives.ts [${Object.keys(flags).join(' n] [')} n]; got ${argv[i]} ${argv[i + 1]}`);
    }
    args[key] = value;
  }
  if (args.lives < 1 || args.concurrency < 1 || args.serverLives < 1) {
    throw new Error('--lives, --concurrency and --server-lives must be at least 1');
  }
  return args;
}

const BARE_QUEUE = 'bench-bare';
const BARE_OCR_QUEUE = 'bench-bare-ocr';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface BareRun {
  wallMs: number;
  lives: number;
  workerMemory: TreeMemory;
  counts: Record<string, number>;
}

function startBareWorker(address: string): Subprocess {
  return startScript('bench/lives-bare-worker.ts', {
    TEMPORAL_ADDRESS: address,
    BARE_QUEUE,
    BARE_OCR_QUEUE,
  });
}

/** N bare lives, as the real ones: start, deposit Update, poll until payment is awaited, payment Update. */
async function runBareLives(
  client: Client,
  worker: Subprocess,
  plan: BarePlan,
  args: Args,
  label: string,
): Promise<BareRun> {
  await waitForPollers(client, worker, [BARE_QUEUE, BARE_OCR_QUEUE]);
  const life = async (id: string) => {
    const handle = await client.workflow.start(bareLife, { taskQueue: BARE_QUEUE, workflowId: id, args: [plan] });
    await handle.executeUpdate(depositUpdate, { args: ['facture.pdf'], updateId: `${id}-deposit` });
    for (;;) {
      await sleep(args.pollMs);
      if ((await handle.query(phaseQuery)) === 'AWAITING_PAYMENT') break;
    }
    await handle.executeUpdate(confirmPaymentUpdate, { args: ['VIR'], updateId: `${id}-payment` });
    return handle;
  };
  const warm = Array.from({ length: args.warmup }, (_, i) => `bare-${label}-warmup-${i}`);
  await Promise.all((await pool(warm, args.concurrency, life)).map((h) => h.result()));

  const rss = sampleTreeRss(worker.pid);
  const ids = Array.from({ length: args.lives }, (_, i) => `bare-${label}-${i}`);
  const started = performance.now();
  const handles = await pool(ids, args.concurrency, life);
  await Promise.all(handles.map((h) => h.result()));
  const wallMs = performance.now() - started;
  const workerMemory = rss.stop();
  const first = ids[0] as string;
  const counts = addCounts(
    countEvents(await client.workflow.getHandle(first).fetchHistory()),
    countEvents(await client.workflow.getHandle(`${first}-invoice`).fetchHistory()),
  );
  return { wallMs, lives: args.lives, workerMemory, counts };
}

/** A bare run on a fresh dev server of its own (the pragma comparison). */
async function bareOnFreshServer(dir: string, extraArgs: readonly string[], plan: BarePlan, args: Args, label: string) {
  fs.mkdirSync(dir, { recursive: true });
  const server = await devServer(path.join(dir, 'temporal.sqlite'), extraArgs);
  const connection = await Connection.connect({ address: server.address });
  const worker = startBareWorker(server.address);
  try {
    return await runBareLives(new Client({ connection }), worker, plan, args, label);
  } finally {
    await worker.stop();
    await connection.close();
    await server.stop();
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const benchStarted = performance.now();
  const dir = tempDir('bench-lives-');
  const database = await createDatabase('bench_lives');
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    // 1. Real lives, then the baseline on the same dev server, as `npm start` starts it (file-backed SQLite, WAL).
    console.log(`bench:lives: ${args.lives} lives, concurrency ${args.concurrency}, polling every ${args.pollMs} ms`);
    server = await devServer(path.join(dir, 'main', 'temporal.sqlite'), SQLITE_WAL_PRAGMAS);
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const stack = await startRealStack({
      temporalAddress: server.address,
      databaseUrl: database.url,
      dataDir: path.join(dir, 'service'),
      lives: args.warmup + args.lives,
      seed: args.seed,
    });
    cleanups.push(() => stack.stop());
    await waitForPollers(client, stack.worker, ['pro-formas', 'ocr']);
    // Warm-up lives, not counted: code loaded, reader processes and pools warm, as in a running service.
    await runRealLives(
      { ...stack, installments: stack.installments.slice(0, args.warmup) },
      client,
      args.concurrency,
      args.pollMs,
    );
    console.log('real lives…');
    const real: RealRun = await runRealLives(
      { ...stack, installments: stack.installments.slice(args.warmup) },
      client,
      args.concurrency,
      args.pollMs,
    );
    const histories = await fetchHistories(client, (real.lives[0] as { number: string }).number);
    const realCounts = addCounts(countEvents(histories.parent), countEvents(histories.child));
    const plan = planFrom(histories, { main: BARE_QUEUE, ocr: BARE_OCR_QUEUE, realOcr: 'ocr' });
    await stack.stop();
    cleanups.pop();

    console.log('baseline (bare workflow) on the same dev server…');
    const bareWorker = startBareWorker(server.address);
    cleanups.push(() => bareWorker.stop());
    const bare = await runBareLives(client, bareWorker, plan, args, 'main');
    await bareWorker.stop();
    cleanups.pop();
    await connection.close();
    connection = undefined;
    await server.stop();
    server = undefined;

    // 2. The dev server's own limit: the baseline on fresh servers, the CLI's SQLite defaults (npm start before
    // SQLITE_WAL_PRAGMAS), then WAL + synchronous=normal; fewer lives: the defaults are slow.
    const serverArgs = { ...args, lives: Math.min(args.serverLives, args.lives) };
    console.log(`baseline on a fresh dev server, the CLI's SQLite defaults (${serverArgs.lives} lives)…`);
    const bareDefault = await bareOnFreshServer(path.join(dir, 'default'), [], plan, serverArgs, 'default');
    console.log(`baseline on a fresh dev server, WAL + synchronous=normal (${serverArgs.lives} lives)…`);
    const bareWal = await bareOnFreshServer(path.join(dir, 'wal'), SQLITE_WAL_PRAGMAS, plan, serverArgs, 'wal');

    report(args, real, bare, bareDefault, bareWal, realCounts, plan, (performance.now() - benchStarted) / 1000);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  args: Args,
  real: RealRun,
  bare: BareRun,
  bareDefault: BareRun,
  bareWal: BareRun,
  realCounts: Record<string, number>,
  plan: BarePlan,
  totalSeconds: number,
): void {
  const rate = (run: { wallMs: number }, n: number) => n / (run.wallMs / 1000);
  const realRate = rate(real, real.lives.length);
  const bareRate = rate(bare, bare.lives);
  const ratio = bareRate / realRate;
  const latencies = real.lives.map((l) => l.depositToValidatedMs);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const defaultRate = rate(bareDefault, bareDefault.lives);
  const walRate = rate(bareWal, bareWal.lives);
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const types = [...new Set([...Object.keys(realCounts), ...Object.keys(bare.counts)])].sort();
  const readers = real.workerMemory.processes.filter((p) => p.pid !== (real.workerMemory.processes[0]?.pid ?? -1));

  const rows: [string, string][] = [
    [
      'lives (after warm-up)',
      `${real.lives.length} (+${args.warmup}), concurrency ${args.concurrency}, poll ${args.pollMs} ms`,
    ],
    ['real: lives per second', realRate.toFixed(2)],
    ['baseline (bare workflow, same server): lives per second', bareRate.toFixed(2)],
    ['ratio time per life real / baseline (goal ≤ 1.5)', `${ratio.toFixed(2)} ${ratio <= 1.5 ? 'met' : 'NOT met'}`],
    ['real: deposit → VALIDATED p50 / p95', `${(p50 / 1000).toFixed(2)} s / ${(p95 / 1000).toFixed(2)} s`],
    ['events per life: real (pro forma + invoice) / baseline', `${total(realCounts)} / ${total(bare.counts)}`],
    [`baseline, fresh server, CLI's SQLite defaults (${bareDefault.lives} lives): lives/s`, defaultRate.toFixed(2)],
    [`baseline, fresh server, WAL + synchronous=normal (${bareWal.lives} lives): lives/s`, walRate.toFixed(2)],
    ['ratio WAL / default (lives per second)', (walRate / defaultRate).toFixed(2)],
    ['worker tree peak RSS (worker + readers, summed at one sample)', mib(real.workerMemory.peakTreeRssBytes)],
    ['worker process VmHWM', mib(real.workerMemory.rootHwmBytes)],
    ['reader processes VmHWM (each)', readers.map((p) => `${p.name} ${mib(p.hwmBytes)}`).join(', ') || '-'],
    ['API process tree peak RSS', mib(real.apiMemory.peakTreeRssBytes)],
    ['bare worker process peak RSS', mib(bare.workerMemory.peakTreeRssBytes)],
    ['bench run time', `${totalSeconds.toFixed(0)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}`);
  console.log('\n  events by type, one life      real  baseline');
  for (const type of types) {
    console.log(
      `  ${type.padEnd(44)} ${String(realCounts[type] ?? 0).padStart(4)}  ${String(bare.counts[type] ?? 0).padStart(8)}`,
    );
  }

  const results = {
    args,
    real: {
      lives: real.lives.length,
      wallMs: real.wallMs,
      livesPerSecond: realRate,
      depositToValidatedMs: { p50, p95, max: Math.max(...latencies) },
      events: realCounts,
      workerMemory: real.workerMemory,
      apiMemory: real.apiMemory,
    },
    baseline: {
      wallMs: bare.wallMs,
      livesPerSecond: bareRate,
      events: bare.counts,
      workerMemory: bare.workerMemory,
      plan,
    },
    ratioTimePerLife: ratio,
    goalRatio: 1.5,
    devServer: {
      default: { wallMs: bareDefault.wallMs, livesPerSecond: defaultRate },
      wal: { wallMs: bareWal.wallMs, livesPerSecond: walRate, flags: SQLITE_WAL_PRAGMAS },
      ratioWalOverDefault: walRate / defaultRate,
    },
    benchSeconds: totalSeconds,
  };
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'lives.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n  written: bench/results/lives.json`);
}

// A rejection ends the process with its stack (Node's unhandled rejection), which is all a bench needs; the finally
// of main has stopped every process it started by then.
void main();
