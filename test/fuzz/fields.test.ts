import fc from 'fast-check';
import { FRENCH_MONTHS } from '../../domain/dates';
import {
  CONFIDENCE,
  findAmounts,
  findCurrency,
  findDates,
  findIban,
  findInvoiceNumber,
  findIssueDate,
  findProFormaReference,
  findSiren,
  findSiret,
  findTotalToPay,
  findVatId,
  normalizeProFormaReference,
  parseDate,
  parseInvoiceFields,
  type FieldValue,
} from '../../extraction/fields';
import { toLines } from '../../extraction/fields/lines';
import {
  formatIban,
  formatProFormaNumber,
  frenchVatFromSiren,
  isValidFrenchVat,
  isValidIban,
  isValidSiren,
  isValidSiret,
} from '../../domain/identifiers';
import {
  MAX_AMOUNT_CENTS,
  centsToDecimalString,
  formatCentsFrench,
  formatEuros,
  isSafeCents,
  parseAmountToCents,
} from '../../domain/money';
import {
  calendarDate,
  hostileText,
  isRealIsoDate,
  isoOf,
  longLine,
  validIban,
  validSiren,
  validSiret,
} from './arbitraries';

/**
 * Property-based tests of the field parsers (extraction/fields.ts and extraction/fields/*): hostile text never makes
 * them throw and every value they return has its declared shape; what the service prints (French amounts, dates,
 * identifiers) reads back as the same value.
 */

const RUNS = { numRuns: 100 };
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'CAD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'XPF'];

function expectFieldShape<T>(field: FieldValue<T> | null, valueShape: (value: T) => boolean): void {
  if (field === null) return;
  expect(valueShape(field.value)).toBe(true);
  expect(field.confidence).toBeGreaterThanOrEqual(CONFIDENCE.CHECKSUM_FAILED);
  expect(field.confidence).toBeLessThanOrEqual(CONFIDENCE.CHECKED);
  expect(typeof field.evidence).toBe('string');
  expect(field.evidence.length).toBeLessThanOrEqual(200);
}

/** Every field of `parseInvoiceFields`, checked against its declared shape (extraction/fields.ts, domain/reading.ts). */
function expectParsedShape(text: string): void {
  const fields = parseInvoiceFields(text);
  expectFieldShape(fields.totalCents, isSafeCents);
  expectFieldShape(fields.issueDate, isRealIsoDate);
  expectFieldShape(fields.proFormaNumber, (v) => /^PRO-\d{8}$/.test(v));
  expectFieldShape(fields.invoiceNumber, (v) => /\d/.test(v) && v.length <= 40 && /^[A-Za-z0-9/._-]+$/.test(v));
  expectFieldShape(fields.siret, (v) => /^\d{14}$/.test(v));
  expectFieldShape(fields.siren, (v) => /^\d{9}$/.test(v));
  expectFieldShape(fields.vatId, (v) => /^[A-Z0-9]+$/.test(v));
  expectFieldShape(fields.iban, (v) => /^[A-Z]{2}[A-Z0-9]+$/.test(v));
  expectFieldShape(fields.currency, (v) => CURRENCIES.includes(v));
  // A checksum flag, when set, is the checksum's verdict on the value returned.
  if (fields.siret?.valid !== undefined) expect(fields.siret.valid).toBe(isValidSiret(fields.siret.value));
  if (fields.siren?.valid !== undefined) expect(fields.siren.valid).toBe(isValidSiren(fields.siren.value));
  if (fields.iban?.valid !== undefined) expect(fields.iban.valid).toBe(isValidIban(fields.iban.value));
  if (fields.vatId?.valid !== undefined) expect(fields.vatId.valid).toBe(isValidFrenchVat(fields.vatId.value));
  // A value sure enough to refuse on (CHECKED) always passes its checksum.
  for (const field of [fields.siret, fields.siren, fields.iban]) {
    if (field && field.confidence === CONFIDENCE.CHECKED) expect(field.valid).toBe(true);
  }
}

describe('field parsers on hostile text', () => {
  it('parseInvoiceFields never throws and returns values of the declared shape', () => {
    fc.assert(
      fc.property(hostileText, (text) => expectParsedShape(text)),
      // Found by this test: a bar read as 1 made a valid IBAN that was still flagged invalid.
      { numRuns: 300, examples: [['IBAN : NO79991|Il6889000']] },
    );
  });

  it('parseInvoiceFields reads one very long line quickly and without throwing', () => {
    fc.assert(
      fc.property(longLine, (text) => {
        const started = Date.now();
        expectParsedShape(text);
        expect(Date.now() - started).toBeLessThan(2_000);
      }),
      { numRuns: 20 },
    );
  });

  it('each single-field finder agrees with the shape of its field', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expectFieldShape(findTotalToPay(text), isSafeCents);
        expectFieldShape(findIssueDate(text), isRealIsoDate);
        expectFieldShape(findProFormaReference(text), (v) => /^PRO-\d{8}$/.test(v));
        expectFieldShape(findInvoiceNumber(text), (v) => /\d/.test(v) && v.length <= 40);
        expectFieldShape(findSiret(text), (v) => /^\d{14}$/.test(v));
        expectFieldShape(findSiren(text), (v) => /^\d{9}$/.test(v));
        expectFieldShape(findVatId(text), (v) => /^[A-Z0-9]+$/.test(v));
        expectFieldShape(findIban(text), (v) => /^[A-Z]{2}[A-Z0-9]+$/.test(v));
        expectFieldShape(findCurrency(text), (v) => CURRENCIES.includes(v));
      }),
      RUNS,
    );
  });

  it('every amount found is a safe integer of cents, printed in the text, that parses back to itself', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const lines = toLines(text);
        for (const amount of findAmounts(text)) {
          expect(isSafeCents(amount.cents)).toBe(true);
          expect(lines[amount.line]?.text.slice(amount.column, amount.column + amount.raw.length)).toBe(amount.raw);
          expect(parseAmountToCents(amount.raw)).toBe(amount.cents);
        }
      }),
      RUNS,
    );
  });

  it('every date found is a real YYYY-MM-DD date, printed in the text', () => {
    fc.assert(
      fc.property(hostileText, fc.constantFrom('DMY', 'MDY') as fc.Arbitrary<'DMY' | 'MDY'>, (text, order) => {
        const lines = toLines(text);
        for (const date of findDates(text, order)) {
          expect(isRealIsoDate(date.iso)).toBe(true);
          expect(lines[date.line]?.text.slice(date.column, date.column + date.raw.length)).toBe(date.raw);
        }
      }),
      RUNS,
    );
  });

  it('parseAmountToCents, parseDate and normalizeProFormaReference never throw and return null or their shape', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const cents = parseAmountToCents(text);
        expect(cents === null || isSafeCents(cents)).toBe(true);
        const iso = parseDate(text);
        expect(iso === null || isRealIsoDate(iso)).toBe(true);
        const reference = normalizeProFormaReference(text);
        expect(reference === null || /^PRO-\d{8}$/.test(reference)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('an amount too large for a safe integer is never read as a number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 17, max: 300 }), fc.constantFrom('', ',00', ' €', ',99 €'), (length, tail) => {
        const text = `${'9'.repeat(length)}${tail}`;
        expect(parseAmountToCents(text)).toBeNull();
        expect(findTotalToPay(`Net à payer : ${text}`)?.value ?? null).toBeNull();
      }),
      { numRuns: 50 },
    );
  });
});

describe('amounts read back as printed', () => {
  const safeCents = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  const boundedCents = fc.integer({ min: -MAX_AMOUNT_CENTS, max: MAX_AMOUNT_CENTS });

  it('formatEuros, formatCentsFrench and centsToDecimalString parse back to the same cents', () => {
    fc.assert(
      fc.property(safeCents, (cents) => {
        expect(parseAmountToCents(formatEuros(cents))).toBe(cents);
        expect(parseAmountToCents(formatCentsFrench(cents))).toBe(cents);
        expect(parseAmountToCents(centsToDecimalString(cents))).toBe(cents);
      }),
      { numRuns: 300 },
    );
  });

  it('the same amounts with plain spaces, a trailing EUR or accounting parentheses read the same', () => {
    fc.assert(
      fc.property(boundedCents, (cents) => {
        const plain = formatCentsFrench(cents).replace(/\u202f/g, ' ');
        expect(parseAmountToCents(plain)).toBe(cents);
        expect(parseAmountToCents(`${plain} EUR`)).toBe(cents);
        if (cents > 0) expect(parseAmountToCents(`(${plain})`)).toBe(-cents);
      }),
      RUNS,
    );
  });

  it('an amount printed after a total label is the total to pay, and is found among the amounts', () => {
    fc.assert(
      fc.property(
        boundedCents,
        fc.constantFrom('Net à payer', 'Total TTC', 'Montant TTC', 'Total à payer'),
        (cents, label) => {
          const text = `Facture\n${label} : ${formatEuros(cents)}\nMerci`;
          expect(findTotalToPay(text)?.value).toBe(cents);
          expect(parseInvoiceFields(text).totalCents?.value).toBe(cents);
          expect(findAmounts(text).map((amount) => amount.cents)).toEqual([cents]);
        },
      ),
      RUNS,
    );
  });
});

describe('dates read back as printed', () => {
  const FRENCH_ABBREVIATIONS = [
    'janv.',
    'févr.',
    'mars',
    'avr.',
    'mai',
    'juin',
    'juil.',
    'août',
    'sept.',
    'oct.',
    'nov.',
    'déc.',
  ];
  const pad = (n: number) => String(n).padStart(2, '0');

  /** Every form the parser documents for one date. */
  function printedForms(date: Date): string[] {
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const forms = [
      `${pad(d)}/${pad(m)}/${y}`,
      `${pad(d)}.${pad(m)}.${y}`,
      `${pad(d)}-${pad(m)}-${y}`,
      `${d}/${m}/${y}`,
      `${y}-${pad(m)}-${pad(d)}`,
      `${y}/${pad(m)}/${pad(d)}`,
      `${d === 1 ? '1er' : d} ${FRENCH_MONTHS[m - 1]} ${y}`,
      `${d} ${FRENCH_MONTHS[m - 1]} ${y}`,
      `${d} ${FRENCH_ABBREVIATIONS[m - 1]} ${y}`,
      `${pad(d)} ${FRENCH_MONTHS[m - 1]?.toUpperCase()} ${y}`,
    ];
    if (y >= 2000 && y <= 2099) forms.push(`${pad(d)}/${pad(m)}/${String(y).slice(2)}`);
    return forms;
  }

  it('parseDate reads every French and ISO form of a date as that date', () => {
    fc.assert(
      fc.property(calendarDate, (date) => {
        const iso = isoOf(date);
        for (const form of printedForms(date)) expect([form, parseDate(form)]).toEqual([form, iso]);
      }),
      { numRuns: 200 },
    );
  });

  it('a date after an issue-date label is the issue date', () => {
    fc.assert(
      fc.property(calendarDate, fc.constantFrom('Date de facture', 'Date d’émission', 'Émise le'), (date, label) => {
        for (const form of printedForms(date)) {
          const text = `Facture n° FA-1234\n${label} : ${form}`;
          expect([form, findIssueDate(text)?.value]).toEqual([form, isoOf(date)]);
        }
      }),
      RUNS,
    );
  });

  it('a month-first document reads its numeric dates month first', () => {
    fc.assert(
      fc.property(calendarDate, (date) => {
        const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
        // 12/31/2024 settles the order: the document is month first.
        const text = `Invoice date: ${pad(m)}/${pad(d)}/${y}\nDue: 12/31/2024`;
        expect(findIssueDate(text)?.value).toBe(isoOf(date));
        expect(parseDate(`${pad(m)}/${pad(d)}/${y}`, 'MDY')).toBe(isoOf(date));
      }),
      RUNS,
    );
  });

  it('an impossible date is never read', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2199 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 29, max: 99 }),
        (y, m, d) => {
          const real = new Date(Date.UTC(y, m - 1, d)).getUTCMonth() === m - 1;
          fc.pre(!real);
          expect(parseDate(`${pad(d)}/${pad(m)}/${y}`)).toBeNull();
          expect(parseDate(`${y}-${pad(m)}-${pad(d)}`)).toBeNull();
        },
      ),
      RUNS,
    );
  });
});

describe('identifiers read back as printed', () => {
  const grouped = (siret: string, separator: string) =>
    `${siret.slice(0, 3)}${separator}${siret.slice(3, 6)}${separator}${siret.slice(6, 9)}${separator}${siret.slice(9)}`;

  it('a labelled SIRET, grouped or not, is read, valid, with its SIREN', () => {
    fc.assert(
      fc.property(validSiret, fc.constantFrom('', ' ', '.', '\u00a0'), (siret, separator) => {
        const text = `CFA Exemple\nSIRET : ${grouped(siret, separator)}\n`;
        const found = findSiret(text);
        expect(found).toMatchObject({ value: siret, valid: true, confidence: CONFIDENCE.CHECKED });
        expect(findSiren(text)).toMatchObject({ value: siret.slice(0, 9), valid: true });
      }),
      RUNS,
    );
  });

  it('a labelled SIRET with one digit changed is never read as valid', () => {
    fc.assert(
      fc.property(validSiret, fc.nat({ max: 13 }), fc.integer({ min: 1, max: 9 }), (siret, at, delta) => {
        const wrong = `${siret.slice(0, at)}${(Number(siret[at]) + delta) % 10}${siret.slice(at + 1)}`;
        fc.pre(!wrong.startsWith('356000000'));
        const found = findSiret(`SIRET : ${wrong}`);
        expect(found).toMatchObject({ value: wrong, valid: false, confidence: CONFIDENCE.CHECKSUM_FAILED });
      }),
      RUNS,
    );
  });

  it('a labelled SIREN and the French VAT id of a company are read back', () => {
    fc.assert(
      fc.property(validSiren, (siren) => {
        expect(findSiren(`SIREN ${siren.slice(0, 3)} ${siren.slice(3, 6)} ${siren.slice(6)}`)).toMatchObject({
          value: siren,
          valid: true,
        });
        const vat = frenchVatFromSiren(siren);
        expect(findVatId(`N° TVA intracommunautaire : ${vat}`)).toMatchObject({ value: vat, valid: true });
      }),
      RUNS,
    );
  });

  it('a labelled IBAN, in print groups or compact, is read back upper case and valid', () => {
    fc.assert(
      fc.property(validIban, fc.boolean(), (iban, printed) => {
        const text = `Coordonnées bancaires\nIBAN : ${printed ? formatIban(iban) : iban}\nBIC : BNPAFRPPXXX`;
        expect(findIban(text)).toMatchObject({ value: iban, valid: true, confidence: CONFIDENCE.CHECKED });
        expect(parseInvoiceFields(text).iban?.value).toBe(iban);
      }),
      RUNS,
    );
  });

  it('an invoice number after its label is read as printed', () => {
    const token = fc
      .tuple(fc.constantFrom('FA', 'F', 'INV', 'AV', 'FC2024'), fc.constantFrom('', '-', '/', '_'), fc.nat())
      .map(([prefix, separator, n]) => `${prefix}${separator}${String(n).padStart(4, '0')}`);
    fc.assert(
      fc.property(
        token,
        fc.constantFrom('Facture n°', 'N° de facture :', 'Invoice No.', 'Rechnungsnummer'),
        (t, label) => {
          expect(findInvoiceNumber(`${label} ${t}\nDate : 17/05/2022`)).toMatchObject({ value: t });
        },
      ),
      RUNS,
    );
  });

  it('a pro forma reference, printed or damaged by OCR, reads back as the same number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.boolean(), (sequence, damage) => {
        const number = formatProFormaNumber(sequence);
        expect(normalizeProFormaReference(number)).toBe(number);
        expect(findProFormaReference(`Réf. pro forma : ${number}`)).toMatchObject({
          value: number,
          confidence: CONFIDENCE.CHECKED,
        });
        // OCR look-alikes: 0 read as O, 1 as l, the dash lost; at least four real digits left.
        const digits = number.slice(4);
        const damaged = damage ? digits.replace(/0/g, 'O').replace(/1/g, 'l') : digits;
        fc.pre((damaged.match(/\d/g) ?? []).length >= 4);
        expect(normalizeProFormaReference(`PR0 ${damaged}`)).toBe(number);
        expect(findProFormaReference(`Pro forma PRO${damaged}`)?.value).toBe(number);
      }),
      RUNS,
    );
  });
});
