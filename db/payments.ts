import type { Kysely } from 'kysely';
import { DomainError } from '../domain/errors';
import type { Database, PaymentStatusCode } from './schema';

/** Payments that no longer pay anything: taken back (WITHDRAWN), or whose transfer the bank rejected (REJECTED). */
export const DEAD_PAYMENT_STATUSES = ['WITHDRAWN', 'REJECTED'] as const satisfies readonly PaymentStatusCode[];
/** The statuses of a pro forma's live payment (one at most). */
export type LivePaymentStatus = Exclude<PaymentStatusCode, (typeof DEAD_PAYMENT_STATUSES)[number]>;

export interface PaymentOrder {
  kind: 'TRANSFER' | 'DEDUCTION' | 'REIMBURSEMENT';
  amountCents: number;
  orderedAt: string;
  /** Credit notes netted into this transfer. */
  netted?: { number: string; amountCents: number }[];
}

/** The payment of a pro forma as its workflow confirms it (a bank reference, when the run gave one). */
export interface PaymentConfirmation {
  key: string;
  number: string;
  paidAt: string;
  reference: string | null;
}

/**
 * Payments of validated pro formas (domain.md, "Payment"). An invoice is paid by transfer, less the CFA's
 * outstanding DEDUCTION credit notes (oldest first, as long as the transfer stays positive); a DEDUCTION credit
 * note waits to be netted; a REMBOURSEMENT credit note waits for the CFA's own transfer.
 */
export function createPaymentRepository(db: Kysely<Database>) {
  return {
    /**
     * `netNow` (default true, as histories before the payment runs asked): an invoice's transfer is netted at once of
     * the CFA's outstanding credit notes; false: it is ordered whole and the payment run nets it.
     */
    async issuePaymentOrder(input: {
      key: string;
      number: string;
      at: string;
      netNow?: boolean;
    }): Promise<PaymentOrder> {
      return db.transaction().execute(async (trx) => {
        const proForma = await trx
          .selectFrom('pro_formas')
          .select(['id', 'cfa_id', 'kind', 'total_cents', 'settlement_mode'])
          .where('number', '=', input.number)
          .forUpdate()
          .executeTakeFirst();
        if (!proForma) throw new DomainError('NOT_FOUND', `Pro forma ${input.number} absente`);

        const existing = await trx
          .selectFrom('payments')
          .select(['id', 'kind', 'amount_cents', 'ordered_at'])
          .where('pro_forma_id', '=', proForma.id)
          .where('status', 'not in', DEAD_PAYMENT_STATUSES)
          .executeTakeFirst();
        if (existing) {
          const netted = await trx
            .selectFrom('payments as p')
            .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
            .select(['pf.number', 'p.amount_cents'])
            .where('p.netted_in_payment_id', '=', existing.id)
            .execute();
          return {
            kind: existing.kind,
            amountCents: existing.amount_cents,
            orderedAt: existing.ordered_at.toISOString(),
            ...(existing.kind === 'TRANSFER' && {
              netted: netted.map((n) => ({ number: n.number, amountCents: n.amount_cents })),
            }),
          };
        }

        if (proForma.kind === 'CREDIT_NOTE') {
          const kind = proForma.settlement_mode === 'REMBOURSEMENT' ? 'REIMBURSEMENT' : 'DEDUCTION';
          await trx
            .insertInto('payments')
            .values({
              pro_forma_id: proForma.id,
              cfa_id: proForma.cfa_id,
              kind,
              amount_cents: proForma.total_cents,
              remaining_cents: kind === 'DEDUCTION' ? proForma.total_cents : null,
              status: 'ORDERED',
              ordered_at: input.at,
            })
            .execute();
          return { kind, amountCents: proForma.total_cents, orderedAt: input.at };
        }

        // Outstanding deductions of the CFA, locked so that two concurrent transfers never net the same one.
        const deductions =
          input.netNow === false
            ? []
            : await trx
                .selectFrom('payments as p')
                .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
                .select(['p.id', 'p.amount_cents', 'pf.number'])
                .where('p.cfa_id', '=', proForma.cfa_id)
                .where('p.kind', '=', 'DEDUCTION')
                .where('p.status', '=', 'ORDERED')
                .where('p.netted_in_payment_id', 'is', null)
                .orderBy('p.ordered_at')
                .forUpdate('p')
                .execute();
        let amount = proForma.total_cents;
        const netted: { id: string; number: string; amountCents: number }[] = [];
        for (const d of deductions) {
          if (amount + d.amount_cents <= 0) continue;
          amount += d.amount_cents;
          netted.push({ id: d.id, number: d.number, amountCents: d.amount_cents });
        }
        const payment = await trx
          .insertInto('payments')
          .values({
            pro_forma_id: proForma.id,
            cfa_id: proForma.cfa_id,
            kind: 'TRANSFER',
            amount_cents: amount,
            status: 'ORDERED',
            ordered_at: input.at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        if (netted.length > 0) {
          await trx
            .updateTable('payments')
            .set({ status: 'NETTED', netted_in_payment_id: payment.id, remaining_cents: 0 })
            .where(
              'id',
              'in',
              netted.map((n) => n.id),
            )
            .execute();
        }
        return {
          kind: 'TRANSFER',
          amountCents: amount,
          orderedAt: input.at,
          netted: netted.map(({ number, amountCents }) => ({ number, amountCents })),
        };
      });
    },

    /**
     * Takes the payment order of a validated pro forma back (an admin returns it to validation or cancels it): the
     * order is WITHDRAWN, and the credit notes it netted wait for the next transfer again. A payment already netted
     * into a transfer or confirmed cannot be taken back (PAYMENT_ALREADY_ORDERED). No order: nothing to do.
     */
    async withdrawPaymentOrder(input: { number: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const order = await trx
          .selectFrom('payments as p')
          .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
          .select(['p.id', 'p.status', 'p.amount_cents', 'p.remaining_cents'])
          .where('pf.number', '=', input.number)
          .where('p.status', 'not in', DEAD_PAYMENT_STATUSES)
          .forUpdate('p')
          .executeTakeFirst();
        if (!order) return;
        if (order.remaining_cents !== null && order.remaining_cents !== order.amount_cents) {
          throw new DomainError(
            'PAYMENT_ALREADY_ORDERED',
            'Cet avoir est déjà en partie déduit d’un virement : il ne peut plus être repris.',
            { paymentStatus: order.status },
          );
        }
        if (order.status !== 'ORDERED') {
          throw new DomainError(
            'PAYMENT_ALREADY_ORDERED',
            order.status === 'NETTED'
              ? 'Cet avoir est déjà déduit d’un virement : il ne peut plus être repris.'
              : 'Le paiement est déjà confirmé : il ne peut plus être repris.',
            { paymentStatus: order.status },
          );
        }
        await trx
          .updateTable('payments')
          .set((eb) => ({ status: 'ORDERED', netted_in_payment_id: null, remaining_cents: eb.ref('amount_cents') }))
          .where('netted_in_payment_id', '=', order.id)
          .execute();
        await trx.updateTable('payments').set({ status: 'WITHDRAWN' }).where('id', '=', order.id).execute();
      });
    },

    async confirmPayment(input: PaymentConfirmation): Promise<void> {
      await db
        .updateTable('payments')
        .set({ status: 'CONFIRMED', confirmed_at: input.paidAt, reference: input.reference })
        .where('pro_forma_id', '=', (eb) => eb.selectFrom('pro_formas').select('id').where('number', '=', input.number))
        .where('status', 'not in', ['CONFIRMED', ...DEAD_PAYMENT_STATUSES])
        .execute();
    },
  };
}

export type PaymentRepository = ReturnType<typeof createPaymentRepository>;
