import type { Kysely } from 'kysely';
import { costNatureLabel, type CostNature, type SettlementMode } from '../domain/cost-nature';
import type { ProFormaKind, ProFormaStatus } from '../domain/process';
import { findProFormaDetail, type RefusalDetailView } from './pro-forma-detail';
import { proFormaLines, type ProFormaLineView } from './pro-forma-lines';
import { iso, type Scope } from './pro-forma-summary';
import { DEAD_PAYMENT_STATUSES, type LivePaymentStatus } from './payments';
import type { Database, PaymentKindCode } from './schema';
import { cfaRestriction } from './scope';

/**
 * What the PDF documents of a pro forma print (documents/): the pro forma itself, its refusal letter and its
 * payment advice. Every read takes the caller's scope: another CFA's pro forma is not found.
 */

export interface CfaContactView {
  name: string;
  siret: string;
  email: string;
  /** Normalized: upper case, no spaces. */
  iban: string;
}

/** The pro forma as its documents name it: number, kind, nature, amounts, dates and its CFA. */
export interface PdfProFormaView {
  number: string;
  kind: ProFormaKind;
  nature: CostNature;
  natureLabel: string;
  totalCents: number;
  status: ProFormaStatus;
  settlementMode: SettlementMode | null;
  /** The CFA's own invoice (or credit note) number, as read on its latest deposit. */
  invoiceNumber: string | null;
  createdAt: string;
  paidAt: string | null;
  cfa: CfaContactView;
}

export interface ProFormaPdfData extends PdfProFormaView {
  lines: ProFormaLineView[];
}

export interface RefusalPdfData {
  proForma: PdfProFormaView;
  /** Undefined while the decision is being recorded (the status is written an instant before). */
  refusal: RefusalDetailView | undefined;
}

/** A credit note netted into a transfer: its pro forma, the CFA's credit-note number, its (negative) amount. */
export interface NettedCreditNoteView {
  number: string;
  invoiceNumber: string | null;
  amountCents: number;
}

export interface PaymentAdvicePdfData {
  proForma: PdfProFormaView;
  /** The live payment (a withdrawn order is not one); null before any payment order. */
  payment: {
    kind: PaymentKindCode;
    status: LivePaymentStatus;
    /** What the transfer carries: the pro forma's total less the netted credit notes. */
    amountCents: number;
    orderedAt: string;
    confirmedAt: string | null;
    reference: string | null;
    /** The DEDUCTION credit notes deducted from this transfer, oldest first (what the transfer deducted of each). */
    netted: NettedCreditNoteView[];
    /** For a DEDUCTION credit note: the pro forma (or the payment run's transfer) it was deducted from. */
    nettedInto: string | null;
    /** Paid by a payment run's transfer: its reference and the other invoices it paid with this one. */
    transfer?: { endToEndId: string; otherInvoices: NettedCreditNoteView[] } | null;
  } | null;
}

/** The live transfers of a payment run that pay or deduct the payment (a rejected one paid nothing). */
async function runTransfersOf(db: Kysely<Database>, paymentId: string) {
  return db
    .selectFrom('payment_transfer_items as i')
    .innerJoin('payment_transfers as t', 't.id', 'i.transfer_id')
    .select(['t.id', 't.end_to_end_id', 't.amount_cents'])
    .where('i.payment_id', '=', paymentId)
    .where('t.status', '!=', 'REJECTED')
    .orderBy('t.end_to_end_id')
    .execute();
}

/** What a transfer pays (INVOICE) or deducts (DEDUCTION), with the CFA's numbers. */
async function transferItems(db: Kysely<Database>, transferId: string, kind: 'INVOICE' | 'DEDUCTION') {
  const rows = await db
    .selectFrom('payment_transfer_items as i')
    .innerJoin('payments as p', 'p.id', 'i.payment_id')
    .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
    .select(['pf.number', 'pf.invoice_number', 'i.amount_cents'])
    .where('i.transfer_id', '=', transferId)
    .where('i.kind', '=', kind)
    .orderBy('p.ordered_at')
    .orderBy('pf.number')
    .execute();
  return rows.map((r) => ({ number: r.number, invoiceNumber: r.invoice_number, amountCents: Number(r.amount_cents) }));
}

async function findPdfProForma(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<(PdfProFormaView & { id: string }) | undefined> {
  let query = db
    .selectFrom('pro_formas as p')
    .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
    .select([
      'p.id',
      'p.number',
      'p.kind',
      'p.nature',
      'p.total_cents',
      'p.status',
      'p.settlement_mode',
      'p.invoice_number',
      'p.created_at',
      'p.paid_at',
      'c.name as cfa_name',
      'c.siret as cfa_siret',
      'c.email as cfa_email',
      'c.iban as cfa_iban',
    ])
    .where('p.number', '=', number);
  const restriction = cfaRestriction('p.cfa_id', scope);
  if (restriction) query = query.where(restriction);
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    number: row.number,
    kind: row.kind,
    nature: row.nature,
    natureLabel: costNatureLabel(row.nature),
    totalCents: row.total_cents,
    status: row.status,
    settlementMode: row.settlement_mode,
    invoiceNumber: row.invoice_number,
    createdAt: row.created_at.toISOString(),
    paidAt: iso(row.paid_at),
    cfa: { name: row.cfa_name, siret: row.cfa_siret, email: row.cfa_email, iban: row.cfa_iban },
  };
}

/** The pro forma with its lines (by contract, then period), for its PDF. */
export async function proFormaPdfData(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<ProFormaPdfData | undefined> {
  const found = await findPdfProForma(db, scope, number);
  if (!found) return undefined;
  const { id, ...proForma } = found;
  return { ...proForma, lines: await proFormaLines(db, id) };
}

/** The pro forma and its latest refusal (as GET …/refusal answers it), for the refusal letter. */
export async function refusalPdfData(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<RefusalPdfData | undefined> {
  const [found, detail] = await Promise.all([
    findPdfProForma(db, scope, number),
    findProFormaDetail(db, scope, number),
  ]);
  if (!found || !detail) return undefined;
  const { id: _id, ...proForma } = found;
  return { proForma, refusal: detail.refusal };
}

/** The pro forma, its live payment and the credit notes netted into it, for the payment advice. */
export async function paymentAdvicePdfData(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<PaymentAdvicePdfData | undefined> {
  const found = await findPdfProForma(db, scope, number);
  if (!found) return undefined;
  const { id, ...proForma } = found;
  const payment = await db
    .selectFrom('payments as pay')
    .leftJoin('payments as into', 'into.id', 'pay.netted_in_payment_id')
    .leftJoin('pro_formas as intoPf', 'intoPf.id', 'into.pro_forma_id')
    .select([
      'pay.id',
      'pay.kind',
      'pay.status',
      'pay.amount_cents',
      'pay.ordered_at',
      'pay.confirmed_at',
      'pay.reference',
      'intoPf.number as netted_into',
    ])
    .where('pay.pro_forma_id', '=', id)
    .where('pay.status', 'not in', DEAD_PAYMENT_STATUSES)
    .$narrowType<{ status: LivePaymentStatus }>()
    .executeTakeFirst();
  if (!payment) return { proForma, payment: null };
  const base = {
    kind: payment.kind,
    status: payment.status,
    orderedAt: payment.ordered_at.toISOString(),
    confirmedAt: iso(payment.confirmed_at),
    reference: payment.reference,
  };
  // Paid or deducted by a payment run: the transfer says what it carried.
  const transfers = await runTransfersOf(db, payment.id);
  const [transfer] = transfers;
  if (transfer && payment.kind === 'TRANSFER') {
    const invoices = await transferItems(db, transfer.id, 'INVOICE');
    return {
      proForma,
      payment: {
        ...base,
        amountCents: Number(transfer.amount_cents),
        netted: await transferItems(db, transfer.id, 'DEDUCTION'),
        nettedInto: null,
        transfer: { endToEndId: transfer.end_to_end_id, otherInvoices: invoices.filter((i) => i.number !== number) },
      },
    };
  }
  if (transfers.length > 0 && payment.kind === 'DEDUCTION') {
    const into = [];
    for (const t of transfers) {
      const invoices = await transferItems(db, t.id, 'INVOICE');
      into.push(
        `${t.end_to_end_id} (pro forma${invoices.length > 1 ? 's' : ''} ${invoices.map((i) => i.number).join(', ')})`,
      );
    }
    return {
      proForma,
      payment: {
        ...base,
        amountCents: payment.amount_cents,
        netted: [],
        nettedInto: `du virement ${into.join(' et du virement ')}`,
      },
    };
  }
  const netted = await db
    .selectFrom('payments as n')
    .innerJoin('pro_formas as pf', 'pf.id', 'n.pro_forma_id')
    .select(['pf.number', 'pf.invoice_number', 'n.amount_cents'])
    .where('n.netted_in_payment_id', '=', payment.id)
    .orderBy('n.ordered_at')
    .orderBy('pf.number')
    .execute();
  return {
    proForma,
    payment: {
      ...base,
      amountCents: payment.amount_cents,
      netted: netted.map((n) => ({ number: n.number, invoiceNumber: n.invoice_number, amountCents: n.amount_cents })),
      nettedInto: payment.netted_into === null ? null : `du virement de la pro forma ${payment.netted_into}`,
    },
  };
}
