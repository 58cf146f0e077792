import { Client, ScheduleAlreadyRunning, type ConnectionLike } from '@temporalio/client';
import type { Logger } from 'pino';
import type { MandateExpiryInput } from '../workflows/mandate-expiry';

/**
 * The Temporal Schedules of the service, ensured by the main worker at start: created when absent, left as they are
 * otherwise (several workers, or a restart, find them there). The schedule starts its workflow by name: the client
 * loads no workflow code.
 */

export const MANDATE_EXPIRY_SCHEDULE_ID = 'mandate-expiry-reminder';

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

/** At the main worker's start: ensures the schedules, logging (not throwing) a failure, which the next start retries. */
export async function ensureSchedules(
  connection: ConnectionLike,
  namespace: string,
  taskQueue: string,
  logger: Logger,
): Promise<void> {
  try {
    const created = await ensureMandateExpirySchedule(new Client({ connection, namespace }), { taskQueue });
    logger.info({ scheduleId: MANDATE_EXPIRY_SCHEDULE_ID, created }, 'mandate expiry schedule ensured');
  } catch (error) {
    logger.error({ err: error, scheduleId: MANDATE_EXPIRY_SCHEDULE_ID }, 'mandate expiry schedule not ensured');
  }
}
