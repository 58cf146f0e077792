import { encodeGrayPng, type GrayImage } from '../../infra/bitmap-text';
import { readInvoice, type ExtractionProgress } from '../../extraction/read-invoice';
import { INVOICE, INVOICE_LINES, grayGif, imagePdf, invoiceXml, renderedText, textPdf } from './fixtures';
import { startTestOcr, type TestOcr } from './ocr-test-pool';

const EXPECTED_FIELDS = {
  invoiceNumber: INVOICE.number,
  proFormaNumber: INVOICE.proForma,
  totalCents: INVOICE.totalCents,
  issueDate: INVOICE.issueDate,
  siret: INVOICE.siret,
  iban: INVOICE.iban,
};

let ocr: TestOcr;
let scan: GrayImage;
let blank: GrayImage;

beforeAll(async () => {
  ocr = await startTestOcr(1);
  scan = await renderedText(INVOICE_LINES);
  blank = await renderedText(['Page 2 / 2']);
});

afterAll(async () => {
  await ocr.close();
});

beforeEach(() => {
  ocr.recognize.mockClear();
});

describe('readInvoice picks the engines in order of preference', () => {
  it('reads a hybrid PDF from its embedded Factur-X XML, with confidence 1, without OCR', async () => {
    const pdf = textPdf(INVOICE_LINES, { attachments: [{ name: 'factur-x.xml', content: invoiceXml() }] });
    const result = await readInvoice(pdf, 'application/pdf', { ocr });
    expect(result).toMatchObject({
      engine: 'FACTURX',
      confidence: 1,
      pageCount: 1,
      fields: { ...EXPECTED_FIELDS, vatId: INVOICE.vatId, currency: 'EUR' },
      document: { typeCode: '380', kind: 'invoice', attachment: 'factur-x.xml' },
    });
    expect(Object.values(result.fieldConfidences).every((c) => c === 1)).toBe(true);
    expect(result.error).toBeUndefined();
    expect(ocr.recognize).not.toHaveBeenCalled();
  });

  it('reads a PDF without XML from its text layer, without OCR', async () => {
    const result = await readInvoice(textPdf(INVOICE_LINES), 'application/pdf', { ocr });
    expect(result).toMatchObject({ engine: 'TEXT_LAYER', pageCount: 1, fields: EXPECTED_FIELDS });
    expect(result.confidence).toBeGreaterThan(0.8);
    expect(result.fieldConfidences.totalCents).toBeGreaterThan(0);
    expect(ocr.recognize).not.toHaveBeenCalled();
  });

  it('says where each value stands on the page: the total on its « Net à payer » line, the IBAN on the last', async () => {
    const result = await readInvoice(textPdf(INVOICE_LINES), 'application/pdf', { ocr });
    // textPdf prints line i (from 0) with its baseline 40 + 16 i points from the top of an 842-point page.
    const baseline = (i: number) => (40 + 16 * i) / 842;
    const { totalCents, iban, siret, issueDate } = result.fieldPositions ?? {};
    expect(totalCents?.page).toBe(1);
    expect(totalCents?.top).toBeGreaterThan(baseline(4));
    expect(totalCents?.top).toBeLessThan(baseline(5));
    expect(iban?.top).toBeGreaterThan(baseline(5));
    expect(iban?.top).toBeLessThan(baseline(6));
    expect(siret?.top).toBeLessThan(baseline(0));
    expect(issueDate?.top).toBeGreaterThan(baseline(1));
    // Each box holds the value, not its label: « Net à payer : » comes first on the line.
    expect(totalCents?.left).toBeGreaterThan(0.15);
    expect(Object.keys(result.fieldPositions ?? {}).sort()).toEqual(
      ['invoiceNumber', 'issueDate', 'proFormaNumber', 'siren', 'siret', 'iban', 'totalCents'].sort(),
    );
  });

  it('places the values of a Factur-X XML where its printed page shows them', async () => {
    const pdf = textPdf(INVOICE_LINES, { attachments: [{ name: 'factur-x.xml', content: invoiceXml() }] });
    const result = await readInvoice(pdf, 'application/pdf', { ocr });
    expect(result.engine).toBe('FACTURX');
    const baseline = (i: number) => (40 + 16 * i) / 842;
    expect(result.fieldPositions?.totalCents?.top).toBeGreaterThan(baseline(4));
    expect(result.fieldPositions?.totalCents?.top).toBeLessThan(baseline(5));
    expect(result.fieldPositions?.invoiceNumber?.top).toBeLessThan(baseline(1));
  });

  it('gives no position to the values of a Factur-X XML whose pages print no text', async () => {
    const pdf = textPdf([], { attachments: [{ name: 'factur-x.xml', content: invoiceXml() }] });
    const result = await readInvoice(pdf, 'application/pdf', { ocr });
    expect(result.engine).toBe('FACTURX');
    expect(result.fieldPositions).toBeUndefined();
  });

  it('tells a field a text layer certainly lacks (confidence 1) from one it merely did not find (confidence 0)', async () => {
    // No pro forma number, SIRET or IBAN anywhere; an invoice number whose label the parsers do not know.
    const lines = ['Organisme de formation Exemple', 'Pièce comptable', 'XK-77/B', 'Net à payer : 1 575,00 €'];
    const result = await readInvoice(textPdf(lines), 'application/pdf', { ocr });
    expect(result).toMatchObject({
      engine: 'TEXT_LAYER',
      fields: { proFormaNumber: null, siret: null, iban: null, invoiceNumber: null, totalCents: 157_500 },
      fieldConfidences: { proFormaNumber: 1, siret: 1, iban: 1, invoiceNumber: 0 },
    });
  });

  it('leaves a field uncertain when the text holds something of its shape that was not read as it', async () => {
    const lines = [
      ...INVOICE_LINES.slice(1, 3),
      'Net à payer : 1 575,00 €',
      'Pro forma : voir le courrier',
      'RIB joint',
      'Téléphone : 01 23 45 67 89',
    ];
    const result = await readInvoice(textPdf(lines), 'application/pdf', { ocr });
    expect(result.engine).toBe('TEXT_LAYER');
    expect(result.fields).toMatchObject({ proFormaNumber: null, siret: null, iban: null });
    expect(result.fieldConfidences).toMatchObject({ proFormaNumber: 0, siret: 0, iban: 0 });
  });

  it('renders an image-only PDF and reads it with OCR', async () => {
    const result = await readInvoice(imagePdf(scan), 'application/pdf', { ocr });
    expect(result).toMatchObject({ engine: 'OCR', pageCount: 1, fields: EXPECTED_FIELDS });
    expect(result.confidence).toBeGreaterThan(0);
    expect(ocr.recognize).toHaveBeenCalledTimes(1);
    // Where OCR saw the values, in fractions of the page: the scan is a 170-point page whose line i (from 0) has
    // its baseline 40 + 16 i points from the top; the total is on line 5, the IBAN on line 6.
    const baseline = (i: number) => (40 + 16 * i) / 170;
    const { totalCents, iban } = result.fieldPositions ?? {};
    expect(totalCents?.page).toBe(1);
    expect(totalCents?.top).toBeGreaterThan(baseline(4));
    expect(totalCents?.top).toBeLessThan(baseline(5));
    expect(iban?.top).toBeGreaterThan(baseline(5));
    expect(iban?.top).toBeLessThan(baseline(6));
  });

  it('falls through to OCR when the text layer holds text but no total', async () => {
    const hiddenText = 'Numérisé par le copieur du 3e étage - lot 0042 - page de garde sans montant ni référence';
    const result = await readInvoice(imagePdf(scan, { hiddenText }), 'application/pdf', { ocr });
    expect(result).toMatchObject({ engine: 'OCR', fields: { totalCents: INVOICE.totalCents } });
  });

  it('stops the OCR of a PDF at the page that gave the key fields', async () => {
    const progress: ExtractionProgress[] = [];
    const result = await readInvoice(imagePdf([scan, blank, blank]), 'application/pdf', {
      ocr,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ engine: 'OCR', pageCount: 3, fields: EXPECTED_FIELDS });
    expect(ocr.recognize).toHaveBeenCalledTimes(1);
    expect(progress).toContainEqual({ stage: 'OCR', page: 1, pages: 3 });
  });

  it('reads further pages when the first one lacks the key fields, and reports each page', async () => {
    const progress: ExtractionProgress[] = [];
    const result = await readInvoice(imagePdf([blank, scan]), 'application/pdf', {
      ocr,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ engine: 'OCR', pageCount: 2, fields: EXPECTED_FIELDS });
    expect(ocr.recognize).toHaveBeenCalledTimes(2);
    expect(progress.filter((p) => p.stage === 'OCR')).toEqual([
      { stage: 'OCR', page: 1, pages: 2 },
      { stage: 'OCR', page: 2, pages: 2 },
    ]);
  });

  it('reads on past a page whose only amounts are the lines’, to the total printed on the last page', async () => {
    const first = await renderedText([
      ...INVOICE_LINES.slice(0, 4),
      'Formation continue   2 400,00 €',
      INVOICE_LINES[6]!,
    ]);
    const last = await renderedText(['Total HT : 1 575,00 €     TVA : exonérée', 'Net à payer : 1 575,00 €']);
    const result = await readInvoice(imagePdf([first, last]), 'application/pdf', { ocr });
    expect(result).toMatchObject({ engine: 'OCR', pageCount: 2, fields: { totalCents: INVOICE.totalCents } });
  });

  it.each([
    ['PNG', 'image/png', () => encodeGrayPng(scan)],
    ['GIF (converted to PNG for tesseract)', 'image/gif', () => grayGif(scan)],
  ])('sends a %s image to OCR', async (_kind, mimeType, image) => {
    const result = await readInvoice(image(), mimeType, { ocr });
    expect(result).toMatchObject({ engine: 'OCR', pageCount: 1, fields: EXPECTED_FIELDS });
    expect(ocr.recognize).toHaveBeenCalledTimes(1);
  });

  it('judges the type by the bytes, not by the declared type', async () => {
    const result = await readInvoice(encodeGrayPng(scan), 'application/pdf', { ocr });
    expect(result.engine).toBe('OCR');
  });

  it('gives each OCR field a confidence below the text layer’s, except checksum-valid ones', async () => {
    const result = await readInvoice(encodeGrayPng(scan), 'image/png', { ocr });
    expect(result.fieldConfidences.iban).toBe(1);
    expect(result.fieldConfidences.siret).toBe(1);
    expect(result.fieldConfidences.totalCents).toBeLessThan(1);
    expect(result.fieldConfidences.totalCents).toBeGreaterThan(0.5);
    expect(result.fieldConfidences.vatId).toBe(0);
  });

  it('leaves an image to a human when no OCR pool runs in the process', async () => {
    const result = await readInvoice(encodeGrayPng(scan), 'image/png', { ocr: null });
    expect(result).toMatchObject({ engine: 'NONE', confidence: 0, error: { code: 'OCR_UNAVAILABLE' } });
  });

  it('ends with NOTHING_READ when the page holds no invoice field', async () => {
    const result = await readInvoice(encodeGrayPng(blank), 'image/png', { ocr });
    expect(result).toMatchObject({ engine: 'NONE', confidence: 0, error: { code: 'NOTHING_READ' } });
    expect(result.error?.message).toMatch(/Aucune information/);
  });

  it('stops when cancelled during OCR, and the next document still reads', async () => {
    const controller = new AbortController();
    const reading = readInvoice(imagePdf([scan]), 'application/pdf', {
      ocr,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'OCR') setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
      },
    });
    await expect(reading).rejects.toThrow('activity cancelled');
    const next = await readInvoice(encodeGrayPng(scan), 'image/png', { ocr });
    expect(next).toMatchObject({ engine: 'OCR', fields: EXPECTED_FIELDS });
  });
});
