import fs from 'node:fs/promises';
import { Client, type Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createApp } from '../api/app';
import { receiveBankFile } from '../api/bank-files';
import { watchBankFiles } from './bank-file-folder';
import { reconcileWorkflowStarts } from '../api/generation';
import { listen, type RunningServer } from '../api/server';
import { createDb, pingDb, type Db } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import { ensureAdminFromToken, seedDemoData } from '../db/demo-data';
import { type Config, temporalAddress } from '../infra/config';
import { createOcrPool, type OcrPool } from '../infra/ocr-pool';
import { createReaderPool, type ReaderPool } from '../extraction/readers';
import { FileDocumentStore } from '../infra/storage';
import { connectClient, connectWorker, registerSearchAttributes, temporalReachable } from '../infra/temporal';
import { ensureTemporalCli } from '../infra/temporal-cli';
import { SQLITE_WAL_PRAGMAS, startDevServer, type DevServer } from '../infra/temporal-dev-server';
import { PRO_FORMA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { createWorkers, type QueueName } from '../worker/workers';

export interface ServiceOptions {
  /** Which parts this process runs. `npm start` runs them all. */
  api: boolean;
  queues: readonly QueueName[];
  /**
   * `npm start` prepares what the others rely on: its own Temporal dev server (when TEMPORAL_ADDRESS is unset),
   * the migrations and the demo data. A worker-only or API-only process uses what is there.
   */
  bootstrap: boolean;
}

export interface RunningService {
  apiUrl?: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  /** Resolves when a worker stops on its own (a fatal error); the caller then stops the service. */
  workersDone: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts, in order: Temporal (its own dev server unless TEMPORAL_ADDRESS is set) with the search attributes,
 * the database with its migrations (and demo data), the workers, the API. Whatever was started is stopped in
 * reverse order, also when a later step fails.
 */
export async function startService(config: Config, logger: Logger, options: ServiceOptions): Promise<RunningService> {
  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stack.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.warn({ err: error }, `stopping ${name} failed`);
      }
    }
  };
  try {
    let devServer: DevServer | undefined;
    if (options.bootstrap && !config.temporal.address) {
      const cliPath = await ensureTemporalCli({ configuredPath: config.temporal.devServer.cliPath }, (m) =>
        logger.info(m),
      );
      const { port, uiPort, dbFile } = config.temporal.devServer;
      logger.info({ port, uiPort, dbFile }, 'starting the Temporal dev server');
      devServer = await startDevServer({
        cliPath,
        port,
        uiPort,
        dbFile,
        namespace: config.temporal.namespace,
        searchAttributes: PRO_FORMA_SEARCH_ATTRIBUTES,
        logger,
        // WAL and synchronous=normal: several times the CLI's default throughput (npm run bench:lives), durable
        // across Ctrl-C and kill -9 of the server (test/service/sqlite-pragmas.test.ts).
        extraArgs: SQLITE_WAL_PRAGMAS,
      });
      stack.push({ name: 'Temporal dev server', stop: () => (devServer as DevServer).stop() });
    }

    const client: Connection = await connectClient(config);
    stack.push({ name: 'Temporal client', stop: () => client.close() });
    const { added } = await registerSearchAttributes(client, config.temporal.namespace, PRO_FORMA_SEARCH_ATTRIBUTES);
    logger.info({ added, namespace: config.temporal.namespace }, 'search attributes registered');

    const db: Db = await createDb(config.database);
    stack.push({ name: 'database', stop: () => db.destroy() });
    if (options.bootstrap) {
      const migrations = await migrateToLatest(db.db);
      logger.info(
        { database: db.kind, applied: migrations.results?.map((r) => r.migrationName) ?? [] },
        'database migrated',
      );
      if (config.adminToken) await ensureAdminFromToken(db.db, config.adminToken);
      if (config.demoData) await seedDemoData(db.db, logger);
      else if (config.database.kind === 'postgres')
        logger.info('demo data not loaded: DATABASE_URL is set; set DEMO_DATA=true to load it');
      else logger.info('demo data not loaded: DEMO_DATA=false');
    }

    const store = new FileDocumentStore(config.storageDir);
    let workersDone: Promise<void> = new Promise(() => undefined);
    if (options.queues.length > 0) {
      let ocr: OcrPool | undefined;
      let readers: ReaderPool | undefined;
      if (options.queues.includes('ocr')) {
        ocr = await createOcrPool({ workers: config.worker.ocrConcurrency, dataDir: config.dataDir, logger });
        stack.push({ name: 'OCR pool', stop: () => (ocr as OcrPool).terminate() });
        readers = createReaderPool({ size: config.worker.ocrConcurrency, ...config.reader, logger });
        stack.push({ name: 'reader processes', stop: () => (readers as ReaderPool).close() });
        await readers.warm();
      }
      const connection: NativeConnection = await connectWorker(config);
      stack.push({ name: 'worker connection', stop: () => connection.close() });
      const workers: Worker[] = await createWorkers(
        { config, connection, db, store, ocr, readers, logger },
        options.queues,
      );
      const runs = workers.map((w) => w.run());
      workersDone = Promise.race(runs).then(
        () => undefined,
        (error: unknown) => logger.error({ err: error }, 'a worker stopped with an error'),
      );
      stack.push({
        name: 'workers',
        stop: async () => {
          // Draining: pollers stop, in-flight tasks finish within WORKER_SHUTDOWN_GRACE.
          for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
          await Promise.allSettled(runs);
        },
      });
      logger.info({ queues: workers.map((w) => w.options.taskQueue) }, 'workers running');

      if (options.queues.includes('main')) {
        // Pro formas whose workflow start was lost (a crash between commit and start) are started again.
        const temporalClient = new Client({ connection: client, namespace: config.temporal.namespace });
        const reconcile = () =>
          reconcileWorkflowStarts({ db: db.db, client: temporalClient, config }).then(
            (started) => started.length > 0 && logger.warn({ started }, 'started lost pro forma workflows'),
            (error: unknown) => logger.error({ err: error }, 'reconciliation of workflow starts failed'),
          );
        // In the background: the start does not wait for it, and reconcile logs its own failures.
        void reconcile();
        const timer = setInterval(() => void reconcile(), 60_000);
        stack.push({ name: 'reconciliation', stop: async () => clearInterval(timer) });
      }
    }

    let api: RunningServer | undefined;
    if (options.api) {
      // Imports are rare and made by admins: one reader process, started at the first one.
      const apiReaders = createReaderPool({ size: 1, ...config.reader, logger });
      stack.push({ name: 'API reader process', stop: () => apiReaders.close() });
      const apiDeps = {
        db: db.db,
        temporal: new Client({ connection: client, namespace: config.temporal.namespace }),
        store,
        readers: apiReaders,
        // The web pages link to Temporal UI: the embedded dev server's unless one is configured.
        config: { ...config, temporalUiUrl: config.temporalUiUrl ?? devServer?.uiUrl ?? null },
        logger,
      };
      const app = createApp({
        logger,
        readiness: {
          database: async () => {
            await pingDb(db.db);
            return true;
          },
          temporal: () => temporalReachable(client),
        },
        api: apiDeps,
      });
      api = await listen(app, config.http.host, config.http.port, { graceMs: config.worker.shutdownGraceMs });
      stack.push({ name: 'API', stop: () => (api as RunningServer).close() });
      const bankFilesDir = config.paymentRuns.bankFilesDir;
      if (bankFilesDir) {
        await fs.mkdir(bankFilesDir, { recursive: true });
        const watcher = watchBankFiles({
          dir: bankFilesDir,
          intervalMs: 10_000,
          receive: (file) => receiveBankFile(apiDeps, file),
          logger,
        });
        stack.push({ name: 'bank file folder', stop: () => watcher.stop() });
        logger.info({ dir: bankFilesDir }, 'watching the bank file folder');
      }
    }

    return {
      apiUrl: api?.url,
      temporalAddress: temporalAddress(config),
      temporalUiUrl: devServer?.uiUrl,
      workersDone,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
