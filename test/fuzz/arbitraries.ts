import fc from 'fast-check';
import { IBAN_LENGTHS, ibanMod97 } from '../../domain/identifiers';

/**
 * Shared generators of the fuzz tests: hostile invoice text (labels, amounts, identifiers, dates and separators glued
 * in random order, with unicode, control characters and huge digit runs), valid identifiers built from their check
 * rules, and calendar dates.
 */

/** Pieces an invoice's text is made of, and the hostile ones a reader may deliver. */
const PIECES = [
  'Total TTC',
  'Net à payer',
  'NET A PAYER',
  'Montant total',
  'Total HT',
  'TVA 20 %',
  'Total',
  'Amount due',
  'Gesamtbetrag',
  'Sous-total',
  'Capital social',
  'SIRET',
  'SIRET :',
  'SIREN',
  'RCS Paris',
  'TVA intracommunautaire',
  'N° TVA',
  'VAT',
  'IBAN',
  'IBAN :',
  'I.B.A.N.',
  'BIC',
  'Facture n°',
  'FACTURE N° :',
  'N° de facture',
  'Invoice No.',
  'Rechnungsnummer',
  'Facture',
  'Avoir',
  'Date de facture',
  'Date :',
  'Datum',
  'émise le',
  'du',
  'pro forma',
  'PRO-',
  'PR0-',
  'Réf.',
  'client',
  'Devise : EUR',
  'Currency',
  '€',
  'EUR',
  '$',
  '£',
  'CHF',
  '%',
  ':',
  '-',
  '−',
  '–',
  '(',
  ')',
  '.',
  ',',
  "'",
  '’',
  '/',
  '|',
  '#',
  '°',
  ' ',
  '  ',
  '\n',
  '\r\n',
  '\r',
  '\t',
  '\u00a0',
  '\u202f',
  '\u2009',
  '\u200b',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\ufeff',
  '\u202e',
  '\ud800',
  'é',
  'ß',
  'İ',
  'ﬁ',
  '𝟙𝟚𝟛',
  '١٢٣',
  '１２３',
  'e\u0301',
  '😀',
  'O',
  'I',
  'l',
  'FR76',
  'FR',
  'DE89',
  '0',
  '00',
  '000',
  '12',
  '31',
  '13',
  '2024',
  '1 575,00',
  '96 540,00 €',
  '1.234,56',
  '1,234.56',
  "1'575.00",
  '-4 135 €',
  '(1 575,00)',
  '17/05/2022',
  '2023-09-18',
  '31.12.2199',
  '29/02/2023',
  '18 sept. 2023',
  '1er mai 2024',
  'September 18, 2023',
  '732 829 320 00074',
  '73282932000074',
  'FR76 3000 6000 0112 3456 7890 189',
  'PRO-00603901',
  'PRO-0O6O39O1',
  'FA-2024-0012',
  'FR03552081317',
] as const;

/** A run of digits long enough to overflow any number, possibly grouped. */
const hugeNumber = fc
  .tuple(fc.integer({ min: 16, max: 400 }), fc.constantFrom('', ' ', '.', ',', '\u202f'), fc.boolean())
  .map(([length, separator, decimals]) => {
    let digits = '9'.repeat(length);
    if (separator !== '') digits = digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
    return decimals ? `${digits},99` : digits;
  });

const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 2, arbitrary: fc.nat({ max: 999_999_999 }).map(String) },
  { weight: 1, arbitrary: hugeNumber },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);

/** A field label followed by a run of what OCR makes of digits: look-alike letters, bars, separators. */
const labelledJunk = fc
  .tuple(
    fc.constantFrom(
      'IBAN',
      'IBAN :',
      'SIRET',
      'SIRET :',
      'SIREN',
      'RCS Lyon',
      'N° TVA',
      'Facture n°',
      'Total TTC',
      'Date :',
      'pro forma',
      'PRO',
    ),
    fc.constantFrom('', ' ', '\n', ' : '),
    fc.constantFrom('', 'FR', 'DE', 'GB', 'CHE', 'ATU', 'NO', 'LC'),
    fc
      .constantFrom('0123456789', '0123456789OoIlQD|', '0123456789OIl| ', '0123456789OoIlQD|. ,-/€AZ')
      .chain((alphabet) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: 6, maxLength: 40, size: 'max' })),
  )
  .map((parts) => parts.join(''));

/** Text that looks more or less like an invoice, and often not at all. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(labelledJunk, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('\n')) },
  { weight: 5, arbitrary: fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join('')) },
  { weight: 3, arbitrary: fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(' ')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 300 }) },
);

/** One very long line (a text layer without line breaks), built from the same pieces. */
export const longLine: fc.Arbitrary<string> = fc
  .tuple(fc.array(piece, { minLength: 1, maxLength: 20 }), fc.integer({ min: 200, max: 600 }))
  .map(([pieces, times]) => Array.from({ length: times }, (_, i) => pieces[i % pieces.length]).join(' '));

function luhnKey(digits: string): string {
  for (let key = 0; key <= 9; key += 1) {
    const candidate = `${digits}${key}`;
    let sum = 0;
    for (let i = 0; i < candidate.length; i += 1) {
      let digit = candidate.charCodeAt(candidate.length - 1 - i) - 48;
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });

/** A SIREN whose Luhn key is right. */
export const validSiren: fc.Arbitrary<string> = digits(8).map(luhnKey);

/** A SIRET (14 digits, Luhn) whose SIREN passes Luhn too; La Poste's numbers follow another rule and are left out. */
export const validSiret: fc.Arbitrary<string> = fc
  .tuple(validSiren, digits(4))
  .map(([siren, establishment]) => luhnKey(`${siren}${establishment}`))
  .filter((siret) => !siret.startsWith('356000000'));

/** An IBAN of a registered country, its check digits computed (ISO 13616). */
export const validIban: fc.Arbitrary<string> = fc.constantFrom(...Object.keys(IBAN_LENGTHS)).chain((country) => {
  const length = IBAN_LENGTHS[country] ?? 27;
  return fc
    .string({
      unit: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...'0123456789') }, fc.constantFrom(...'ABCDEFGHXYZ')),
      minLength: length - 4,
      maxLength: length - 4,
    })
    .map((bban) => {
      const remainder = ibanMod97(`${country}00${bban}`);
      return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
    });
});

/** A calendar date the parsers accept (years 1900 to 2199), as a UTC Date. */
export const calendarDate: fc.Arbitrary<Date> = fc.date({
  min: new Date('1900-01-01T00:00:00Z'),
  max: new Date('2199-12-31T00:00:00Z'),
  noInvalidDate: true,
});

export function isoOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isRealIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}
