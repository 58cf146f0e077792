import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { cfaRecipients } from '../db/cfa-settings';
import { createNotificationRepository } from '../db/notifications';
import { auditExists } from '../db/reference-audit';
import { armInvitation, markInvitationSent } from '../db/users';
import type { Database } from '../db/schema';
import { MAIL_ATTEMPTS, renderMail, type MailDetails, type MailTemplate } from '../domain/mail-templates';
import type { Mailer } from '../infra/mailer';
import { generateToken, hashToken } from '../infra/tokens';

export interface SendStatusEmailInput {
  key: string;
  /** The pro forma the e-mail is about; none for an alert about reference data. */
  number?: string;
  /** The CFA written to, when no pro forma says it (a mandate about to expire): its « Mon CFA » addresses apply. */
  cfaId?: string;
  template: MailTemplate;
  to: string;
  data: Record<string, unknown>;
}

/** An alert to the admins about a change of reference data: the input of workflows/reference-alerts.ts. */
export interface ReferenceAlert {
  /** The reference_audit row of the change alerted about: nothing is sent while it is not committed. */
  auditId: number;
  template: 'IBAN_CHANGED';
  data: MailDetails['IBAN_CHANGED'];
}

export interface AlertAdminsInput extends ReferenceAlert {
  /** The alert's key (its workflow id): each admin's e-mail is keyed `<key>:<admin id>`, so a retry sends it once. */
  key: string;
}

/** The input of workflows/invitations.ts: the invitation, never its secret. */
export interface InvitationInput {
  invitationId: string;
  /** The page the link opens (`<PUBLIC_URL>/invitation`); the secret follows a `#`, so no server log sees it. */
  linkBase: string;
}

export function createNotificationActivities({ db, mailer }: { db: Kysely<Database>; mailer: Mailer }) {
  const notifications = createNotificationRepository(db);

  /** Sends the e-mail once: a retry finds it SENT under its key and sends nothing. */
  async function deliver(input: SendStatusEmailInput): Promise<void> {
    const { subject, text } = renderMail(input.template, input.data);
    const notification = await notifications.openNotification({
      key: input.key,
      number: input.number,
      template: input.template,
      recipient: input.to,
      subject,
    });
    if (notification.status === 'SENT') return;
    try {
      const location = await mailer.send({ to: input.to, subject, text });
      await notifications.recordSent(notification.id, { transport: mailer.transport, location });
    } catch (error) {
      await notifications.recordFailedAttempt(notification.id, {
        transport: mailer.transport,
        error: error instanceof Error ? error.message : String(error),
        last: Context.current().info.attempt >= MAIL_ATTEMPTS,
      });
      throw error;
    }
  }

  return {
    /**
     * A status e-mail to the CFA: at the addresses of « Mon CFA » that receive its kind (one idempotent e-mail each),
     * else at the address the workflow knows.
     */
    async sendStatusEmail(input: SendStatusEmailInput): Promise<void> {
      const recipients = await cfaRecipients(
        db,
        { number: input.number, cfaId: input.cfaId },
        input.template,
        input.to,
      );
      if (recipients.length === 1 && recipients[0] === input.to) return deliver(input);
      for (const to of recipients) await deliver({ ...input, key: `${input.key}:${to.toLowerCase()}`, to });
    },

    /** Tells every active validator that a decision is overdue (one e-mail each, each idempotent). */
    async alertValidators(input: { key: string; number: string; data: Record<string, unknown> }): Promise<void> {
      for (const v of await notifications.activeValidators()) {
        await deliver({
          key: `${input.key}:${v.id}`,
          number: input.number,
          template: 'ESCALATION',
          to: v.email,
          data: input.data,
        });
      }
    },

    /**
     * E-mails an invitation link. The secret is made here and only its SHA-256 is stored: the workflow's history, the
     * API and the database never hold it. An e-mail already sent under the key is not sent again (its link stays the
     * valid one); a retry after a failed send makes a new secret, so only the link of the e-mail that went out works.
     * The API opens the invitation inside its transaction: a row not yet visible is retried, and at the last attempt
     * means the transaction rolled back.
     */
    async sendInvitation(input: InvitationInput & { key: string }): Promise<{ sent: boolean }> {
      if (await notifications.wasSent(input.key)) return { sent: true };
      const secret = generateToken();
      const invitation = await armInvitation(db, input.invitationId, hashToken(secret), new Date());
      if (invitation === 'missing') {
        if (Context.current().info.attempt >= MAIL_ATTEMPTS) return { sent: false };
        throw new Error(`invitation ${input.invitationId} is not committed (yet)`);
      }
      // Accepted, replaced, cancelled by a revocation, or expired: nothing to send.
      if (!invitation) return { sent: false };
      const data: MailDetails['INVITATION'] = {
        name: invitation.name,
        link: `${input.linkBase}#${secret}`,
        expiresAt: invitation.expiresAt.toISOString(),
        invitedByName: invitation.invitedByName,
        cfaNames: invitation.cfaNames,
      };
      await deliver({ key: input.key, template: 'INVITATION', to: invitation.email, data: { ...data } });
      await markInvitationSent(db, input.invitationId);
      return { sent: true };
    },

    /** Alerts the users who run the payments that the bank rejected transfers (one e-mail each, idempotent). */
    async alertPaymentManagers(input: {
      key: string;
      data: MailDetails['TRANSFERS_REJECTED'];
    }): Promise<{ sent: number }> {
      const managers = await notifications.activePaymentManagers();
      for (const manager of managers) {
        await deliver({
          key: `${input.key}:${manager.id}`,
          template: 'TRANSFERS_REJECTED',
          to: manager.email,
          data: { ...input.data },
        });
      }
      return { sent: managers.length };
    },

    /**
     * Tells every active admin about a sensitive change of reference data (one e-mail each, each idempotent). The API
     * starts the alert inside the change's transaction: until that commits the audit row is not visible, and the
     * attempt fails to be retried; at the last attempt a row still missing means the change was rolled back, and
     * nothing is sent.
     */
    async alertAdmins(input: AlertAdminsInput): Promise<{ sent: number }> {
      if (!(await auditExists(db, input.auditId))) {
        if (Context.current().info.attempt >= MAIL_ATTEMPTS) return { sent: 0 };
        throw new Error(`reference_audit row ${input.auditId} is not committed (yet)`);
      }
      const admins = await notifications.activeAdmins();
      for (const admin of admins) {
        await deliver({
          key: `${input.key}:${admin.id}`,
          template: input.template,
          to: admin.email,
          data: { ...input.data },
        });
      }
      return { sent: admins.length };
    },
  };
}
