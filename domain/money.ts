import { DomainError } from './errors';

/**
 * Money is integer cents everywhere (field notes 3.4: the decisive control is "total equals the pro forma
 * total, to the cent"). Amounts read from documents are parsed digit by digit, never through floats.
 */
export type Cents = number;

/**
 * Largest amount of one installment, of either sign: 999,999,999.99 €, the most one SEPA credit transfer can
 * carry (EPC SCT rulebook, AT-T002; ../shared/schemas/pain.001.001.09-epc-sct-2023.xsd). Amounts are bounded where
 * they enter: the API schemas, the contracts import and installments_amount_cents_bound_check (migration
 * 2026_12_01_0001_installment_amount_bound).
 */
export const MAX_AMOUNT_CENTS = 99_999_999_999;

/**
 * How many bounded amounts always sum to a safe integer: 90,071 × (10^11 − 1) < 2^53 − 1. Past 2^53 numbers no
 * longer hold every integer, so a sum of more terms is only exact in bigint.
 */
export const MAX_EXACT_SUM_TERMS = Math.floor(Number.MAX_SAFE_INTEGER / MAX_AMOUNT_CENTS);

export function isSafeCents(value: unknown): value is Cents {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** An integer number of cents within ±MAX_AMOUNT_CENTS: what an installment may carry. */
export function isBoundedCents(value: unknown): value is Cents {
  return isSafeCents(value) && Math.abs(value) <= MAX_AMOUNT_CENTS;
}

export function assertSafeCents(value: number, what = 'amount'): asserts value is Cents {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} is not a safe integer number of cents: ${value}`);
}

/** Exact sum in bigint of integer amounts: whatever their number and size, it neither rounds nor overflows. */
export function sumCentsExact(values: readonly Cents[]): bigint {
  let total = 0n;
  for (const value of values) {
    assertSafeCents(value);
    total += BigInt(value);
  }
  return total;
}

const MAX_SAFE_SUM = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Sum of amounts in cents, computed in bigint. Up to MAX_EXACT_SUM_TERMS bounded amounts it is always a safe
 * integer; beyond (a recap of more than 90,071 installments near the bound, or amounts stored before the bound
 * existed) a total that a number cannot hold exactly is refused as a business error (422), never a crash.
 */
export function sumCents(values: readonly Cents[]): Cents {
  const total = sumCentsExact(values);
  if (total > MAX_SAFE_SUM || total < -MAX_SAFE_SUM) {
    throw new DomainError(
      'AMOUNT_OUT_OF_RANGE',
      `Le total des ${formatIntegerFrench(values.length)} échéances dépasse ` +
        `${formatEuros(Number.MAX_SAFE_INTEGER)} : réduisez la sélection.`,
      { count: values.length, totalCents: total.toString() },
    );
  }
  return Number(total);
}

// Regular, no-break (U+00A0), figure (U+2007), thin (U+2009) and narrow no-break (U+202F) spaces: all are
// used as thousands separators by French software, and copy-paste or OCR turns one into another.
const SPACE_LIKE = /[\s\u00a0\u2007\u2009\u202f]/g;
// Typographic minus signs and dashes used as signs in front of amounts.
const MINUS_LIKE = /[\u2212\u2012\u2013\u2014\ufe63\uff0d]/g;
const CURRENCY_AT_START = /^(?:€|\$|£|EUROS|EURO|EUR|USD|GBP|CHF)/i;
const CURRENCY_AT_END = /(?:€|\$|£|EUROS|EURO|EUR|USD|GBP|CHF)$/i;
const THOUSANDS_APOSTROPHES = /['\u2019]/g;

/**
 * Parses one amount as written on an invoice into cents, or null when the text is not exactly one amount.
 *
 * Accepted: French and international forms (`96 540,00 €`, `96.540,00`, `96,540.00`, `1'575.00`, `-4 135 €`,
 * `1 575,00 EUR`, `EUR 1,575.00`), space / no-break / narrow no-break / dot / comma / apostrophe thousands
 * separators, comma or dot decimals, 0 to 2 decimals (more only when the extra digits are zeros, as in unit
 * prices `3,9000`), a leading or trailing minus, accounting parentheses `(1 575,00)`, a currency symbol or
 * code before or after.
 *
 * A single separator followed by exactly three digits is a thousands separator (`4,135` is 4135 €): amounts
 * have at most two decimals, and both French and English invoices group thousands that way.
 */
export function parseAmountToCents(text: string): Cents | null {
  let rest = text.replace(SPACE_LIKE, ' ').replace(MINUS_LIKE, '-').replace(THOUSANDS_APOSTROPHES, ' ').trim();
  let negative = false;
  let parentheses = false;
  let signs = 0;
  for (;;) {
    const before = rest;
    rest = rest.replace(CURRENCY_AT_START, '').replace(CURRENCY_AT_END, '').trim();
    if (rest.startsWith('-') || rest.startsWith('+')) {
      negative = rest.startsWith('-');
      signs += 1;
      rest = rest.slice(1).trim();
    }
    if (rest.endsWith('-')) {
      negative = true;
      signs += 1;
      rest = rest.slice(0, -1).trim();
    }
    if (rest.startsWith('(') && rest.endsWith(')')) {
      parentheses = true;
      rest = rest.slice(1, -1).trim();
    }
    if (rest === before) break;
  }
  if (signs > 1 || (parentheses && signs > 0)) return null;
  if (parentheses) negative = true;
  const unsigned = parseUnsignedCents(rest.replace(/ +/g, ' '));
  if (unsigned === null) return null;
  return negative && unsigned !== 0 ? -unsigned : unsigned;
}

/** An unsigned amount without currency: digits, thousands grouped by spaces, dots or commas, decimals. */
function parseUnsignedCents(rest: string): Cents | null {
  if (!/^\d[\d., ]*$/.test(rest) || /[., ]$/.test(rest)) return null;
  let integerPart = rest;
  let decimals = '';
  const decimalAt = decimalSeparatorIndex(rest);
  if (decimalAt >= 0) {
    integerPart = rest.slice(0, decimalAt);
    decimals = rest.slice(decimalAt + 1);
    if (!/^\d+$/.test(decimals)) return null;
    if (decimals.length > 2) {
      if (!/^0+$/.test(decimals.slice(2))) return null;
      decimals = decimals.slice(0, 2);
    }
  }
  const integerDigits = groupedDigits(integerPart);
  if (integerDigits === null) return null;
  let cents = 0;
  for (const digit of integerDigits + decimals.padEnd(2, '0')) {
    cents = cents * 10 + (digit.charCodeAt(0) - 48);
  }
  return Number.isSafeInteger(cents) ? cents : null;
}

/**
 * Index of the decimal separator in `rest`, or -1 when every separator groups thousands. With both a dot and
 * a comma the last one is decimal; a repeated separator groups thousands; a lone separator followed by
 * exactly three digits groups thousands too, unless spaces already group them (`1 234,500`) or the integer
 * part is zero (`0,025`).
 */
function decimalSeparatorIndex(rest: string): number {
  const last = Math.max(rest.lastIndexOf('.'), rest.lastIndexOf(','));
  if (last < 0) return -1;
  if (rest.includes('.') && rest.includes(',')) return last;
  if (rest.indexOf(rest.charAt(last)) !== last) return -1;
  if (rest.length - last - 1 !== 3) return last;
  if (rest.includes(' ')) return last;
  return /^0+$/.test(rest.slice(0, last)) ? last : -1;
}

/**
 * Digits of an integer part whose thousands may be grouped by one kind of separator (space, dot or comma):
 * the first group has 1 to 3 digits, every following group exactly 3, and a grouped number does not start
 * with 0. Returns null when the grouping is malformed (`12 34`, `1.2345`), which is how a date or a phone
 * number is refused.
 */
function groupedDigits(integerPart: string): string | null {
  if (/^\d+$/.test(integerPart)) return integerPart;
  const separators = new Set(integerPart.replace(/\d/g, ''));
  if (separators.size !== 1) return null;
  const [separator] = [...separators];
  const groups = integerPart.split(separator ?? ' ');
  const [first, ...others] = groups;
  if (first === undefined || !/^[1-9]\d{0,2}$/.test(first)) return null;
  if (!others.every((group) => /^\d{3}$/.test(group))) return null;
  return groups.join('');
}

const NARROW_NO_BREAK_SPACE = '\u202f';
const NO_BREAK_SPACE = '\u00a0';

/**
 * French display of an amount, as Intl fr-FR prints it: `1 575,00 €` with a narrow no-break space between
 * thousands and a no-break space before the euro sign. Written by hand so the output does not depend on the
 * ICU data of the runtime (the workflow sandbox and the API must print the same letters).
 */
export function formatEuros(cents: Cents): string {
  return `${formatCentsFrench(cents)}${NO_BREAK_SPACE}€`;
}

/** `1 575,00` (French digits only, no currency), as used in letters and exports. */
export function formatCentsFrench(cents: Cents): string {
  assertSafeCents(cents);
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  const euros = Math.floor(absolute / 100);
  const rest = absolute % 100;
  return `${sign}${formatIntegerFrench(euros)},${String(rest).padStart(2, '0')}`;
}

/** `10 000`: an integer with French thousands grouping (counts in messages), as formatEuros groups them. */
export function formatIntegerFrench(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, NARROW_NO_BREAK_SPACE);
}

/** Machine form `1575.00` (Factur-X, CSV exports): dot decimals, no grouping. */
export function centsToDecimalString(cents: Cents): string {
  assertSafeCents(cents);
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}

/** Why an amount beyond MAX_AMOUNT_CENTS is refused, in the users' words (API schemas and contracts import). */
export const AMOUNT_BOUND_RULE = `entre ${formatEuros(-MAX_AMOUNT_CENTS)} et ${formatEuros(MAX_AMOUNT_CENTS)} (plafond d’un virement SEPA)`;
