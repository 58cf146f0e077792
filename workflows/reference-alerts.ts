import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReferenceAlert } from '../activities/notifications';
import { MAIL_ATTEMPTS } from '../domain/mail-templates';

/**
 * Alerts about changes of reference data (a CFA's IBAN changed while pro formas await payment: the classic path of
 * payment fraud), sent to every active admin. The API starts one workflow per audited change, inside the change's
 * transaction, under an id derived from the audit row: a repeated start finds it already there, and each admin's
 * e-mail is keyed by the workflow id, so it is sent once.
 */

const alerts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // A first attempt may come before the change's transaction commits: retried soon, then with a growing interval.
  retry: {
    maximumAttempts: MAIL_ATTEMPTS,
    initialInterval: '1 second',
    backoffCoefficient: 3,
    maximumInterval: '5 minutes',
  },
});

export async function referenceAlertWorkflow(alert: ReferenceAlert): Promise<{ sent: number }> {
  return alerts.alertAdmins({ ...alert, key: workflowInfo().workflowId });
}
