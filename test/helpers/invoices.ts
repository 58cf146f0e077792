import { encodeGrayPng } from '../../infra/bitmap-text';
import { renderedText, textPdf } from '../extraction/fixtures';

/** What a CFA prints on the invoice it makes for a pro forma (domain.md, "Deposit rules told to the CFA"). */
export interface InvoiceValues {
  proFormaNumber: string;
  invoiceNumber: string;
  /** Printed as a positive amount, as credit notes usually are. */
  totalCents: number;
  siret: string;
  iban: string;
  title?: string;
}

/** `446500` → `4 465,00` (ordinary spaces: the PDF fixtures write WinAnsi text). */
function amount(cents: number): string {
  const absolute = Math.abs(cents);
  const euros = String(Math.floor(absolute / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${euros},${String(absolute % 100).padStart(2, '0')}`;
}

function spaced(text: string, groups: number[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    parts.push(text.slice(at, at + size));
    at += size;
  }
  return parts.join(' ');
}

export function invoiceLines(values: InvoiceValues): string[] {
  return [
    `CFA des Metiers Exemple - SIRET : ${spaced(values.siret, [3, 3, 3, 5])}`,
    `${values.title ?? 'Facture'} N° ${values.invoiceNumber}`,
    'Date de facture : 20/11/2026',
    `Référence pro forma : ${values.proFormaNumber}`,
    `Total HT : ${amount(values.totalCents)} €     TVA : exonérée`,
    `Net à payer : ${amount(values.totalCents)} €`,
    `IBAN : ${values.iban.replace(/(.{4})(?=.)/g, '$1 ')}`,
  ];
}

/** A PDF with a text layer, as a CFA's accounting software prints it. */
export function invoicePdf(values: InvoiceValues): Buffer {
  return textPdf(invoiceLines(values));
}

/** The same invoice printed and scanned: a PNG image, read by OCR. */
export async function scannedInvoicePng(values: InvoiceValues): Promise<Buffer> {
  return encodeGrayPng(await renderedText(invoiceLines(values)));
}
