import { Client, ScheduleAlreadyRunning, type ConnectionLike, type ScheduleSpec } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RunInput } from '../activities/payment-runs';
import type { MandateExpiryInput } from '../workflows/mandate-expiry';

/**
 * The Temporal Schedules of the service, ensured by the main worker at start: created when absent, left as they are
 * otherwise (several workers, or a restart, find them there). The schedule starts its workflow by name: the client
 * loads no workflow code.
 */

export const MANDATE_EXPIRY_SCHEDULE_ID = 'mandate-expiry-reminder';
export const PAYMENT_RUN_SCHEDULE_ID = 'payment-runs';

export interface EnsureScheduleOptions {
  taskQueue: string;
  /** Tests: a schedule id of their own (the dev server is shared). */
  scheduleId?: string;
  /** Tests: the workflow's input. */
  input?: MandateExpiryInput;
}

/**
 * The daily reminder of expiring mandates (workflows/mandate-expiry.ts), every day at 07:00 Europe/Paris; a run that
 * a Temporal outage made miss catches up within a day, and two runs never overlap. Returns whether it was created.
 */
export async function ensureMandateExpirySchedule(client: Client, options: EnsureScheduleOptions): Promise<boolean> {
  const scheduleId = options.scheduleId ?? MANDATE_EXPIRY_SCHEDULE_ID;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { calendars: [{ hour: 7, minute: 0 }], timezone: 'Europe/Paris' },
      action: {
        type: 'startWorkflow',
        workflowType: 'mandateExpiryWorkflow',
        workflowId: `${scheduleId}-run`,
        taskQueue: options.taskQueue,
        args: [options.input ?? {}],
        staticSummary: 'Rappel des mandats de facturation qui expirent dans 30 jours',
      },
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
      memo: { description: 'Relance quotidienne des CFA dont le mandat de facturation expire dans 30 jours.' },
    });
    return true;
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  // Already there: left as it is, but for a task queue that changed (TASK_QUEUE), which it must follow.
  const handle = client.schedule.getHandle(scheduleId);
  const { action } = await handle.describe();
  if (action.type === 'startWorkflow' && action.taskQueue !== options.taskQueue) {
    await handle.update((previous) => ({
      ...previous,
      action: { ...previous.action, taskQueue: options.taskQueue },
    }));
  }
  return false;
}

export interface PaymentRunScheduleOptions {
  taskQueue: string;
  /** Five-field cron expression in Europe/Paris (PAYMENT_RUN_CRON); null: the schedule is paused (runs by hand only). */
  cron: string | null;
  /** Tests: a schedule id of their own, and a spec of seconds. */
  scheduleId?: string;
  spec?: ScheduleSpec;
}

const RUNS_OFF_NOTE = 'PAYMENT_RUN_CRON=off : campagnes lancées à la main uniquement';

/**
 * The payment runs (workflows/payment-runs.ts), every working day at 10:00 Europe/Paris by default: two runs never
 * overlap, and one that an outage made miss catches up within the hour. An existing schedule follows the
 * configuration (its time, its task queue); `off` pauses it. An admin may pause it too (the API): a restart leaves
 * that pause alone.
 */
export async function ensurePaymentRunSchedule(client: Client, options: PaymentRunScheduleOptions): Promise<boolean> {
  const scheduleId = options.scheduleId ?? PAYMENT_RUN_SCHEDULE_ID;
  const spec: ScheduleSpec = options.spec ?? {
    cronExpressions: [options.cron ?? '0 10 * * 1-5'],
    timezone: 'Europe/Paris',
  };
  const input: RunInput = { trigger: 'SCHEDULE', requestedBy: null };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: 'paymentRunWorkflow',
        workflowId: `${scheduleId}-run`,
        taskQueue: options.taskQueue,
        args: [input],
        staticSummary: 'Campagne de paiement planifiée',
      },
      policies: { overlap: 'SKIP', catchupWindow: '1 hour' },
      state: options.cron === null ? { paused: true, note: RUNS_OFF_NOTE } : undefined,
      memo: { description: 'Campagne de paiement : virements SEPA des pro formas validées, avoirs déduits.' },
    });
    return true;
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(scheduleId);
  await handle.update((previous) => ({
    ...previous,
    spec,
    action:
      previous.action.type === 'startWorkflow' ? { ...previous.action, taskQueue: options.taskQueue } : previous.action,
  }));
  if (options.cron === null) await handle.pause(RUNS_OFF_NOTE);
  return false;
}

/** At the main worker's start: ensures the schedules, logging (not throwing) a failure, which the next start retries. */
export async function ensureSchedules(
  connection: ConnectionLike,
  namespace: string,
  options: { taskQueue: string; paymentRunCron: string | null },
  logger: Logger,
): Promise<void> {
  const client = new Client({ connection, namespace });
  const { taskQueue } = options;
  try {
    const created = await ensureMandateExpirySchedule(client, { taskQueue });
    logger.info({ scheduleId: MANDATE_EXPIRY_SCHEDULE_ID, created }, 'mandate expiry schedule ensured');
  } catch (error) {
    logger.error({ err: error, scheduleId: MANDATE_EXPIRY_SCHEDULE_ID }, 'mandate expiry schedule not ensured');
  }
  try {
    const created = await ensurePaymentRunSchedule(client, { taskQueue, cron: options.paymentRunCron });
    logger.info({ scheduleId: PAYMENT_RUN_SCHEDULE_ID, created }, 'payment run schedule ensured');
  } catch (error) {
    logger.error({ err: error, scheduleId: PAYMENT_RUN_SCHEDULE_ID }, 'payment run schedule not ensured');
  }
}
