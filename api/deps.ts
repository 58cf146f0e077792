import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema';
import type { Config } from '../infra/config';
import type { DocumentStore } from '../infra/storage';
import type { ReaderPool } from '../extraction/readers';
import type { GenerationDeps } from './generation';
import type { WorkflowCallDeps } from './workflow-calls';

/** What the API's routes need: the read model, Temporal, the document store, the configuration. */
export interface ApiDeps {
  db: Kysely<Database>;
  temporal: Client;
  store: DocumentStore;
  /** Reader processes: the workbooks admins import are parsed there, under a deadline and a memory cap. */
  readers: ReaderPool;
  config: Pick<
    Config,
    'temporal' | 'timings' | 'desk' | 'api' | 'accounts' | 'funder' | 'paymentRuns' | 'temporalUiUrl'
  >;
  logger: Logger;
  /** Passed to the workflows the API starts (tests shorten their timers). */
  workflowOverrides?: GenerationDeps['workflowOverrides'];
  /** "Now": which installments have started is judged on the Paris date. Injectable for tests. */
  now?: () => Date;
  /** The payment runs' Schedule (default `payment-runs`; tests use their own on the shared dev server). */
  paymentRunScheduleId?: string;
  /** Check every JSON answer against its OpenAPI schema (tests). */
  checkResponses?: boolean;
}

export function workflowCalls(deps: ApiDeps): WorkflowCallDeps {
  return { db: deps.db, temporal: deps.temporal, callTimeoutMs: deps.config.api.temporalCallTimeoutMs };
}

export function generationDeps(deps: ApiDeps): GenerationDeps {
  return { db: deps.db, client: deps.temporal, config: deps.config, workflowOverrides: deps.workflowOverrides };
}

export function nowOf(deps: ApiDeps): Date {
  return deps.now ? deps.now() : new Date();
}
