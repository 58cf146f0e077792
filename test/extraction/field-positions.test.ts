import { locateFields } from '../../extraction/field-positions';
import type { Word } from '../../extraction/layout';
import { emptyFields, type InvoiceFields } from '../../extraction/types';
import { layoutWord } from './fixtures';

const word = layoutWord;

/** The words of a line of text from `x`, one space (5 points) between them. */
function line(y: number, x: number, text: string, page = 1): Word[] {
  const words: Word[] = [];
  let at = x;
  for (const piece of text.split(' ')) {
    words.push(word(piece, at, y, page));
    at += 5 * (piece.length + 1);
  }
  return words;
}

const A4 = new Map([
  [1, { width: 500, height: 1000 }],
  [2, { width: 500, height: 1000 }],
]);

const fields = (values: Partial<InvoiceFields>): InvoiceFields => ({ ...emptyFields(), ...values });

describe('locateFields: where each value read is printed', () => {
  it('boxes an identifier printed in groups, in fractions of its page', () => {
    const words = line(100, 50, 'IBAN : FR76 3000 6000 0112 3456 7890 189');
    const positions = locateFields(fields({ iban: 'FR7630006000011234567890189' }), words, A4);
    // From « FR76 » (x 85) to « 189 » (ends at 85 + 5 × 33 = 250), rows 92..102.
    expect(positions.iban).toEqual({ page: 1, left: 0.17, top: 0.092, width: 0.33, height: 0.01 });
  });

  it('boxes an IBAN wrapped at the end of its line over both lines', () => {
    const words = [...line(100, 50, 'IBAN : FR76 3000 6000 0112'), ...line(112, 50, '3456 7890 189 – BIC AGRIFRPP')];
    const positions = locateFields(fields({ iban: 'FR7630006000011234567890189' }), words, A4);
    // From « 3456 » (x 50) on the second line to « 0112 » (ends at 180) on the first, lines 92..114.
    expect(positions.iban).toEqual({ page: 1, left: 0.1, top: 0.092, width: 0.26, height: 0.022 });
  });

  it('places a total printed twice on the row of its « Net à payer », not in the lines above', () => {
    const words = [
      ...line(100, 50, 'Formation BTS 1 575,00 €'),
      ...line(200, 50, 'Total HT 1 575,00 €'),
      ...line(220, 50, 'Net à payer : 1 575,00 €'),
      ...line(300, 50, 'Conditions : 1 575,00 € à 30 jours'),
    ];
    const positions = locateFields(fields({ totalCents: 157_500 }), words, A4);
    expect(positions.totalCents).toMatchObject({ page: 1, top: 0.212 });
    // The amount only, not its label: « 1 575,00 € » from x 50 + 5 × 14.
    expect(positions.totalCents?.left).toBeCloseTo(0.24, 4);
  });

  it('finds a credit note’s negative total and a date printed in words', () => {
    const words = [...line(100, 50, 'Émise le 3 décembre 2026'), ...line(200, 50, 'Net à rembourser : -300,00 €')];
    const positions = locateFields(fields({ totalCents: -30_000, issueDate: '2026-12-03' }), words, A4);
    expect(positions.issueDate).toMatchObject({ page: 1, top: 0.092, left: 0.19 });
    expect(positions.totalCents).toMatchObject({ page: 1, top: 0.192 });
  });

  it('prefers the print under a label in a header table, and looks on every page', () => {
    const words = [
      ...line(100, 50, 'Réf. client 2026-0001'),
      ...line(300, 50, 'N° facture', 2),
      ...line(315, 50, '2026-0001', 2),
    ];
    const positions = locateFields(fields({ invoiceNumber: '2026-0001' }), words, A4);
    expect(positions.invoiceNumber).toMatchObject({ page: 2, top: 0.307 });
  });

  it('finds an identifier glued in one word to its label, or to the next word OCR ran into', () => {
    const positions = locateFields(fields({ invoiceNumber: 'FA-2026-12' }), line(100, 50, 'N°FA-2026-12'), A4);
    expect(positions.invoiceNumber).toMatchObject({ page: 1, left: 0.1 });
    const ranInto = locateFields(fields({ invoiceNumber: 'F20260026' }), line(100, 50, 'Facture F20260026BUYER'), A4);
    expect(ranInto.invoiceNumber).toMatchObject({ page: 1, left: 0.18 });
    // Not a number inside a longer one, nor a short one inside a word.
    const inside = locateFields(
      fields({ invoiceNumber: '2026001', siren: '123' }),
      line(100, 50, 'F12026001 X123Y'),
      A4,
    );
    expect(inside).toEqual({});
  });

  it('gives no position to a value printed nowhere, to a part of a longer number, or without a page size', () => {
    const words = [...line(100, 50, 'Total 11 575,00 €'), ...line(200, 50, 'SIRET 73282932000074')];
    const positions = locateFields(
      fields({ totalCents: 157_500, siret: '73282932000075', iban: 'FR7630006000011234567890189' }),
      words,
      A4,
    );
    expect(positions).toEqual({});
    const noSize = locateFields(fields({ siret: '73282932000074' }), words, new Map());
    expect(noSize).toEqual({});
  });
});
