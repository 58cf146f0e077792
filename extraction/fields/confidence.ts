/**
 * The shape of a field read from the text (its value, the confidence, the evidence line shown to a validator,
 * the checksum result and whether OCR look-alikes were repaired) and the one confidence scale every parser
 * grades its finds on, with the penalty for an OCR repair.
 */

/**
 * Every field carries a confidence on one scale, so that the controls can tell "absent or wrong" (refuse)
 * from "uncertain" (send to a validator, domain.md):
 * - 1.0 labelled and checksum-valid (SIRET Luhn, IBAN mod 97, French VAT key), an exact `PRO-########`, or a
 *   total the document's other amounts confirm (HT + TVA, a second total label, TTC less a prepayment);
 * - 0.9 labelled, for a field that has no checksum (invoice number, total, date, currency, foreign VAT id);
 * - 0.8 a weaker cue: the value on the line after its label, a heading (« Facture FA-12 »), a generic label
 *   (« Total »), or no label but a passing checksum;
 * - 0.7 a total no other amount of the document confirms (no HT + TVA, no second total label agreeing): below
 *   what an automatic refusal needs (domain/controls.ts MIN_CONFIDENCE_TO_REFUSE), so a validator looks; 0.6 when
 *   it was only a weak cue (a generic « Total », the amount on the line after its label): of two unconfirmed
 *   totals, the one on its label's line is preferred;
 * - minus 0.3 when OCR characters had to be repaired (O→0, I→1, broken spacing or dashes);
 * - 0.5 a layout guess: the value printed away from its label, the first date of the document;
 * - 0.4 a fallback with no cue at all (the largest amount);
 * - 0.3 a labelled value that fails its checksum: kept, flagged `valid: false`, so a human looks at it
 *   rather than the invoice being refused for what may be a misread character.
 */
export const CONFIDENCE = {
  CHECKED: 1,
  LABELLED: 0.9,
  WEAK_CUE: 0.8,
  UNCONFIRMED: 0.7,
  UNCONFIRMED_CUE: 0.6,
  LAYOUT_GUESS: 0.5,
  FALLBACK: 0.4,
  CHECKSUM_FAILED: 0.3,
} as const;
export const OCR_REPAIR_PENALTY = 0.3;

export interface FieldValue<T> {
  value: T;
  /** 0..1, see CONFIDENCE. */
  confidence: number;
  /** The line the value was read from, shown to the validator beside the document. */
  evidence: string;
  /** Result of the field's checksum, for fields that have one (SIRET, SIREN, IBAN, French VAT id). */
  valid?: boolean;
  /** True when OCR look-alike characters were replaced to obtain the value. */
  repaired?: boolean;
}

export function lowered(confidence: number, repaired: boolean): number {
  return repaired ? Math.max(CONFIDENCE.LAYOUT_GUESS, round2(confidence - OCR_REPAIR_PENALTY)) : confidence;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
