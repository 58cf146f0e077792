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
import { toLines, type Line } from './fields/lines';
import { proFormaReferenceIn } from './fields/pro-forma';
import { buyerBlocks, invoiceNumberUnderLabel, sellerBlocks, totalUnderLabel } from './fields/in-layout';
import { rowsOf, rowsText, type Row, type Word } from './layout';

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
 * Every field of an invoice from its text and, when the reader gives them, its words with their positions (and
 * `known.buyerSirets`, the buyers' SIRETs of the page a region was cut from, never taken for the seller's): a
 * number in a header table and the buyer's and seller's blocks are found by layout (fields/in-layout.ts), the rest
 * by the text. OCR's text follows tesseract's blocks, which part a label printed left from its value printed right
 * (« Rechnungsdatum » … « 30.05.2026 » twenty lines apart): the page is also read row by row from the words'
 * positions, and of the two readings of each field the surer is kept, the text's on a tie (preferring the rows lost
 * a « Net à payer » to a confirmed « Total TTC » above it).
 */
export function parseInvoiceFields(
  text: string,
  words: readonly Word[] = [],
  known: { buyerSirets?: ReadonlySet<string> } = {},
): ParsedFields {
  const rows = rowsOf(words);
  const buyers = new Set([...buyerSiretsIn(rows), ...(known.buyerSirets ?? [])]);
  const fromText = parseLines(toLines(text), rows, buyers);
  if (!words.some((word) => word.line !== undefined)) return fromText;
  const fromRows = parseLines(toLines(rowsText(rows)), rows, buyers);
  return {
    invoiceNumber: surer(fromText.invoiceNumber, fromRows.invoiceNumber),
    proFormaNumber: surer(fromText.proFormaNumber, fromRows.proFormaNumber),
    totalCents: surer(fromText.totalCents, fromRows.totalCents),
    issueDate: surer(fromText.issueDate, fromRows.issueDate),
    siret: surer(fromText.siret, fromRows.siret),
    siren: surer(fromText.siren, fromRows.siren),
    vatId: surer(fromText.vatId, fromRows.vatId),
    iban: surer(fromText.iban, fromRows.iban),
    currency: surer(fromText.currency, fromRows.currency),
  };
}

function parseLines(lines: readonly Line[], rows: readonly Row[], buyers: ReadonlySet<string>): ParsedFields {
  const order = numericDateOrder(lines);
  const invoiceNumber = invoiceNumberIn(lines, order);
  const siret = siretIn(lines, { buyers, sellers: siretsIn(sellerBlocks(rows).join('\n')) });
  return {
    invoiceNumber: surer(invoiceNumber?.field ?? null, invoiceNumberUnderLabel(rows, order)),
    proFormaNumber: proFormaReferenceIn(lines),
    totalCents: surer(totalToPayIn(lines, rows), totalUnderLabel(rows, lines)),
    issueDate: issueDateIn(lines, order, invoiceNumber),
    siret,
    siren: sirenIn(lines) ?? sirenFromSiret(siret),
    vatId: vatIdIn(lines),
    iban: ibanIn(lines),
    currency: currencyIn(lines),
  };
}

/** Of two candidates for a field, the one read with more confidence (the first on a tie). */
function surer<F extends FieldValue<unknown>>(first: F | null, second: F | null): F | null {
  if (!first) return second;
  if (!second) return first;
  return second.confidence > first.confidence ? second : first;
}

/** The SIRETs printed in the buyers' blocks of a page read into `words`: never the seller's. */
export function buyerSirets(words: readonly Word[]): Set<string> {
  return buyerSiretsIn(rowsOf(words));
}

function buyerSiretsIn(rows: readonly Row[]): Set<string> {
  return siretsIn(buyerBlocks(rows).join('\n'));
}
