/**
 * Our own pro forma reference recalled on the invoice (`PRO-` and 8 digits), as OCR may print it: `PR0`, any
 * dash or none, spaces between digit groups, look-alike letters for 0 and 1, or the bare 8 digits after a
 * « pro forma » label. Look-alikes are repaired, at a lower confidence; several different references lower it
 * again.
 */
import { isProFormaNumber, type ProFormaNumber } from '../../domain/identifiers';
import { CONFIDENCE, lowered, type FieldValue } from './confidence';
import { evidenceOf, repairDigits, toLines, type Line } from './lines';

const DIGIT_LIKE = '[0-9OoQDIl|]';
// `PRO-` + 8 digits as OCR may deliver it: `PR0`, any dash or none, spaces between digit groups, O, Q or D for
// 0 and I, l or | for 1. Not the tail of a word (« APRO ») and not followed by a ninth digit.
const PRO_REFERENCE = new RegExp(
  String.raw`(?<![A-Za-z0-9])[Pp]\s?[Rr]\s?[Oo0]\s{0,2}[-‐‑‒–—−_.:]?\s{0,2}` +
    String.raw`((?:${DIGIT_LIKE}\s{0,2}){7}${DIGIT_LIKE})(?!\s?[0-9])(?![A-Za-z0-9])`,
  'g',
);
// « pro forma n° 00603901 »: the number without its prefix.
const PRO_FORMA_LABEL = /\bpro[\s-]?forma\b[^0-9\n]{0,24}?(?<!\d)(\d{8})(?!\d)/g;

/** `PRO-0O6O39O1` → `PRO-00603901`; null when the text is not a (damaged) pro forma reference. */
export function normalizeProFormaReference(text: string): ProFormaNumber | null {
  const match = new RegExp(`^\\s*${PRO_REFERENCE.source}\\s*$`).exec(text);
  const digits = match?.[1] ? proFormaDigits(match[1]) : null;
  return digits ? `PRO-${digits}` : null;
}

/** The 8 digits of a printed reference, look-alikes repaired; null when too few real digits were printed. */
function proFormaDigits(printed: string): string | null {
  const compact = printed.replace(/\s/g, '');
  if ((compact.match(/\d/g) ?? []).length < 4) return null;
  const digits = repairDigits(compact);
  return /^\d{8}$/.test(digits) ? digits : null;
}

/**
 * The pro forma number recalled on the invoice (`PRO-00603901`), repaired from OCR look-alikes. Confidence
 * drops when a repair was needed, and again when several different references are printed.
 */
export function findProFormaReference(text: string): FieldValue<ProFormaNumber> | null {
  return proFormaReferenceIn(toLines(text));
}

export function proFormaReferenceIn(lines: readonly Line[]): FieldValue<ProFormaNumber> | null {
  const found: FieldValue<ProFormaNumber>[] = [];
  for (const line of lines) {
    for (const match of line.text.matchAll(PRO_REFERENCE)) {
      const digits = proFormaDigits(match[1] ?? '');
      if (!digits) continue;
      const value = `PRO-${digits}` as const;
      const repaired = match[0] !== value;
      found.push({ value, confidence: lowered(CONFIDENCE.CHECKED, repaired), evidence: evidenceOf(line), repaired });
    }
    for (const match of line.folded.matchAll(PRO_FORMA_LABEL)) {
      const value = `PRO-${match[1] ?? ''}` as const;
      if (!isProFormaNumber(value) || found.some((field) => field.value === value)) continue;
      found.push({ value, confidence: lowered(CONFIDENCE.CHECKED, true), evidence: evidenceOf(line), repaired: true });
    }
  }
  const [first] = [...found].sort((a, b) => b.confidence - a.confidence);
  if (!first) return null;
  const distinct = new Set(found.map((field) => field.value));
  return distinct.size > 1 ? { ...first, confidence: CONFIDENCE.LAYOUT_GUESS } : first;
}
