import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExtractionActivities } from '../activities/extraction';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import { MAIL_ATTEMPTS } from '../domain/mail-templates';

/**
 * How the workflows call their activities. The read model: PostgreSQL being down must delay the process, never lose
 * a step, so retries are unbounded (with a capped backoff); business errors are not retried.
 */
export const readModel = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

/** An e-mail is worth a few attempts, not a stuck pro forma: after the last one the activity records the failure. */
export const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: MAIL_ATTEMPTS, initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/**
 * OCR is CPU-heavy and lives on its own queue; a long read heartbeats, and a worker that dies is noticed within the
 * heartbeat timeout so another one takes the read over.
 */
export const ocrOn = (taskQueue: string, heartbeatTimeoutMs = 60_000) =>
  proxyActivities<ExtractionActivities>({
    taskQueue,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
  });
