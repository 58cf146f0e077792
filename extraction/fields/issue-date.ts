/**
 * The issue date: the date after an issue-date label (« Date de facture », « Invoice date »,
 * « Rechnungsdatum »…, same line or first on the next one), then the date found with the invoice number
 * (its layout guess or its line), then after a generic « Date : » / « Datum », else the first date of the
 * document that is not a due date, a period, a delivery or an order date.
 */
import { CONFIDENCE, type FieldValue } from './confidence';
import { datesInLine, numericDateOrder, type DateOrder } from './dates';
import { allMatches, evidenceOf, nextLines, toLines, type Line } from './lines';
import { invoiceNumberIn, type InvoiceNumberRead } from './invoice-number';

const ISSUE_DATE_LABELS: readonly RegExp[] = [
  /\bdate\s*(?:de\s*(?:la\s*)?)?factur(?:e|ation)\b(?!\s*(?:associee|liee|d'origine))/,
  /\bdate\s*d['’]?\s*emission\b/,
  /\bemise?\s*le\b/,
  /\binvoice\s*date\b/,
  /\bdate\s*of\s*(?:issue|invoice)\b/,
  /\bissue\s*date\b/,
  /\bissued\s*(?:at|on)\b/,
  /\b(?:rechnungs|beleg|ausstellungs)datum\b/,
  // A letter's date line: « Sèvres, le 10 décembre 2026 ».
  /^[a-z][a-z' -]{1,40},\s*le(?=\s*\d)/,
];

/** Lines whose dates are not the issue date: a due date, a period, a delivery or an order. */
const OTHER_DATE_LINE =
  /\b(?:echeance|due|payable|faellig|falligkeit|periode|period|du\s+\d.*\bau\b|livraison|delivery|commande|order|lieferung|leistung\w*|bestellung)/;

// « vom » alone is no label: « Bestellung vom 01.03.2018 » dates the order. « Rechnung Nr. 7 vom … » is read on
// the invoice-number line instead.
const GENERIC_DATE_LABELS: readonly RegExp[] = [/(?<![a-z'])date\s*:/, /\bdatum\b/];

/**
 * The issue date: after « Date de facture », « Date d'émission », « Invoice date », « Rechnungsdatum »…
 * (same line or the next one), then on the invoice-number line (« Facture n° 12 du 17/05/2022 »,
 * « Rechnung Nr. 7 vom 30.10.2018 »), then after a bare « Date : » / « Datum », else the first date.
 */
export function findIssueDate(text: string): FieldValue<string> | null {
  const lines = toLines(text);
  const order = numericDateOrder(lines);
  return issueDateIn(lines, order, invoiceNumberIn(lines, order));
}

export function issueDateIn(
  lines: readonly Line[],
  order: DateOrder,
  invoice: InvoiceNumberRead | null,
): FieldValue<string> | null {
  const labelled = dateAfterLabels(lines, ISSUE_DATE_LABELS, order, CONFIDENCE.LABELLED);
  if (labelled) return labelled;
  if (invoice?.orphanDate) {
    const { iso, line } = invoice.orphanDate;
    return { value: iso, confidence: CONFIDENCE.LAYOUT_GUESS, evidence: evidenceOf(invoice.line, line) };
  }
  if (invoice && invoice.field.confidence >= CONFIDENCE.WEAK_CUE) {
    const [onNumberLine] = datesInLine(invoice.line, order);
    if (onNumberLine) {
      return { value: onNumberLine.iso, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(invoice.line) };
    }
  }
  const generic = dateAfterLabels(lines, GENERIC_DATE_LABELS, order, CONFIDENCE.WEAK_CUE);
  if (generic) return generic;
  const first = lines
    .filter((line) => !OTHER_DATE_LINE.test(line.folded))
    .flatMap((line) => datesInLine(line, order))[0];
  return first
    ? { value: first.iso, confidence: CONFIDENCE.LAYOUT_GUESS, evidence: evidenceOf(lines[first.line]) }
    : null;
}

function dateAfterLabels(
  lines: readonly Line[],
  labels: readonly RegExp[],
  order: DateOrder,
  confidence: number,
): FieldValue<string> | null {
  for (const label of labels) {
    for (const line of lines) {
      for (const match of allMatches(label, line.folded)) {
        const end = match.index + match[0].length;
        const onLine = datesInLine(line, order).find((date) => date.column >= end);
        if (onLine && /^[\s:.,-]*$/.test(line.text.slice(end, onLine.column))) {
          return { value: onLine.iso, confidence, evidence: evidenceOf(line) };
        }
        if (!/^\s*[:.]?\s*$/.test(line.text.slice(end, end + 80)) || line.text.length > end + 80) continue;
        const [next] = nextLines(lines, line, 1);
        const [first] = next ? datesInLine(next, order) : [];
        if (next && first && first.column === next.text.search(/\S/)) {
          return {
            value: first.iso,
            confidence: Math.min(confidence, CONFIDENCE.WEAK_CUE),
            evidence: evidenceOf(line, next),
          };
        }
      }
    }
  }
  return null;
}
