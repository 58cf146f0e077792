import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { createNotificationRepository } from '../db/notifications';
import type { Database } from '../db/schema';
import { MAIL_ATTEMPTS, renderMail, type MailTemplate } from '../domain/mail-templates';
import type { Mailer } from '../infra/mailer';

export interface SendStatusEmailInput {
  key: string;
  number: string;
  template: MailTemplate;
  to: string;
  data: Record<string, unknown>;
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
    async sendStatusEmail(input: SendStatusEmailInput): Promise<void> {
      await deliver(input);
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
  };
}
