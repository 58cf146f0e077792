import { MIN_CONFIDENCE_TO_REFUSE, type ControlCode } from '../../../../domain/controls';
import type { FieldPosition } from '../../../../domain/reading';
import { FIELDS } from './labels';
import type { Control, CorrectableField, Correction, Detail } from './types';

/**
 * What the validator judges: each read field as the reading gave it, with its confidence, and as corrected since
 * (the latest correction of a field wins; the deposited document and the reading themselves never change).
 */

/** Below this confidence a value is uncertain: the controls never refuse on it (domain/controls.ts), a human reads it. */
export const UNCERTAIN_BELOW = MIN_CONFIDENCE_TO_REFUSE;

export interface FieldReading {
  field: CorrectableField;
  /** As read on the document. */
  read: string | number | null;
  /** 0..1, null when nothing was read at all. */
  confidence: number | null;
  /** What the controls now judge: the latest correction, else the reading. */
  value: string | number | null;
  correction: Correction | null;
  /** Read with a low confidence and not corrected since. */
  uncertain: boolean;
  /** The controls of this field that did not pass. */
  controls: Control[];
  /** Where the value was read on the document (its latest version), when the reading found it. */
  position: FieldPosition | null;
}

/** The controls that judge each field. */
const FIELD_CONTROLS: Record<CorrectableField, readonly ControlCode[]> = {
  invoiceNumber: ['INVOICE_NUMBER', 'INVOICE_NUMBER_UNIQUE'],
  proFormaNumber: ['PRO_FORMA_NUMBER'],
  totalCents: ['TOTAL_AMOUNT'],
  issueDate: [],
  siret: ['SIRET'],
  iban: ['IBAN_VALID', 'IBAN_MATCHES_CFA'],
};

export function fieldReadings(detail: Detail): FieldReading[] {
  const extraction = detail.extraction;
  const corrections = [...(detail.desk?.corrections ?? [])].sort((a, b) => a.version - b.version);
  return FIELDS.map((field) => {
    const read = extraction ? extraction.fields[field] : null;
    const confidence = extraction ? (extraction.fieldConfidences[field] ?? 0) : null;
    const correction = corrections.filter((c) => c.field === field).at(-1) ?? null;
    return {
      field,
      read,
      confidence,
      value: correction ? correction.after : read,
      correction,
      uncertain: correction === null && confidence !== null && confidence < UNCERTAIN_BELOW,
      controls: detail.controls.filter(
        (c) => c.outcome !== 'PASSED' && (FIELD_CONTROLS[field] as readonly string[]).includes(c.code),
      ),
      position: extraction?.fieldPositions[field] ?? null,
    };
  });
}

export function currentValue(detail: Detail, field: CorrectableField): string | number | null {
  return fieldReadings(detail).find((f) => f.field === field)?.value ?? null;
}

/** The CFA's registered IBAN (the desk's `cfaBanking`, staff only); null when the detail has no desk. */
export function registeredIban(detail: Detail): string | null {
  return detail.desk?.cfaBanking.iban ?? null;
}
