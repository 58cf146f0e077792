import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { renderMail, type MailTemplate } from '../domain/mail-templates';
import type { Database } from '../db/schema';
import type { Mailer } from '../infra/mailer';

export interface SendStatusEmailInput {
  key: string;
  number: string;
  template: MailTemplate;
  to: string;
  data: Record<string, unknown>;
}

/** Attempts the workflow gives an e-mail (workflows/pro-forma.ts); the last one records the failure. */
export const MAIL_ATTEMPTS = 5;

export function createNotificationActivities({ db, mailer }: { db: Kysely<Database>; mailer: Mailer }) {
  async function deliver(input: SendStatusEmailInput): Promise<void> {
    const { subject, text } = renderMail(input.template, input.data);
    const proForma = await db
      .selectFrom('pro_formas')
      .select('id')
      .where('number', '=', input.number)
      .executeTakeFirst();
    await db
      .insertInto('notifications')
      .values({
        pro_forma_id: proForma?.id ?? null,
        recipient: input.to,
        template: input.template,
        subject,
        status: 'PENDING',
        idempotency_key: input.key,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
    const row = await db
      .selectFrom('notifications')
      .select(['id', 'status'])
      .where('idempotency_key', '=', input.key)
      .executeTakeFirstOrThrow();
    if (row.status === 'SENT') return;
    try {
      const location = await mailer.send({ to: input.to, subject, text });
      await db
        .updateTable('notifications')
        .set((eb) => ({
          status: 'SENT',
          transport: mailer.transport,
          location,
          sent_at: new Date(),
          attempts: eb('attempts', '+', 1),
          error: null,
        }))
        .where('id', '=', row.id)
        .execute();
    } catch (error) {
      const last = Context.current().info.attempt >= MAIL_ATTEMPTS;
      await db
        .updateTable('notifications')
        .set((eb) => ({
          status: last ? 'FAILED' : 'PENDING',
          transport: mailer.transport,
          attempts: eb('attempts', '+', 1),
          error: error instanceof Error ? error.message : String(error),
        }))
        .where('id', '=', row.id)
        .execute();
      throw error;
    }
  }

  return {
    async sendStatusEmail(input: SendStatusEmailInput): Promise<void> {
      await deliver(input);
    },

    /** Tells every active validator that a decision is overdue (one e-mail each, each idempotent). */
    async alertValidators(input: { key: string; number: string; data: Record<string, unknown> }): Promise<void> {
      const validators = await db
        .selectFrom('users')
        .select(['id', 'email'])
        .where('role', '=', 'validator')
        .where('revoked_at', 'is', null)
        .orderBy('email')
        .execute();
      for (const v of validators) {
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
