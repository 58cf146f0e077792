/**
 * The seller's company identifiers: the SIRET (14 digits after a « SIRET » label, checked by Luhn, OCR
 * look-alikes repaired), the SIREN (9 digits after « SIREN » or « RCS <ville> », else the SIRET's first 9) and
 * the VAT id (a well-formed EU, UK or Swiss VAT number, preferably labelled, the French key checked). Values
 * labelled as the customer's are passed over; a labelled value that fails its checksum is kept, `valid: false`.
 */
import {
  isValidFrenchVat,
  isValidSiren,
  isValidSiret,
  normalizeSiret,
  normalizeVatId,
  sirenOfSiret,
} from '../../domain/identifiers';
import { CONFIDENCE, lowered, type FieldValue } from './confidence';
import { evidenceOf, repairDigits, toLines, type Line } from './lines';

const SIRET_DIGITS = /((?:[0-9OIl|][ .]?){13}[0-9OIl|])(?![ .]?[0-9])/y;
const SIRET_IN_TEXT = /(?<![\dA-Za-z])(\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5})(?![ .]?\d)/g;
const SIREN_DIGITS = /(\d{3}[ .]?\d{3}[ .]?\d{3})(?![ .]?\d)/y;
// Words before a label that make the value the buyer's (or its tax representative's), not the seller's.
const CUSTOMER_CONTEXT = /\b(?:client|customer|buyer|acheteur|kunde|kunden|destinataire|representant)\b/;
const NOT_A_SIRET_LINE = /\b(?:gtin|ean|gln|iban|bic|tel|telephone|phone|fax|mobile|duns|ust|tva|vat)\b/;

/**
 * The SIRET: 14 digits (grouped or not) after a « SIRET » label, preferring one that passes Luhn; a labelled
 * SIRET failing Luhn is returned with `valid: false` and the lowest confidence, never as valid. Without a
 * label, only a Luhn-valid 14-digit number away from phone, bank and article codes is taken.
 */
export function findSiret(text: string): FieldValue<string> | null {
  return siretIn(toLines(text));
}

/** The SIREN: 9 digits after « SIREN » or « RCS <ville> ». Without one, the first 9 digits of the SIRET. */
export function findSiren(text: string): FieldValue<string> | null {
  const lines = toLines(text);
  return sirenIn(lines) ?? sirenFromSiret(siretIn(lines));
}

/** Every 14-digit number of `text` (grouped or not): the SIRETs a buyer's block prints, to pass them over. */
export function siretsIn(text: string): Set<string> {
  return new Set([...text.matchAll(SIRET_IN_TEXT)].map((match) => normalizeSiret(match[1] ?? '')));
}

/**
 * The seller's SIRET. `blocks` (extraction/fields/in-layout.ts): the SIRETs printed in the buyer's blocks, never
 * taken, and in the seller's, preferred to an unlabelled one found elsewhere.
 */
export function siretIn(
  lines: readonly Line[],
  blocks: { buyers?: ReadonlySet<string>; sellers?: ReadonlySet<string> } = {},
): FieldValue<string> | null {
  const buyers = blocks.buyers ?? new Set<string>();
  // The first labelled SIRET is the seller's (the header or the legal footer); a later valid one is more
  // likely the buyer's, and taking it would turn a misread into a confident « not the CFA's SIRET ».
  for (const line of lines) {
    for (const match of line.folded.matchAll(/\bsiret\b/g)) {
      if (CUSTOMER_CONTEXT.test(line.folded.slice(Math.max(0, match.index - 40), match.index))) continue;
      const after = match.index + match[0].length;
      const skip = /^[^0-9\n]{0,16}?(?=[0-9OIl|])/.exec(line.text.slice(after));
      // « SIRET client : … » names the buyer's too.
      if (!skip || CUSTOMER_CONTEXT.test(line.folded.slice(after, after + skip[0].length))) continue;
      SIRET_DIGITS.lastIndex = after + skip[0].length;
      const digitsMatch = SIRET_DIGITS.exec(line.text);
      if (!digitsMatch?.[1]) continue;
      const compact = normalizeSiret(digitsMatch[1]);
      if ((compact.match(/\d/g) ?? []).length < 10) continue;
      const value = repairDigits(compact);
      if (buyers.has(value)) continue;
      const repaired = value !== compact;
      const valid = isValidSiret(value);
      const confidence = valid ? lowered(CONFIDENCE.CHECKED, repaired) : CONFIDENCE.CHECKSUM_FAILED;
      return { value, confidence, evidence: evidenceOf(line), valid, repaired };
    }
  }
  const seller = [...(blocks.sellers ?? [])].find((value) => isValidSiret(value) && !buyers.has(value));
  if (seller)
    return { value: seller, confidence: CONFIDENCE.CHECKED, evidence: `seller's block: ${seller}`, valid: true };
  for (const line of lines) {
    if (NOT_A_SIRET_LINE.test(line.folded)) continue;
    for (const match of line.text.matchAll(SIRET_IN_TEXT)) {
      const value = normalizeSiret(match[1] ?? '');
      if (isValidSiret(value) && !buyers.has(value)) {
        return { value, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(line), valid: true };
      }
    }
  }
  return null;
}

export function sirenIn(lines: readonly Line[]): FieldValue<string> | null {
  for (const line of lines) {
    for (const match of line.folded.matchAll(/\bsiren\b|\br\.?\s?c\.?\s?s\.?(?![a-z])[a-z .'-]{0,40}?(?=\d)/g)) {
      const after = match.index + match[0].length;
      const skip = /^[^0-9\n]{0,12}?(?=\d)/.exec(line.text.slice(after));
      if (!skip) continue;
      SIREN_DIGITS.lastIndex = after + skip[0].length;
      const digits = SIREN_DIGITS.exec(line.text)?.[1];
      if (!digits) continue;
      const value = normalizeSiret(digits);
      const valid = isValidSiren(value);
      const confidence = valid ? CONFIDENCE.CHECKED : CONFIDENCE.CHECKSUM_FAILED;
      return { value, confidence, evidence: evidenceOf(line), valid };
    }
  }
  return null;
}

export function sirenFromSiret(siret: FieldValue<string> | null): FieldValue<string> | null {
  if (!siret) return null;
  const value = sirenOfSiret(siret.value);
  const valid = isValidSiren(value);
  return { ...siret, value, valid, confidence: valid ? siret.confidence : CONFIDENCE.CHECKSUM_FAILED };
}

// EU VAT numbers (and the UK's and Switzerland's), after removing spaces and dots; Monaco uses FR numbers.
const VAT_FORMATS: Readonly<Record<string, RegExp>> = {
  FR: /^FR[0-9A-HJ-NP-Z]{2}\d{9}$/,
  DE: /^DE\d{9}$/,
  AT: /^ATU\d{8}$/,
  BE: /^BE[01]\d{9}$/,
  ES: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/,
  IT: /^IT\d{11}$/,
  NL: /^NL\d{9}B\d{2}$/,
  LU: /^LU\d{8}$/,
  PT: /^PT\d{9}$/,
  IE: /^IE\d[A-Z0-9+*]\d{5}[A-Z]{1,2}$/,
  GB: /^GB(?:\d{9}|\d{12})$/,
  CH: /^CHE\d{9}(?:MWST|TVA|IVA)?$/,
  DK: /^DK\d{8}$/,
  SE: /^SE\d{12}$/,
  PL: /^PL\d{10}$/,
  FI: /^FI\d{8}$/,
};

const VAT_IN_TEXT = /(?<![A-Za-z0-9])(?:[A-Z]{2}|ATU|CHE)-?\s?[0-9A-Z](?:[ .]?[0-9A-Z]){6,13}(?![A-Za-z0-9])/g;
const VAT_LABEL =
  /\b(?:tva|vat|ust\.?\s?-?\s?id\w*|ust-?idnr|umsatzsteuer-?id\w*|steuer-?id\w*|mwst|btw|iva|identifiant\s*fiscal)\b/;

/** The seller's VAT id: a well-formed EU VAT number, labelled (not the customer's), else the first one. */
export function findVatId(text: string): FieldValue<string> | null {
  return vatIdIn(toLines(text));
}

export function vatIdIn(lines: readonly Line[]): FieldValue<string> | null {
  let unlabelled: FieldValue<string> | null = null;
  for (const line of lines) {
    if (/\biban\b/.test(line.folded)) continue;
    for (const match of line.text.matchAll(VAT_IN_TEXT)) {
      const value = normalizeVatId(match[0]);
      if (!VAT_FORMATS[value.slice(0, 2)]?.test(value)) continue;
      const before = line.folded.slice(Math.max(0, match.index - 40), match.index);
      const labelled = VAT_LABEL.test(before);
      if (labelled && CUSTOMER_CONTEXT.test(before)) continue;
      const valid = value.startsWith('FR') ? isValidFrenchVat(value) : undefined;
      let confidence: number = labelled ? CONFIDENCE.LABELLED : CONFIDENCE.LAYOUT_GUESS;
      if (valid === true) confidence = labelled ? CONFIDENCE.CHECKED : CONFIDENCE.WEAK_CUE;
      if (valid === false) confidence = CONFIDENCE.CHECKSUM_FAILED;
      const field: FieldValue<string> = { value, confidence, evidence: evidenceOf(line) };
      if (valid !== undefined) field.valid = valid;
      if (labelled) return field;
      if (!CUSTOMER_CONTEXT.test(before)) unlabelled ??= field;
    }
  }
  return unlabelled;
}
