import type { InvoiceFieldName } from '../types';

/**
 * Whether a text layer certainly does not print a field: not one piece of text anywhere has the field's shape, let
 * alone its label. Only then may a missing field refuse an invoice automatically (domain/controls.ts); a field
 * merely not found (its label laid out in a way the parsers missed) goes to a validator. The shapes are loose on
 * purpose: anything that could be the field makes its absence uncertain.
 *
 * Fields without a shape of their own (the invoice number, the total, the dates) are never certainly absent.
 */
const SHAPES: Partial<Record<InvoiceFieldName, readonly RegExp[]>> = {
  // Our own `PRO-########`, however mangled, or the words that would introduce it.
  proFormaNumber: [/pro[\s_.:/-]*\d/i, /pro[\s-]*forma/i, /\d{8}/],
  // Nine digits or more, grouped or not (a SIRET, a SIREN), or their labels.
  siret: [/\d(?:[\s.]?\d){8}/, /siret|siren/i],
  siren: [/\d(?:[\s.]?\d){8}/, /siret|siren/i],
  // A country code and check digits, or the words of bank details.
  iban: [/\b[a-z]{2}\s?\d{2}(?:\s?[a-z0-9]{4})/i, /iban|rib\b|bic\b|bancaire|bank/i],
};

/** The fields `text` certainly does not print, among those with a shape. */
export function certainlyAbsent(text: string): ReadonlySet<InvoiceFieldName> {
  const absent = new Set<InvoiceFieldName>();
  for (const [field, shapes] of Object.entries(SHAPES) as [InvoiceFieldName, readonly RegExp[]][]) {
    if (!shapes.some((shape) => shape.test(text))) absent.add(field);
  }
  return absent;
}
