import type { Kysely } from 'kysely';
import { listExpiringMandates, markExpiryNotified, type ExpiringMandate } from '../db/mandates';
import type { Database } from '../db/schema';
import { parisDate } from '../domain/dates';
import type { MailDetails } from '../domain/mail-templates';
import type { Mailer } from '../infra/mailer';
import { createNotificationActivities } from './notifications';

/** Days before its end at which a mandate's CFA is told to upload a new one. */
export const MANDATE_EXPIRY_NOTICE_DAYS = 30;

/** `2026-12-02` plus `days` days, as a calendar date. */
function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The activities of the mandate expiry reminder (workflows/mandate-expiry.ts). */
export function createMandateActivities({ db, mailer }: { db: Kysely<Database>; mailer: Mailer }) {
  const notifications = createNotificationActivities({ db, mailer });
  return {
    /**
     * The mandates ending within `withinDays` of today (Europe/Paris, or `today` when given), whose CFA has not been
     * told yet.
     */
    async listExpiringMandates(input: { today?: string; withinDays?: number } = {}): Promise<ExpiringMandate[]> {
      const today = input.today ?? parisDate(new Date());
      return listExpiringMandates(db, today, addDays(today, input.withinDays ?? MANDATE_EXPIRY_NOTICE_DAYS));
    },

    /**
     * E-mails the CFA once (the notification is keyed by the mandate: a retry, or a second run before the mark, finds
     * it sent), then marks the mandate as announced.
     */
    async sendMandateExpiryEmail(mandate: ExpiringMandate): Promise<void> {
      const data: MailDetails['MANDATE_EXPIRING'] = {
        cfaName: mandate.cfaName,
        mandateId: mandate.id,
        validFrom: mandate.validFrom,
        validTo: mandate.validTo,
      };
      await notifications.sendStatusEmail({
        key: `mandate-expiring:${mandate.id}:${mandate.validTo}`,
        template: 'MANDATE_EXPIRING',
        cfaId: mandate.cfaId,
        to: mandate.cfaEmail,
        data: { ...data },
      });
      await markExpiryNotified(db, mandate.id);
    },
  };
}
