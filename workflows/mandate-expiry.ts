import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { MAIL_ATTEMPTS } from '../domain/mail-templates';

/**
 * The daily reminder of the billing mandates about to expire, run by the Temporal Schedule the main worker ensures at
 * start (worker/schedules.ts): each mandate ending within 30 days whose CFA was not told yet gets one e-mail asking
 * for a new one (keyed by the mandate: sent once however often the workflow runs), then is marked as announced.
 */

const { listExpiringMandates } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const { sendMandateExpiryEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    maximumAttempts: MAIL_ATTEMPTS,
    initialInterval: '1 second',
    backoffCoefficient: 3,
    maximumInterval: '5 minutes',
  },
});

export interface MandateExpiryInput {
  /** Tests: the Paris date of "today" (default: the activity's clock). */
  today?: string;
  withinDays?: number;
}

export async function mandateExpiryWorkflow(input: MandateExpiryInput = {}): Promise<{ sent: number; failed: number }> {
  const mandates = await listExpiringMandates(input);
  let sent = 0;
  let failed = 0;
  for (const mandate of mandates) {
    try {
      await sendMandateExpiryEmail(mandate);
      sent++;
    } catch {
      // Its retries exhausted: not marked, so tomorrow's run tries it again; the others are still sent.
      failed++;
    }
  }
  return { sent, failed };
}
