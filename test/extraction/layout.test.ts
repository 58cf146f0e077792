import { parseInvoiceFields } from '../../extraction/fields';
import { blockUnder, cellBelow, rowsOf, type Word } from '../../extraction/layout';
import { readInvoice } from '../../extraction/read-invoice';
import { wordsFromRuns } from '../../extraction/text-layer';
import { layoutWord, textRun } from './fixtures';
import { LAYOUTS, generateInvoice } from '../../support/invoice-generator';

const word = layoutWord;

/** Words of a line, each given as [text, x]. */
const line = (y: number, ...items: [string, number][]): Word[] => items.map(([text, x]) => word(text, x, y));

describe('words and rows', () => {
  it('cuts runs at spaces and glues runs drawn letter by letter into one word', () => {
    const words = wordsFromRuns(
      [textRun('Facture n°', 50, 100), ...[...'F2026'].map((c, i) => textRun(c, 110 + 5 * i, 100))],
      1,
    );
    expect(words.map((w) => w.text)).toEqual(['Facture', 'n°', 'F2026']);
    expect(words[2]).toMatchObject({ x0: 110, x1: 135, page: 1, confidence: 1 });
  });

  it('groups words into rows and rows into cells at column gaps', () => {
    const rows = rowsOf([
      ...line(100, ['N°', 50], ['facture', 65], ['Date', 200], ['Échéance', 300]),
      ...line(115, ['F20269437', 50], ['28/05/2026', 200], ['12/07/2026', 300]),
    ]);
    expect(rows.map((r) => r.cells.map((c) => c.text))).toEqual([
      ['N° facture', 'Date', 'Échéance'],
      ['F20269437', '28/05/2026', '12/07/2026'],
    ]);
    const [header] = rows;
    expect(cellBelow(rows, 0, header?.cells[1] as never)?.text).toBe('28/05/2026');
  });

  it('finds no cell below when the next row is far down the page or on the next page', () => {
    const far = rowsOf([...line(100, ['Date', 200]), ...line(160, ['28/05/2026', 200])]);
    expect(cellBelow(far, 0, far[0]?.cells[0] as never)).toBeNull();
    const nextPage = rowsOf([word('Date', 200, 800, 1), word('28/05/2026', 200, 100, 2)]);
    expect(cellBelow(nextPage, 0, nextPage[0]?.cells[0] as never)).toBeNull();
  });

  it('takes a block heading’s column down to the first wide gap', () => {
    const rows = rowsOf([
      ...line(100, ['CFA', 50], ['Exemple', 70], ['Facturé', 300], ['à', 340], [':', 350]),
      ...line(115, ['SIRET', 50], ['11111111111111', 80], ['Opco', 300], ['Santé', 325]),
      ...line(130, ['SIRET', 300], ['22222222222222', 330]),
      ...line(200, ['Total', 300]),
    ]);
    const heading = rows[0]?.cells.find((c) => c.folded.startsWith('facture')) ?? null;
    expect(heading).not.toBeNull();
    expect(blockUnder(rows, 0, heading as never).map((c) => c.text)).toEqual([
      'Facturé à :',
      'Opco Santé',
      'SIRET 22222222222222',
    ]);
  });
  it('keeps a left-hand block apart from the seller’s column printed at its right', () => {
    const rows = rowsOf([
      ...line(100, ['Institut', 400], ['Régional', 445]),
      ...line(112, ['Destinataire', 50], [':', 115]),
      ...line(124, ['Opco', 50], ['Atlas', 75], ['SIRET', 400], ['94104858951665', 430]),
      ...line(136, ['75013', 50], ['Paris', 80]),
      ...line(148, ['SIRET', 50], ['43081482233367', 80]),
    ]);
    const index = rows.findIndex((r) => r.cells.some((c) => c.folded.startsWith('destinataire')));
    const heading = rows[index]?.cells[0] ?? null;
    expect(heading?.text).toBe('Destinataire :');
    expect(blockUnder(rows, index, heading as never).map((c) => c.text)).toEqual([
      'Destinataire :',
      'Opco Atlas',
      '75013 Paris',
      'SIRET 43081482233367',
    ]);
  });
});

describe('fields found by layout', () => {
  it('reads an invoice number printed under its label in a header table', () => {
    const words = [
      ...line(100, ['N°', 50], ['facture', 65], ['Date', 200], ['Client', 300]),
      ...line(115, ['FA-2026-0001', 50], ['28/05/2026', 200], ['Opco', 300]),
    ];
    const text = 'N° facture   Date   Client\nFA-2026-0001   28/05/2026   Opco';
    expect(parseInvoiceFields(text).invoiceNumber).toBeNull();
    expect(parseInvoiceFields(text, words).invoiceNumber).toMatchObject({ value: 'FA-2026-0001', confidence: 0.9 });
  });

  it('passes over the SIRET of the buyer’s block for the seller’s, printed later', () => {
    const words = [
      ...line(100, ['CFA', 50], ['Exemple', 70], ['Facturé', 300], ['à', 340]),
      ...line(115, ['SIRET', 300], [':', 330], ['80606498693065', 340]),
      ...line(700, ['SIRET', 50], [':', 80], ['52876142274174', 90]),
    ];
    const text = 'CFA Exemple   Facturé à\nSIRET : 80606498693065\n\nSIRET : 52876142274174';
    expect(parseInvoiceFields(text).siret?.value).toBe('80606498693065');
    expect(parseInvoiceFields(text, words).siret?.value).toBe('52876142274174');
  });

  it('joins an IBAN wrapped onto the next line when mod 97 accepts it', () => {
    expect(parseInvoiceFields('IBAN : FR76 3000 6000 0112\n3456 7890 189').iban).toMatchObject({
      value: 'FR7630006000011234567890189',
      valid: true,
    });
  });

  it.each(LAYOUTS)('reads every field of a generated « %s » invoice from its text layer', async (layout) => {
    const { pdf, truth } = await generateInvoice(layout, 11, { images: false });
    const { engine, fields, fieldPositions } = await readInvoice(pdf, 'application/pdf', { ocr: null });
    expect(engine).toBe('TEXT_LAYER');
    expect(fields).toMatchObject({
      invoiceNumber: truth.invoiceNumber,
      proFormaNumber: truth.proFormaNumber,
      totalCents: truth.amountDueCents,
      issueDate: truth.issueDate,
      siret: truth.sellerSiret,
      iban: truth.iban,
    });
    // …and says where each of them is printed, inside the page.
    const positions = Object.entries(fieldPositions ?? {});
    expect(positions.map(([name]) => name)).toEqual(
      expect.arrayContaining(['invoiceNumber', 'proFormaNumber', 'totalCents', 'issueDate', 'siret', 'iban']),
    );
    for (const [, box] of positions) {
      expect(box.left + box.width).toBeLessThanOrEqual(1);
      expect(box.top + box.height).toBeLessThanOrEqual(1);
      expect(box.width * box.height).toBeGreaterThan(0);
    }
  });
});
