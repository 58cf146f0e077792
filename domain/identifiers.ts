/**
 * Identifiers printed on invoices and their checks (field notes 3.4, "The checks, precisely"): SIRET / SIREN
 * (Luhn, with the La Poste exception), the French VAT number, the IBAN (ISO 13616 mod 97) and our own pro
 * forma numbers `PRO-` + 8 digits.
 */

const SEPARATORS = /[\s\u00a0\u2007\u2009\u202f.]/g;

/** Luhn checksum over a string of digits (SIREN, SIRET). */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** `732 829 320 00074` or `732.829.320.00074` → `73282932000074` (spaces of every kind and dots removed). */
export function normalizeSiret(text: string): string {
  return text.replace(SEPARATORS, '');
}

export const normalizeSiren = normalizeSiret;

export function isValidSiren(text: string): boolean {
  const siren = normalizeSiren(text);
  return /^\d{9}$/.test(siren) && isLuhnValid(siren);
}

const LA_POSTE_SIREN = '356000000';
const LA_POSTE_HEAD_OFFICE = '35600000000048';

/**
 * A SIRET is 14 digits passing Luhn whose first 9 (the SIREN) pass Luhn too. La Poste numbers its many
 * establishments past what Luhn allows: under SIREN 356000000, except the head office, the rule is only that
 * the digit sum is a multiple of 5 (python-stdnum `stdnum/fr/siret.py`).
 */
export function isValidSiret(text: string): boolean {
  const siret = normalizeSiret(text);
  if (!/^\d{14}$/.test(siret)) return false;
  if (siret.startsWith(LA_POSTE_SIREN) && siret !== LA_POSTE_HEAD_OFFICE) {
    let sum = 0;
    for (const digit of siret) sum += digit.charCodeAt(0) - 48;
    return sum % 5 === 0;
  }
  return isLuhnValid(siret) && isLuhnValid(siret.slice(0, 9));
}

/** The SIREN (company) part of a SIRET (establishment). */
export function sirenOfSiret(siret: string): string {
  return normalizeSiret(siret).slice(0, 9);
}

/** French VAT number of a company: `FR` + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97. */
export function frenchVatFromSiren(siren: string): string {
  const digits = normalizeSiren(siren);
  if (!/^\d{9}$/.test(digits)) throw new RangeError(`not a SIREN: ${siren}`);
  const key = (12 + 3 * (Number(digits) % 97)) % 97;
  return `FR${String(key).padStart(2, '0')}${digits}`;
}

/** `fr 03 552 081 317` → `FR03552081317`. */
export function normalizeVatId(text: string): string {
  return text.replace(SEPARATORS, '').replace(/-/g, '').toUpperCase();
}

/**
 * A French VAT number with a numeric key that matches its SIREN. The newer alphabetic keys (given to
 * companies without a SIREN) cannot be checked and are refused here: a CFA always has a SIREN.
 */
export function isValidFrenchVat(text: string): boolean {
  const vat = normalizeVatId(text);
  const match = /^FR(\d{2})(\d{9})$/.exec(vat);
  if (!match || match[2] === undefined) return false;
  return frenchVatFromSiren(match[2]) === vat;
}

/**
 * IBAN length per country (ISO 13616 registry): every SEPA country and the other registered countries a
 * supplier of a French CFA may plausibly bank in. An unknown country makes the IBAN invalid.
 */
// prettier-ignore
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31,
  MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24,
  SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** `fr76 3000-6000 0112…` → `FR7630006000…`: spaces of every kind and dashes removed, upper case. */
export function normalizeIban(text: string): string {
  return text.replace(/[\s\u00a0\u2007\u2009\u202f-]/g, '').toUpperCase();
}

/**
 * ISO 13616 remainder: first four characters moved to the end, letters as 10..35, the number mod 97. Computed
 * one character at a time so no intermediate value exceeds 97 × 100 (no BigInt needed).
 */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
    else if (code >= 65 && code <= 90) remainder = (remainder * 100 + (code - 55)) % 97;
    else return -1;
  }
  return remainder;
}

export function isValidIban(text: string): boolean {
  const iban = normalizeIban(text);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  return ibanMod97(iban) === 1;
}

/** Print form: groups of four, `FR76 3000 6000 0112 3456 7890 189`. */
export function formatIban(text: string): string {
  return normalizeIban(text).replace(/(.{4})(?=.)/g, '$1 ');
}

/** Pro forma numbers: `PRO-` followed by 8 digits, unique and never reused (domain.md). */
export type ProFormaNumber = `PRO-${string}`;

export const PRO_FORMA_NUMBER = /^PRO-\d{8}$/;

export function isProFormaNumber(text: string): text is ProFormaNumber {
  return PRO_FORMA_NUMBER.test(text);
}

/** `42` → `PRO-00000042`. The sequence is the caller's (a database sequence); this only prints it. */
export function formatProFormaNumber(sequence: number): ProFormaNumber {
  if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence > 99_999_999) {
    throw new RangeError(`pro forma sequence out of range: ${sequence}`);
  }
  return `PRO-${String(sequence).padStart(8, '0')}`;
}
