import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { Mailer } from '../infra/mailer';
import type { DocumentStore } from '../infra/storage';
import { createControlActivities } from './controls';
import { createMandateActivities } from './mandates';
import { createNotificationActivities } from './notifications';
import { createPaymentRunActivities, type PaymentRunSettings } from './payment-runs';
import { createPaymentActivities } from './payments';
import { createReadModelActivities } from './read-model';

export interface ActivityDeps {
  db: Kysely<Database>;
  mailer: Mailer;
  /** Where the payment runs' files are stored. */
  store: Pick<DocumentStore, 'put'>;
  /** The payment runs tell the pro formas' workflows (Updates). */
  client: Client;
  paymentRuns: PaymentRunSettings;
}

/** The main queue's activities, grouped by effect; workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createReadModelActivities(deps),
    ...createControlActivities(deps),
    ...createPaymentActivities(deps),
    ...createNotificationActivities(deps),
    ...createMandateActivities(deps),
    ...createPaymentRunActivities({ ...deps, settings: deps.paymentRuns }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
