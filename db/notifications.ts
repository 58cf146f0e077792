import { sql, type Kysely } from 'kysely';
import type { Right } from '../domain/rights';
import type { MailTemplate } from '../domain/mail-templates';
import type { Database, NotificationStatusCode, NotificationTransportCode } from './schema';

/** An e-mail to send, keyed by workflow id + step (+ recipient) so that a retry sends it once. */
export interface NotificationRecord {
  key: string;
  /** The pro forma it is about; none (an alert about reference data) or an unknown number records it without one. */
  number?: string | null;
  template: MailTemplate;
  recipient: string;
  subject: string;
}

export interface Recipient {
  id: string;
  email: string;
}

export function createNotificationRepository(db: Kysely<Database>) {
  /** The users holding `right` (rights are per user: domain/rights.ts) whose access is not revoked. */
  const activeHolders = (right: Right): Promise<Recipient[]> =>
    db
      .selectFrom('users')
      .select(['id', 'email'])
      .where(sql<boolean>`${right} = any(rights)`)
      .where('revoked_at', 'is', null)
      .orderBy('email')
      .execute();

  return {
    /** Records the e-mail as PENDING unless its key is already there; returns its row either way. */
    async openNotification(record: NotificationRecord): Promise<{ id: string; status: NotificationStatusCode }> {
      await db
        .insertInto('notifications')
        .values({
          pro_forma_id: (eb) =>
            record.number == null
              ? eb.val(null)
              : eb.selectFrom('pro_formas').select('id').where('number', '=', record.number),
          recipient: record.recipient,
          template: record.template,
          subject: record.subject,
          status: 'PENDING',
          idempotency_key: record.key,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .execute();
      return db
        .selectFrom('notifications')
        .select(['id', 'status'])
        .where('idempotency_key', '=', record.key)
        .executeTakeFirstOrThrow();
    },

    /** Whether the e-mail keyed `key` went out. */
    async wasSent(key: string): Promise<boolean> {
      const row = await db
        .selectFrom('notifications')
        .select('status')
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      return row?.status === 'SENT';
    },

    async recordSent(id: string, sent: { transport: NotificationTransportCode; location: string }): Promise<void> {
      await db
        .updateTable('notifications')
        .set((eb) => ({
          status: 'SENT',
          transport: sent.transport,
          location: sent.location,
          sent_at: new Date(),
          attempts: eb('attempts', '+', 1),
          error: null,
        }))
        .where('id', '=', id)
        .execute();
    },

    /** A failed attempt: the e-mail stays PENDING for the next one, FAILED after the last. */
    async recordFailedAttempt(
      id: string,
      failure: { transport: NotificationTransportCode; error: string; last: boolean },
    ): Promise<void> {
      await db
        .updateTable('notifications')
        .set((eb) => ({
          status: failure.last ? 'FAILED' : 'PENDING',
          transport: failure.transport,
          attempts: eb('attempts', '+', 1),
          error: failure.error,
        }))
        .where('id', '=', id)
        .execute();
    },

    /** Whom an overdue decision is escalated to: every user who may decide, whose access is not revoked. */
    async activeValidators(): Promise<Recipient[]> {
      return activeHolders('pro-formas:decide');
    },

    /** Who is alerted when the bank rejects transfers: every user who runs the payments, not revoked. */
    async activePaymentManagers(): Promise<Recipient[]> {
      return activeHolders('payment-runs:manage');
    },

    /** Who is alerted about a change of reference data (an IBAN): every user who manages it, not revoked. */
    async activeAdmins(): Promise<Recipient[]> {
      return activeHolders('admin:manage');
    },
  };
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
