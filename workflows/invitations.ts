import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InvitationInput } from '../activities/notifications';
import { MAIL_ATTEMPTS } from '../domain/mail-templates';

/**
 * The e-mail of an invitation: a one-time link that lets a new user (or one whose access was renewed) set its token.
 * The API starts one workflow per invitation, inside the transaction that opens it, under an id derived from the
 * invitation; the e-mail is keyed by the workflow id, so it is sent once. The secret of the link never enters the
 * workflow's history: the activity makes it, stores its hash and sends it.
 */

const invitations = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // A first attempt may come before the invitation's transaction commits: retried soon, then with a growing interval.
  retry: {
    maximumAttempts: MAIL_ATTEMPTS,
    initialInterval: '1 second',
    backoffCoefficient: 3,
    maximumInterval: '5 minutes',
  },
});

export async function invitationWorkflow(input: InvitationInput): Promise<{ sent: boolean }> {
  return invitations.sendInvitation({ ...input, key: workflowInfo().workflowId });
}
