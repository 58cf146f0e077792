/**
 * Text → invoice fields, for the PDF text layer and for OCR output. Pure: no I/O, no Node built-ins, so the
 * same parsers can be benchmarked, unit-tested and reused on any reader's text.
 *
 * This entry reads every field of an invoice at once: the text is cut into lines once, the document's numeric
 * date order is settled once, and each parser of `fields/` (one module per concern: amounts, invoice number,
 * pro forma reference, company identifiers, IBAN, dates, issue date, currency) reads those lines. The single
 * field finders and the confidence scale are re-exported from here for the readers, tests and benchmarks.
 */
import type { Cents } from '../domain/money';
import type { ProFormaNumber } from '../domain/identifiers';
import { totalToPayIn } from './fields/amounts';
import { sirenFromSiret, sirenIn, siretIn, vatIdIn } from './fields/company-ids';
import type { FieldValue } from './fields/confidence';
import { currencyIn } from './fields/currency';
import { numericDateOrder } from './fields/dates';
import { ibanIn } from './fields/iban';
import { invoiceNumberIn } from './fields/invoice-number';
import { issueDateIn } from './fields/issue-date';
import { toLines } from './fields/lines';
import { proFormaReferenceIn } from './fields/pro-forma';

export { CONFIDENCE, OCR_REPAIR_PENALTY, type FieldValue } from './fields/confidence';
export { findAmounts, findTotalToPay, type AmountMatch } from './fields/amounts';
export { findInvoiceNumber } from './fields/invoice-number';
export { findProFormaReference, normalizeProFormaReference } from './fields/pro-forma';
export { findSiren, findSiret, findVatId } from './fields/company-ids';
export { findIban } from './fields/iban';
export { findDates, parseDate, type DateMatch, type DateOrder } from './fields/dates';
export { findIssueDate } from './fields/issue-date';
export { findCurrency } from './fields/currency';

export interface ParsedFields {
  invoiceNumber: FieldValue<string> | null;
  proFormaNumber: FieldValue<ProFormaNumber> | null;
  totalCents: FieldValue<Cents> | null;
  /** YYYY-MM-DD */
  issueDate: FieldValue<string> | null;
  siret: FieldValue<string> | null;
  siren: FieldValue<string> | null;
  vatId: FieldValue<string> | null;
  iban: FieldValue<string> | null;
  /** ISO 4217 code */
  currency: FieldValue<string> | null;
}

export function parseInvoiceFields(text: string): ParsedFields {
  const lines = toLines(text);
  const order = numericDateOrder(lines);
  const invoiceNumber = invoiceNumberIn(lines, order);
  const siret = siretIn(lines);
  return {
    invoiceNumber: invoiceNumber?.field ?? null,
    proFormaNumber: proFormaReferenceIn(lines),
    totalCents: totalToPayIn(lines),
    issueDate: issueDateIn(lines, order, invoiceNumber),
    siret,
    siren: sirenIn(lines) ?? sirenFromSiret(siret),
    vatId: vatIdIn(lines),
    iban: ibanIn(lines),
    currency: currencyIn(lines),
  };
}
