import type { Kysely } from 'kysely';
import {
  createPaymentRepository,
  type PaymentConfirmation,
  type PaymentOrder,
  type PaymentRepository,
} from '../db/payments';
import type { Database } from '../db/schema';
import { withDomainFailures } from './failures';

export type { PaymentConfirmation, PaymentOrder };

/** Payment orders of validated pro formas; the netting of credit notes is db/payments.ts's, in one transaction. */
export function createPaymentActivities({ db }: { db: Kysely<Database> }) {
  const payments = createPaymentRepository(db);
  return {
    async issuePaymentOrder(input: Parameters<PaymentRepository['issuePaymentOrder']>[0]): Promise<PaymentOrder> {
      return withDomainFailures(payments.issuePaymentOrder(input));
    },

    /** Fails (not retried) with PAYMENT_ALREADY_ORDERED when the payment can no longer be taken back. */
    async withdrawPaymentOrder(input: { number: string }): Promise<void> {
      await withDomainFailures(payments.withdrawPaymentOrder(input));
    },

    async confirmPayment(input: PaymentConfirmation): Promise<void> {
      await payments.confirmPayment(input);
    },
  };
}
