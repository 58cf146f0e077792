import { readInvoice, type OcrEngine } from '../extraction/read-invoice';
import {
  AccuracyTable,
  RefusalCount,
  forEachConcurrently,
  formatShare,
  formatTable,
  type DepositTruth,
  type Reading,
  type ScoredField,
  type ScoredItem,
  type Score,
} from './extraction-accuracy';
import { LAYOUTS, type GeneratedInvoice, type LayoutName } from './invoice-generator';
import { imagePdf } from './invoice-generator/pdf-writer';

/**
 * Accuracy on the invoices of support/invoice-generator, layouts the parsers were not written on, each read as a
 * CFA deposits it: one file, read by readInvoice, every page. Shared by test/extraction/accuracy.test.ts and
 * `npm run bench:extraction`.
 */

/**
 * `text layer`: the text PDF. `OCR clean PNG`: the page rendered to PNG, or for a multi-page invoice an image-only
 * PDF of the rendered pages (a deposit is one file). `OCR scan`: the image-only PDF of the scans.
 */
export const GENERATED_ENGINES = ['text layer', 'OCR clean PNG', 'OCR scan'] as const;
export type GeneratedEngine = (typeof GENERATED_ENGINES)[number];

export interface GeneratedAccuracy {
  table: AccuracyTable<GeneratedEngine>;
  byLayout: Map<`${LayoutName}|${GeneratedEngine}`, Score>;
  refusals: RefusalCount;
}

/** Every field is printed somewhere; the expected total is the amount to pay, as duePayable is in the corpus. */
export function generatedItem(invoice: GeneratedInvoice): ScoredItem {
  const { truth } = invoice;
  const expected: Partial<Record<ScoredField, string | number>> = {
    invoiceNumber: truth.invoiceNumber,
    total: truth.amountDueCents,
    iban: truth.iban,
    sellerSiret: truth.sellerSiret,
    issueDate: truth.issueDate,
  };
  return { id: invoice.id, expected };
}

/** The pro forma the invoice was made for: the generator prints its number and the CFA's SIRET and IBAN. */
export function generatedDeposit(invoice: GeneratedInvoice): DepositTruth {
  const { truth } = invoice;
  return {
    proFormaNumber: truth.proFormaNumber,
    totalCents: truth.amountDueCents,
    creditNote: false,
    invoiceNumber: truth.invoiceNumber,
    sellerSiret: truth.sellerSiret,
    iban: truth.iban,
  };
}

/** The file a CFA deposits for this engine, with its type. */
async function deposited(invoice: GeneratedInvoice, engine: GeneratedEngine): Promise<[Buffer, string]> {
  if (engine === 'text layer') return [invoice.pdf, 'application/pdf'];
  if (engine === 'OCR scan') return [invoice.scanPdf, 'application/pdf'];
  const [page, ...others] = invoice.pageImages;
  if (page !== undefined && others.length === 0) return [page, 'image/png'];
  const pdf = await imagePdf(invoice.pageImages, {
    title: `Pages ${invoice.truth.invoiceNumber}`,
    author: invoice.truth.sellerName,
    creationDate: new Date(`${invoice.truth.issueDate}T10:00:00Z`),
  });
  return [pdf, 'application/pdf'];
}

/**
 * Reads every invoice with every engine, scores the fields (per engine and per layout) and counts the false
 * automatic refusals. The invoices need their images (generateInvoice without `images: false`).
 */
export async function measureGeneratedAccuracy(
  invoices: readonly GeneratedInvoice[],
  options: { ocr: OcrEngine & { size: number }; engines?: readonly GeneratedEngine[] },
): Promise<GeneratedAccuracy> {
  const engines = options.engines ?? GENERATED_ENGINES;
  const table = new AccuracyTable(GENERATED_ENGINES);
  const byLayout: GeneratedAccuracy['byLayout'] = new Map();
  const refusals = new RefusalCount();
  const score = (engine: GeneratedEngine, invoice: GeneratedInvoice, reading: Reading) => {
    const { scored, exact } = table.record(engine, generatedItem(invoice), reading.fields);
    const key = `${invoice.layout}|${engine}` as const;
    const count = byLayout.get(key) ?? { scored: 0, exact: 0 };
    byLayout.set(key, { scored: count.scored + scored, exact: count.exact + exact });
    refusals.check(engine, invoice.id, generatedDeposit(invoice), reading);
  };
  for (const engine of engines) {
    await forEachConcurrently(invoices, options.ocr.size, async (invoice) => {
      const [bytes, mimeType] = await deposited(invoice, engine);
      score(engine, invoice, await readInvoice(bytes, mimeType, { ocr: options.ocr }));
    });
  }
  return { table, byLayout, refusals };
}

/** Per layout, the share of the fields read exactly by each engine. */
export function formatByLayout(byLayout: GeneratedAccuracy['byLayout']): string {
  const engines = GENERATED_ENGINES.filter((engine) => LAYOUTS.some((layout) => byLayout.has(`${layout}|${engine}`)));
  const rows = LAYOUTS.filter((layout) => engines.some((engine) => byLayout.has(`${layout}|${engine}`))).map(
    (layout) => [layout, ...engines.map((engine) => formatShare(byLayout.get(`${layout}|${engine}`) ?? none()))],
  );
  const total = engines.map((engine) =>
    formatShare(
      LAYOUTS.reduce((sum, layout) => {
        const count = byLayout.get(`${layout}|${engine}`) ?? none();
        return { scored: sum.scored + count.scored, exact: sum.exact + count.exact };
      }, none()),
    ),
  );
  return formatTable(['layout', ...engines], [...rows, ['all layouts', ...total]]);
}

function none(): Score {
  return { scored: 0, exact: 0 };
}

/** The whole report: per engine and field, per layout, the misses and the false automatic refusals. */
export function formatGeneratedReport(title: string, accuracy: GeneratedAccuracy): string {
  const misses = accuracy.table.formatMisses();
  return [
    title,
    '',
    accuracy.table.format(),
    '',
    'Share of the fields read exactly, per layout:',
    '',
    formatByLayout(accuracy.byLayout),
    '',
    ...(misses.length > 0 ? ['Misses:', ...misses.map((miss) => `  ${miss}`), ''] : []),
    ...accuracy.refusals.format(),
  ].join('\n');
}
