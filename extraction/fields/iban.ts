/**
 * The IBAN: a country code, two check digits and the account groups with any spacing, after an « IBAN » label
 * (same or next line, or wrapped from one onto the next) or anywhere when it passes ISO 13616 mod 97. OCR
 * look-alike letters in its digits are repaired only when the repair makes it valid.
 */
import { IBAN_LENGTHS, isValidIban } from '../../domain/identifiers';
import { CONFIDENCE, lowered, type FieldValue } from './confidence';
import { evidenceOf, nextLines, repairDigits, toLines, type Line } from './lines';

const IBAN_RUN = /(?<![A-Za-z0-9])([A-Z]{2})\s?([0-9OIl]{2})((?:\s?[A-Z0-9|lo]){8,40})/g;

/**
 * The IBAN: after an « IBAN » label (same or next line), with any spacing, checked by ISO 13616 mod 97.
 * Look-alike letters in its digits (O for 0, I for 1) are repaired only when the repair makes it valid. A
 * labelled IBAN that stays invalid is still returned, `valid: false` at the lowest confidence: sample and
 * scanned invoices do carry such values, and a validator must see what was printed. Without a label, only a
 * valid IBAN is taken.
 */
export function findIban(text: string): FieldValue<string> | null {
  return ibanIn(toLines(text));
}

export function ibanIn(lines: readonly Line[]): FieldValue<string> | null {
  let invalid: FieldValue<string> | null = null;
  for (const line of lines) {
    for (const label of line.folded.matchAll(/\bi\.?\s?b\.?\s?a\.?\s?n\b\.?/g)) {
      const rest = line.text.slice(label.index + label[0].length);
      const sameLine = ibanInText(rest, true);
      const [next] = nextLines(lines, line, 1);
      // An IBAN wrapped onto the next line: only mod 97 accepts the joined groups.
      const wrapped = sameLine && !sameLine.valid && next ? ibanInText(`${rest} ${next.text.trim()}`, true) : null;
      const read = wrapped?.valid ? wrapped : (sameLine ?? (next ? ibanInText(next.text, true) : null));
      if (!read) continue;
      const field = { ...read, evidence: sameLine && read !== wrapped ? evidenceOf(line) : evidenceOf(line, next) };
      if (field.valid) return field;
      invalid ??= field;
    }
  }
  if (invalid) return invalid;
  for (const line of lines) {
    const read = ibanInText(line.text, false);
    if (read?.valid) return { ...read, evidence: evidenceOf(line) };
  }
  return null;
}

function ibanInText(text: string, labelled: boolean): Omit<FieldValue<string>, 'evidence'> | null {
  let fallback: Omit<FieldValue<string>, 'evidence'> | null = null;
  for (const match of text.matchAll(IBAN_RUN)) {
    const country = match[1] ?? '';
    const expected = IBAN_LENGTHS[country];
    const compact = `${country}${match[2] ?? ''}${match[3] ?? ''}`.replace(/\s/g, '');
    if (expected === undefined) continue;
    const raw = compact.length >= expected ? compact.slice(0, expected) : ibanGroupsOnly(match[0]);
    const printed = raw.toUpperCase();
    if (isValidIban(printed)) {
      return { value: printed, confidence: labelled ? CONFIDENCE.CHECKED : CONFIDENCE.WEAK_CUE, valid: true };
    }
    const repairedValue = country + repairDigits(raw.slice(2));
    if (repairedValue !== printed && isValidIban(repairedValue)) {
      const confidence = lowered(labelled ? CONFIDENCE.CHECKED : CONFIDENCE.WEAK_CUE, true);
      return { value: repairedValue, confidence, valid: true, repaired: true };
    }
    // A bar is no IBAN character (OCR's 1): the value stays upper-case alphanumerics, as ibanGroupsOnly keeps it.
    // Read as 1, the bar may be all a valid IBAN lacked: then it is a repair like the others.
    const barless = printed.replace(/\|/g, '1');
    if (barless !== printed && isValidIban(barless)) {
      return {
        value: barless,
        confidence: lowered(labelled ? CONFIDENCE.CHECKED : CONFIDENCE.WEAK_CUE, true),
        valid: true,
        repaired: true,
      };
    }
    fallback ??= { value: barless, confidence: CONFIDENCE.CHECKSUM_FAILED, valid: false };
  }
  return labelled ? fallback : null;
}

/** A too-short run: keep the groups that look like IBAN groups, drop a trailing word (« … 00 BIC »). */
function ibanGroupsOnly(run: string): string {
  const groups = run.trim().split(/\s+/);
  while (groups.length > 1 && /[A-Z]{3,}/.test(groups[groups.length - 1] ?? '')) groups.pop();
  return groups.join('').replace(/\|/g, '1');
}
