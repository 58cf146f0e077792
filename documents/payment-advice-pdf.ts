import type { FunderIdentity } from './funder';
import { formatEuros, sumCents } from '../domain/money';
import type { NettedCreditNoteView, PaymentAdvicePdfData } from '../db/pro-forma-pdf-data';
import {
  CONTENT_WIDTH,
  MARGIN,
  PdfCanvas,
  RIGHT,
  amountLine,
  block,
  cfaLines,
  drawTable,
  frenchDate,
  letterhead,
  type Column,
} from './layout';
import { documentKindLabel } from './pro-forma-pdf';

/**
 * The payment advice of a paid pro forma: what was paid (net amount, date, bank reference), the CFA's invoice
 * number and the pro forma's, and the DEDUCTION credit notes deducted from this transfer (domain.md, "Payment": a
 * transfer carries the invoice less the CFA's outstanding credit notes).
 */

export type PaymentAdvice = PaymentAdvicePdfData & { payment: NonNullable<PaymentAdvicePdfData['payment']> };

const KIND_LABELS: Record<PaymentAdvice['payment']['kind'], string> = {
  TRANSFER: 'Virement au CFA',
  DEDUCTION: 'Déduction sur un virement au CFA',
  REIMBURSEMENT: 'Remboursement par le CFA',
};

const NETTED_COLUMNS: readonly Column<NettedCreditNoteView>[] = [
  { header: 'Pro forma', width: 150, value: (n) => n.number },
  { header: "N° de facture d'avoir", width: CONTENT_WIDTH - 290, value: (n) => n.invoiceNumber ?? 'non lue' },
  { header: 'Montant déduit', width: 140, align: 'right', value: (n) => formatEuros(n.amountCents) },
];

export async function paymentAdvicePdf({ proForma, payment }: PaymentAdvice, funder: FunderIdentity): Promise<Buffer> {
  const what = documentKindLabel(proForma.kind).toLowerCase();
  const invoice = proForma.invoiceNumber ? ` n° ${proForma.invoiceNumber}` : '';
  const paidAt = payment.confirmedAt ?? proForma.paidAt ?? payment.orderedAt;
  const canvas = new PdfCanvas({
    title: `Avis de paiement — pro forma ${proForma.number}`,
    subject: `Paiement de votre ${what}${invoice} — pro forma ${proForma.number}`,
    creationDate: new Date(paidAt),
    author: funder.name,
  });
  const top = MARGIN;
  letterhead(canvas, funder);
  const width = 250;
  const height = block(canvas, RIGHT - width, top + 92, width, 'Bénéficiaire', cfaLines(proForma.cfa, true));
  canvas.y = Math.max(canvas.y, top + 92 + height) + 18;

  canvas.flow('Avis de paiement', { bold: true, size: 16, color: '#1f3a68' }, 6);
  canvas.flow(
    `Objet : Paiement de votre ${what}${invoice} — pro forma ${proForma.number}`,
    { bold: true, size: 11 },
    10,
  );
  for (const fact of [
    `Date du paiement : ${frenchDate(paidAt)}`,
    `Référence bancaire : ${payment.reference ?? 'non communiquée'}`,
    ...(payment.transfer ? [`Référence du virement : ${payment.transfer.endToEndId}`] : []),
    `Mode : ${KIND_LABELS[payment.kind]}`,
    `Nature de coûts : ${proForma.natureLabel}`,
  ]) {
    canvas.flow(fact, { size: 10 }, 2);
  }
  canvas.y += 12;

  if (payment.kind === 'TRANSFER') {
    amountLine(canvas, `Montant de la facture (pro forma ${proForma.number})`, formatEuros(proForma.totalCents));
    for (const other of payment.transfer?.otherInvoices ?? []) {
      amountLine(
        canvas,
        `Facture payée par le même virement (pro forma ${other.number})`,
        formatEuros(other.amountCents),
      );
    }
    if (payment.netted.length > 0) {
      canvas.y += 6;
      canvas.flow("Factures d'avoir déduites de ce virement :", { bold: true, size: 10 }, 6);
      await drawTable(canvas, NETTED_COLUMNS, payment.netted, () => {
        canvas.text(`Avis de paiement — pro forma ${proForma.number} (suite)`, MARGIN, canvas.y, { bold: true });
        canvas.y += 16;
      });
      amountLine(
        canvas,
        "Total des factures d'avoir déduites",
        formatEuros(sumCents(payment.netted.map((n) => n.amountCents))),
      );
    } else {
      amountLine(canvas, "Factures d'avoir déduites", 'aucune');
    }
    amountLine(canvas, 'Montant net viré', formatEuros(payment.amountCents), { bold: true, size: 12 });
  } else {
    amountLine(canvas, `Montant de la ${what} (pro forma ${proForma.number})`, formatEuros(proForma.totalCents), {
      bold: true,
      size: 12,
    });
    if (payment.nettedInto) canvas.flow(`Déduite ${payment.nettedInto}.`, { size: 10 });
  }

  return canvas.finish(() => `Avis de paiement — pro forma ${proForma.number} — ${proForma.cfa.name}`);
}
