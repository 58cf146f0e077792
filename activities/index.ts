import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { Mailer } from '../infra/mailer';
import { createControlActivities } from './controls';
import { createMandateActivities } from './mandates';
import { createNotificationActivities } from './notifications';
import { createPaymentActivities } from './payments';
import { createReadModelActivities } from './read-model';

export interface ActivityDeps {
  db: Kysely<Database>;
  mailer: Mailer;
}

/** The main queue's activities, grouped by effect; workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createReadModelActivities(deps),
    ...createControlActivities(deps),
    ...createPaymentActivities(deps),
    ...createNotificationActivities(deps),
    ...createMandateActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
