import { CONFIDENCE, parseInvoiceFields, type FieldValue, type ParsedFields } from '../../extraction/fields';
import { rowsOf, rowsText, skewOf, straightened, type Word } from '../../extraction/layout';
import { INVOICE_FIELD_NAMES } from '../../extraction/types';
import { compareReads, fieldsToRescue, rescueRegions, withRescue } from '../../extraction/rescue';

/** A word of tesseract's line `line`, 12 pixels high, 10 pixels a character, its bottom at `y`. */
const word = (text: string, x: number, y: number, line: number, confidence = 0.9): Word => ({
  text,
  page: 1,
  x0: x,
  x1: x + 10 * text.length,
  y0: y - 12,
  y1: y,
  confidence,
  line,
});

/** Words of one tesseract line, each [text, x], on a page turned by `slope` (tan of its angle, y downwards). */
const scannedLine = (y: number, line: number, slope: number, ...items: [string, number][]): Word[] =>
  items.map(([text, x]) => word(text, x, y + slope * (x + 5 * text.length), line));

const value = <T>(v: T, confidence: number, extra: Partial<FieldValue<T>> = {}): FieldValue<T> => ({
  value: v,
  confidence,
  evidence: String(v),
  ...extra,
});

/** A reading that found nothing: every field null. */
const emptyParsed = (): ParsedFields =>
  Object.fromEntries(INVOICE_FIELD_NAMES.map((name) => [name, null])) as unknown as ParsedFields;

describe('a scanned page askew', () => {
  const slope = 0.025; // 1.4°: 40 pixels over a 1600-pixel line
  const words = [
    ...scannedLine(100, 0, slope, ['Rechnungsnummer', 100], ['Rechnungsdatum', 900], ['Kunde', 1400]),
    ...scannedLine(130, 1, slope, ['471102', 100], ['05.06.2013', 900], ['GE2020211', 1400]),
  ];

  it('measures the slope of its text lines', () => {
    expect(skewOf(words)).toBeCloseTo(slope, 3);
  });

  it('finds its rows once straightened, not before', () => {
    const texts = (ws: Word[]) => rowsOf(ws).map((row) => row.cells.map((cell) => cell.text).join(' | '));
    expect(texts(words)).not.toEqual(['Rechnungsnummer | Rechnungsdatum | Kunde', '471102 | 05.06.2013 | GE2020211']);
    expect(texts(straightened(words))).toEqual([
      'Rechnungsnummer | Rechnungsdatum | Kunde',
      '471102 | 05.06.2013 | GE2020211',
    ]);
  });

  it('leaves a straight page as it is', () => {
    const straight = scannedLine(100, 0, 0, ['Total', 100], ['TTC', 200], ['120,00', 400]);
    expect(straightened(straight)).toEqual(straight);
  });
});

describe('reading an OCR page row by row', () => {
  it('finds a value tesseract printed away from its label, in its row', () => {
    // Tesseract's blocks put the labels' column first and the values' column after it.
    const text = ['Rechnungsnummer:', 'Rechnungsdatum:', '', '471102', '05.06.2013'].join('\n');
    const words = [
      word('Rechnungsnummer:', 100, 100, 0),
      word('Rechnungsdatum:', 100, 130, 1),
      word('471102', 600, 100, 2),
      word('05.06.2013', 600, 130, 3),
    ];
    expect(rowsText(rowsOf(words))).toBe('Rechnungsnummer:   471102\nRechnungsdatum:   05.06.2013');
    const parsed = parseInvoiceFields(text, words);
    expect(parsed.invoiceNumber?.value).toBe('471102');
    expect(parsed.issueDate?.value).toBe('2013-06-05');
  });
});

describe('which fields are read again', () => {
  it('takes the missing, the unconfirmed total and a checksum that failed, not what was checked', () => {
    const parsed = {
      ...emptyParsed(),
      totalCents: value(12_000, CONFIDENCE.UNCONFIRMED),
      issueDate: value('2026-05-28', CONFIDENCE.LABELLED),
      iban: value('FR7630006000011234567890189', CONFIDENCE.CHECKSUM_FAILED, { valid: false }),
    };
    expect(fieldsToRescue(parsed, [word('SIRET', 100, 100, 0)])).toEqual([
      'invoiceNumber',
      'totalCents',
      'iban',
      'siret',
    ]);
    const checked = { ...parsed, invoiceNumber: value('F-12', CONFIDENCE.LABELLED) };
    checked.totalCents = value(12_000, CONFIDENCE.CHECKED);
    checked.iban = value('FR7630006000011234567890189', CONFIDENCE.CHECKED, { valid: true });
    // No SIRET label on the page: nothing to read again for it.
    expect(fieldsToRescue(checked, [])).toEqual([]);
  });
});

describe('the regions read again', () => {
  const sizes = new Map([[1, { width: 1654, height: 2339 }]]);

  it('are the rows around the label, to the right edge, and the totals block as one region', () => {
    const words = [
      word('IBAN', 100, 1500, 0),
      word('Total', 1000, 1800, 1),
      word('HT', 1060, 1800, 1),
      word('Total', 1000, 1830, 2),
      word('TTC', 1060, 1830, 2),
      word('Net', 1000, 1860, 3),
    ];
    const regions = rescueRegions(['totalCents', 'iban'], words, sizes);
    expect(regions).toEqual([
      { page: 1, x0: 76, x1: 1654, y0: 1476, y1: 1548, fields: ['iban'] },
      { page: 1, x0: 976, x1: 1654, y0: 1776, y1: 1908, fields: ['totalCents'] },
    ]);
  });

  it('look for a number in the header where tesseract was unsure of a word, its label garbled', () => {
    const words = [word('EACIURENE.', 800, 120, 0, 0.31), word('LE', 100, 120, 1), word('FOURNISSEUR', 130, 120, 1)];
    const [region] = rescueRegions(['invoiceNumber'], words, sizes);
    expect(region).toEqual({ page: 1, x0: 776, x1: 1654, y0: 96, y1: 168, fields: ['invoiceNumber'] });
  });

  it('read again the whole row of an IBAN whose label and country code tesseract garbled', () => {
    const words = [
      word('oa', 100, 1500, 7, 0.3),
      word('es', 140, 1500, 7, 0.3),
      ...['3973', '1400', '0616', '0378'].map((group, i) => word(group, 200 + 50 * i, 1500, 7)),
      word('424', 400, 1500, 7),
    ];
    expect(fieldsToRescue({ ...emptyParsed(), totalCents: value(100, 1), issueDate: value('x', 1) }, words)).toEqual([
      'invoiceNumber',
      'iban',
    ]);
    expect(rescueRegions(['iban'], words, sizes)).toEqual([
      { page: 1, x0: 0, x1: 1654, y0: 1476, y1: 1548, fields: ['iban'] },
    ]);
  });

  it('stay a small share of the page', () => {
    const words = Array.from({ length: 60 }, (_, i) => word('Total', 100, 100 + 38 * i, i));
    const regions = rescueRegions(['totalCents'], words, sizes);
    const area = regions.reduce((sum, r) => sum + (r.x1 - r.x0) * (r.y1 - r.y0), 0);
    expect(regions.length).toBeGreaterThan(0);
    expect(area).toBeLessThanOrEqual(0.2 * 1654 * 2339);
  });
});

describe('two reads of a field, compared', () => {
  it('take the second read when the first found nothing, marked as such and not sure enough to refuse on', () => {
    expect(compareReads(null, value('F20260026', CONFIDENCE.LABELLED))).toMatchObject({
      value: 'F20260026',
      confidence: CONFIDENCE.UNCONFIRMED,
      evidence: 'relecture : F20260026',
    });
  });

  it('keep the surer of two equal reads', () => {
    const first = value(9_000, CONFIDENCE.UNCONFIRMED);
    expect(compareReads(first, value(9_000, CONFIDENCE.CHECKED))?.confidence).toBe(CONFIDENCE.CHECKED);
  });

  it('prefer the read that passed its check when they differ', () => {
    const misread = value('GB9INWBK60161312345678', CONFIDENCE.CHECKSUM_FAILED, { valid: false });
    const checked = value('GB29NWBK60161331926819', CONFIDENCE.CHECKED, { valid: true });
    expect(compareReads(misread, checked)?.value).toBe('GB29NWBK60161331926819');
    expect(compareReads(checked, misread)?.value).toBe('GB29NWBK60161331926819');
  });

  it('send two different unchecked reads to a validator: below what an automatic refusal needs', () => {
    const compared = compareReads(value(13_500, CONFIDENCE.LABELLED), value(13_460, CONFIDENCE.UNCONFIRMED));
    expect(compared).toMatchObject({ value: 13_500, confidence: CONFIDENCE.UNCONFIRMED });
    // Equally sure, the second read wins: its pixels were larger.
    const tie = compareReads(value('UC1_2023025', CONFIDENCE.LABELLED), value('UC1_2023025_F', CONFIDENCE.LABELLED));
    expect(tie).toMatchObject({ value: 'UC1_2023025_F', confidence: CONFIDENCE.UNCONFIRMED });
  });

  it('read again a number whose characters tesseract was unsure of, though its label was read', () => {
    const parsed = {
      ...emptyParsed(),
      invoiceNumber: value('UC1_2023025', CONFIDENCE.LABELLED),
      totalCents: value(12_000, CONFIDENCE.CHECKED),
      issueDate: value('2023-01-01', CONFIDENCE.LABELLED),
    };
    expect(fieldsToRescue(parsed, [word('UC1_2023025', 1247, 177, 13, 0.5)])).toEqual(['invoiceNumber']);
    expect(fieldsToRescue(parsed, [word('UC1_2023025', 1247, 177, 13, 0.93)])).toEqual([]);
  });

  it('keep the total whose decimal comma OCR did not lose, when one read is 100 times the other', () => {
    const first = { ...emptyParsed(), totalCents: value(61_308_600, CONFIDENCE.UNCONFIRMED) };
    const second = { ...emptyParsed(), totalCents: value(613_086, CONFIDENCE.UNCONFIRMED) };
    expect(withRescue(first, second, ['totalCents']).totalCents).toMatchObject({
      value: 613_086,
      confidence: CONFIDENCE.UNCONFIRMED,
    });
    expect(withRescue(second, first, ['totalCents']).totalCents?.value).toBe(613_086);
  });

  it('only for the fields read again', () => {
    const first = { ...emptyParsed(), currency: value('EUR', CONFIDENCE.LABELLED) };
    const second = { ...emptyParsed(), currency: value('USD', CONFIDENCE.LABELLED), totalCents: value(100, 1) };
    expect(withRescue(first, second, ['totalCents'])).toMatchObject({
      currency: { value: 'EUR' },
      totalCents: { value: 100 },
    });
  });
});
