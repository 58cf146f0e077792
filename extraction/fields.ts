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
import { sirenFromSiret, sirenIn, siretIn, siretsIn, vatIdIn } from './fields/company-ids';
import type { FieldValue } from './fields/confidence';
import { currencyIn } from './fields/currency';
import { numericDateOrder } from './fields/dates';
import { ibanIn } from './fields/iban';
import { invoiceNumberIn } from './fields/invoice-number';
import { issueDateIn } from './fields/issue-date';
import { toLines } from './fields/lines';
import { proFormaReferenceIn } from './fields/pro-forma';
import { buyerBlocks, invoiceNumberUnderLabel, totalUnderLabel } from './fields/in-layout';
import { rowsOf, type Word } from './layout';

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

/**
 * Every field of an invoice from its text and, when the reader gives them, its words with their positions: a
 * number in a header table and the buyer's block are found by layout (fields/in-layout.ts), the rest by the text.
 */
export function parseInvoiceFields(text: string, words: readonly Word[] = []): ParsedFields {
  const lines = toLines(text);
  const rows = rowsOf(words);
  const order = numericDateOrder(lines);
  const invoiceNumber = invoiceNumberIn(lines, order);
  const buyers = siretsIn(buyerBlocks(rows).join('\n'));
  const siret = siretIn(lines, buyers);
  return {
    invoiceNumber: surer(invoiceNumber?.field ?? null, invoiceNumberUnderLabel(rows, order)),
    proFormaNumber: proFormaReferenceIn(lines),
    totalCents: surer(totalToPayIn(lines), totalUnderLabel(rows, lines)),
    issueDate: issueDateIn(lines, order, invoiceNumber),
    siret,
    siren: sirenIn(lines) ?? sirenFromSiret(siret),
    vatId: vatIdIn(lines),
    iban: ibanIn(lines),
    currency: currencyIn(lines),
  };
}

/** Of two candidates for a field, the one read with more confidence (the first on a tie). */
function surer<T>(first: FieldValue<T> | null, second: FieldValue<T> | null): FieldValue<T> | null {
  if (!first) return second;
  if (!second) return first;
  return second.confidence > first.confidence ? second : first;
}
