import { buildInvoiceData } from './data';
import { renderPages, scanPage } from './images';
import { LAYOUTS, layoutSpec, type LayoutName } from './layouts';
import { imagePdf } from './pdf-writer';
import { createRandom, deriveSeed } from './random';
import { renderInvoicePdf } from './render-pdf';
import type { GeneratedInvoice, InvoiceOverrides, InvoiceTruth, LaterPageField } from './types';

/**
 * Generator of French invoices a CFA sends to its Opco, in many layouts, with the truth of every field: to
 * measure how well the reader does on layouts it has never seen (tests and benchmarks). Everything derives
 * from the seed: the same (layout, seed, overrides) gives the same bytes.
 *
 * ```ts
 * const invoice = await generateInvoice('header-table', 7, { proFormaNumber: 'PRO-00001234' });
 * invoice.truth.totalCents; // what the reader should find
 * ```
 */

export { LAYOUTS, layoutSpec, type LayoutName, type LayoutSpec } from './layouts';
export type { GeneratedInvoice, InvoiceOverrides, InvoiceTruth, LaterPageField } from './types';

export interface GenerateOptions extends InvoiceOverrides {
  /** False skips the PNG pages, the scans and the scanned PDF (left empty): the text PDF and truth only. */
  images?: boolean;
}

export async function generateInvoice(
  layout: LayoutName,
  seed: number,
  options: GenerateOptions = {},
): Promise<GeneratedInvoice> {
  const spec = layoutSpec(layout);
  const data = buildInvoiceData(spec, createRandom(deriveSeed(seed, `data:${layout}`)), options);
  const rendered = await renderInvoicePdf(spec, data);
  const printedOnLaterPage: LaterPageField[] = [];
  if (rendered.totalPage > 0) printedOnLaterPage.push('total');
  if (rendered.ibanPage > 0) printedOnLaterPage.push('iban');
  const truth: InvoiceTruth = {
    invoiceNumber: data.invoiceNumber,
    totalCents: data.totalCents,
    totalExclTaxCents: data.totalExclTaxCents,
    vatCents: data.vatCents,
    amountDueCents: data.amountDueCents,
    totalPrinted: rendered.totalPrinted,
    iban: data.seller.iban,
    sellerSiret: data.seller.siret,
    buyerSiret: data.buyer.siret,
    issueDate: data.issueDate,
    dueDate: data.dueDate,
    proFormaNumber: data.proFormaNumber,
    sellerName: data.seller.name,
    pages: rendered.pages,
    layout,
    printedOnLaterPage,
  };
  const invoice: GeneratedInvoice = {
    id: `${layout}-${seed}`,
    layout,
    seed,
    truth,
    pdf: rendered.pdf,
    pageImages: [],
    scans: [],
    scanPdf: Buffer.alloc(0),
  };
  if (options.images === false) return invoice;
  invoice.pageImages = await renderPages(rendered.pdf);
  const scanRandom = createRandom(deriveSeed(seed, `scan:${layout}`));
  for (const png of invoice.pageImages) invoice.scans.push(await scanPage(png, scanRandom));
  invoice.scanPdf = await imagePdf(invoice.scans, {
    title: `Scan ${data.invoiceNumber}`,
    author: data.seller.name,
    creationDate: new Date(`${data.issueDate}T10:00:00Z`),
  });
  return invoice;
}

/** `perLayout` invoices of every layout, seeds `seed`, `seed + 1`, …, layout after layout. */
export async function generateInvoices(options: {
  seed: number;
  perLayout: number;
  images?: boolean;
}): Promise<GeneratedInvoice[]> {
  const invoices: GeneratedInvoice[] = [];
  for (const layout of LAYOUTS) {
    for (let k = 0; k < options.perLayout; k += 1) {
      invoices.push(await generateInvoice(layout, options.seed + k, { images: options.images ?? true }));
    }
  }
  return invoices;
}
