import { encodeGrayPng } from '../../infra/bitmap-text';
import { invoiceLines, type InvoiceValues } from '../../support/invoice-pdf';
import { renderedText } from '../extraction/fixtures';
export { invoiceLines, invoicePdf, type InvoiceValues } from '../../support/invoice-pdf';

/** The same invoice printed and scanned: a PNG image, read by OCR. */
export async function scannedInvoicePng(values: InvoiceValues): Promise<Buffer> {
  return encodeGrayPng(await renderedText(invoiceLines(values)));
}
