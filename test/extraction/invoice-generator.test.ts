import { isValidIban, isValidSiret, isProFormaNumber } from '../../domain/identifiers';
import { readImageHeader } from '../../extraction/page-images';
import { withPdf } from '../../extraction/pdf';
import { readTextLayer, type TextLayer } from '../../extraction/text-layer';
import {
  generateInvoice,
  generateInvoices,
  LAYOUTS,
  layoutSpec,
  type GeneratedInvoice,
} from '../../support/invoice-generator';

/** An A4 page at 200 dpi: 595.28 × 841.89 points × 200 / 72. */
const A4_AT_200_DPI = { width: 1654, height: 2339 };

const textOf = (pdf: Buffer): Promise<TextLayer> => withPdf(pdf, {}, (doc) => readTextLayer(doc));

/** Rendering and scanning take about a second a page: images are checked on a one-page and a three-page layout. */
const WITH_IMAGES = ['classic-left', 'multi-page-3'] as const;

describe('invoice generator', () => {
  let invoices: GeneratedInvoice[];
  let imaged: GeneratedInvoice[];
  let layers: Map<string, TextLayer>;

  beforeAll(async () => {
    invoices = await generateInvoices({ seed: 11, perLayout: 1, images: false });
    imaged = [];
    for (const layout of WITH_IMAGES) imaged.push(await generateInvoice(layout, 11));
    layers = new Map();
    for (const invoice of invoices) layers.set(invoice.id, await textOf(invoice.pdf));
  }, 60_000);

  it('offers at least twelve distinct layouts', () => {
    expect(new Set(LAYOUTS).size).toBe(LAYOUTS.length);
    expect(LAYOUTS.length).toBeGreaterThanOrEqual(12);
    expect(invoices.map((i) => i.layout)).toEqual([...LAYOUTS]);
  });

  it('gives the same bytes for the same layout and seed', async () => {
    const first = imaged.find((i) => i.layout === 'classic-left');
    const again = await generateInvoice('classic-left', 11);
    expect(again.truth).toEqual(first?.truth);
    expect(again.pdf.equals(first?.pdf ?? Buffer.alloc(0))).toBe(true);
    expect(again.pageImages.every((png, i) => png.equals(first?.pageImages[i] ?? Buffer.alloc(0)))).toBe(true);
    expect(again.scans.every((jpeg, i) => jpeg.equals(first?.scans[i] ?? Buffer.alloc(0)))).toBe(true);
    expect(again.scanPdf.equals(first?.scanPdf ?? Buffer.alloc(0))).toBe(true);
    expect(again.pdf.equals(invoices[0]?.pdf ?? Buffer.alloc(0))).toBe(true);
    const other = await generateInvoice('classic-left', 12, { images: false });
    expect(other.pdf.equals(again.pdf)).toBe(false);
  });

  it.each(LAYOUTS)('draws valid, consistent truths for %s over many seeds', async (layout) => {
    for (let seed = 1; seed <= 6; seed += 1) {
      const { truth } = await generateInvoice(layout, seed, { images: false });
      expect(isValidSiret(truth.sellerSiret)).toBe(true);
      expect(isValidSiret(truth.buyerSiret)).toBe(true);
      expect(truth.sellerSiret).not.toBe(truth.buyerSiret);
      expect(truth.iban).toMatch(/^FR\d{2}[0-9A-Z]{23}$/);
      expect(isValidIban(truth.iban)).toBe(true);
      expect(isProFormaNumber(truth.proFormaNumber)).toBe(true);
      expect(truth.totalCents).toBe(truth.totalExclTaxCents + truth.vatCents);
      expect([0, Math.round(truth.totalExclTaxCents * 0.2)]).toContain(truth.vatCents);
      expect(Number.isSafeInteger(truth.totalCents) && truth.totalCents > 0).toBe(true);
      expect(truth.amountDueCents).toBeLessThanOrEqual(truth.totalCents);
      expect(truth.issueDate <= truth.dueDate).toBe(true);
      expect(truth.pages).toBe(layoutSpec(layout).pages);
    }
  });

  it('prints the invoice number, the pro forma number and the total in every layout text layer', () => {
    for (const invoice of invoices) {
      const layer = layers.get(invoice.id);
      const { truth } = invoice;
      expect({ id: invoice.id, imageOnly: layer?.imageOnly }).toEqual({ id: invoice.id, imageOnly: false });
      expect(layer?.text).toContain(truth.invoiceNumber);
      expect(layer?.text).toContain(truth.proFormaNumber);
      expect(layer?.text).toContain(truth.totalPrinted);
      expect(layer?.pages).toHaveLength(truth.pages);
    }
  });

  it('spreads the multi-page layouts over two and three pages, the total on the last one', () => {
    for (const layout of ['multi-page-2', 'multi-page-3'] as const) {
      const invoice = invoices.find((i) => i.layout === layout);
      const pages = layers.get(invoice?.id ?? '')?.pages ?? [];
      expect(pages).toHaveLength(layoutSpec(layout).pages);
      for (const page of pages.slice(1)) expect(page.nonSpaceChars).toBeGreaterThan(100);
      expect(invoice?.truth.printedOnLaterPage).toContain('total');
      expect(pages[0]?.text).not.toContain(invoice?.truth.totalPrinted);
      expect(pages.at(-1)?.text).toContain(invoice?.truth.totalPrinted);
    }
  });

  it('renders every page to a 200 dpi PNG and a scanned JPEG of the same size', () => {
    for (const invoice of imaged) {
      expect(invoice.pageImages).toHaveLength(invoice.truth.pages);
      expect(invoice.scans).toHaveLength(invoice.truth.pages);
      for (const [format, image] of [
        ...invoice.pageImages.map((png) => ['png', png] as const),
        ...invoice.scans.map((jpeg) => ['jpeg', jpeg] as const),
      ]) {
        const header = readImageHeader(image);
        expect(header?.format).toBe(format);
        expect(Math.abs((header?.width ?? 0) - A4_AT_200_DPI.width)).toBeLessThanOrEqual(1);
        expect(Math.abs((header?.height ?? 0) - A4_AT_200_DPI.height)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('wraps the scans in an image-only PDF, one page per scan', async () => {
    for (const invoice of imaged) {
      const layer = await textOf(invoice.scanPdf);
      expect(layer.imageOnly).toBe(true);
      expect(layer.pages).toHaveLength(invoice.truth.pages);
    }
  });

  it('makes an invoice that matches a given pro forma', async () => {
    const { truth } = await generateInvoice('header-table', 3, {
      proFormaNumber: 'PRO-00001234',
      lineAmountsCents: [123_456, 98_765],
      vatRate: 0,
      seller: { name: 'CFA des Métiers de la Mer' },
      images: false,
    });
    expect(truth).toMatchObject({
      proFormaNumber: 'PRO-00001234',
      totalExclTaxCents: 222_221,
      vatCents: 0,
      totalCents: 222_221,
      totalPrinted: '2 222,21 €',
      sellerName: 'CFA des Métiers de la Mer',
    });
  });
});
