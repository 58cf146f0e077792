import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../infra/config';
import type { DocumentStore } from '../infra/storage';
import { createMailer } from '../infra/mailer';
import type { OcrPool } from '../infra/ocr-pool';
import type { ReaderPool } from '../extraction/readers';
import type { Db } from '../db/connect';
import { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { paymentRunSettings } from '../activities/payment-runs';
import { createExtractionActivities } from '../activities/extraction';
import { ensureSchedules } from './schedules';

export const QUEUES = ['main', 'ocr'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  db: Db;
  store: DocumentStore;
  /** Needed only by the `ocr` queue. */
  ocr?: OcrPool;
  /** Needed only by the `ocr` queue: the processes that parse the documents. */
  readers?: ReaderPool;
  logger: Logger;
}

/**
 * The workers of this process. The main queue runs the workflows and the light activities (read model, storage,
 * notifications); OCR is CPU-heavy, so it has its own queue, capped at the OCR pool's size, and can be scaled on
 * other machines without slowing the rest.
 */
export async function createWorkers(deps: WorkerDeps, queues: readonly QueueName[]): Promise<Worker[]> {
  const { config, connection } = deps;
  const common = {
    connection,
    namespace: config.temporal.namespace,
    // Without a grace time, in-flight activities are abandoned at shutdown (the SDK's default is 0).
    shutdownGraceTime: config.worker.shutdownGraceMs,
  };
  const workers: Worker[] = [];
  if (queues.includes('main')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueue,
        workflowsPath: require.resolve('../workflows'),
        activities: createActivities({
          db: deps.db.db,
          mailer: createMailer(config.mail),
          store: deps.store,
          client: new Client({ connection, namespace: config.temporal.namespace }),
          paymentRuns: paymentRunSettings(config),
        }),
      }),
    );
    // The daily reminder of expiring mandates and the payment runs (Temporal Schedules, created once, idempotently).
    await ensureSchedules(
      connection,
      config.temporal.namespace,
      { taskQueue: config.temporal.taskQueue, paymentRunCron: config.paymentRuns.cron },
      deps.logger,
    );
  }
  if (queues.includes('ocr')) {
    if (!deps.ocr || !deps.readers) throw new Error('The ocr queue needs an OCR pool and reader processes');
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.ocrTaskQueue,
        activities: createExtractionActivities({ store: deps.store, ocr: deps.ocr, readers: deps.readers }),
        maxConcurrentActivityTaskExecutions: deps.ocr.size,
      }),
    );
  }
  return workers;
}
