/**
 * The invoice's own number: the token after a number label (« Facture n° », « N° de facture », « Invoice
 * No. », « Rechnungsnummer »…) on its line or alone on the next one, else after a document title
 * (« Facture FA-12 »), else a layout guess near a label left without a value. A token is a document number
 * when it holds a digit and is neither a date, an amount, a short count nor our own pro forma reference.
 */
import { parseAmountToCents } from '../../domain/money';
import { CONFIDENCE, type FieldValue } from './confidence';
import { numericDateOrder, parseDate, type DateOrder } from './dates';
import { allMatches, evidenceOf, nextLines, toLines, type Line } from './lines';
import { normalizeProFormaReference } from './pro-forma';

const NUMBER_SIGN = String.raw`(?:n\s?[°º*'=]|(?:n\s?o|nr|num(?:ero|ber|mer)?)(?![a-z])|#)\.?`;
// « N° de facture associée / liée / d'origine » names another invoice (a credit note's reference).
const OTHER_INVOICE = String.raw`(?!\s*(?:associee|liee|d'origine|d['’]?\s?origine|initiale|precedente|rectifiee|d'acompte|de\s*reference))`;

export const INVOICE_NUMBER_LABELS: readonly RegExp[] = [
  new RegExp(
    String.raw`(?<![a-z])(?:numero|n\s?[°º*'=]|no\.?|nr\.?|num\.?)\s*(?:de\s*(?:la\s*)?)?(?:facture|avoir)\b${OTHER_INVOICE}`,
  ),
  // « Facture affacturée n° » (a factored invoice, UNTDID 393) is printed « AFFACTUREE N° » under « FACTURE ».
  new RegExp(String.raw`\b(?:facture|avoir|affacturee)\s*${NUMBER_SIGN}`),
  // « Réf. facture », « Référence de la facture ».
  new RegExp(String.raw`\bref(?:\.|erence)?\s*(?:de\s*(?:la\s*)?)?(?:facture|avoir)\b${OTHER_INVOICE}`),
  new RegExp(String.raw`\b(?:invoice|credit\s*note|bill)\s*${NUMBER_SIGN}`),
  new RegExp(String.raw`\b(?:invoice|document)\s*id\b`),
  /\brechnungs\s?-?\s?(?:nummer|nr\b\.?)/,
  new RegExp(String.raw`\b(?:rechnung|gutschrift)\s*(?:nummer|${NUMBER_SIGN})`),
  /\bbeleg\s?-?\s?(?:nummer|nr\b\.?)/,
  // A title naming the document, then its number: « Handelsrechnung (380) 05.03.2018 Nr. 471102 vom »,
  // « Mietrechnung Nr. … », « Teilrechnung Bau (875) Nr. … », « Invoice information for accounting purposes (751)
  // Nr. … » (German compounds: any word ending in « rechnung »).
  // Not « Rechnung gemäß Bestellung Nr. … »: the number of the order or delivery it refers to.
  /(?:rechnung(?:skorrektur)?|invoice[a-z ]{0,40}?)(?![a-z])(?:(?!bestellung|lieferung|auftrag|order|angebot)[^:]){0,40}?(?<![a-z.-])nr\b\.?/,
];

/**
 * An order's title and number at the top of the page (Order-X: « PURCHASE ORDER: PO123 », « ORDER CHANGE: … »,
 * « ORDER RESPONSE: … », « Bon de commande n° … »): the document's own number when no invoice label names one. An
 * order is not an invoice (the controls say so); its number is still what a validator looks it up by.
 */
const ORDER_TITLE = new RegExp(
  String.raw`^\s*(?:purchase\s*order|order\s*(?:change|response)|bon\s*de\s*commande|bestellung)\s*(?:${NUMBER_SIGN})?\s*:`,
);
/** Lines at the top of a document where its title stands. */
const TITLE_LINES = 5;

// A document title followed by its number: « Facture FA-2017-0010 », « Avoir AV-12 », « Invoice 2024-7 ».
const INVOICE_HEADING =
  /^\s*(?:facture|avoir|invoice|credit\s*note|note\s*de\s*credit|rechnung|gutschrift)\s*:?\s+(?=[a-z0-9/._-]*\d)/;
const TOKEN = /[A-Za-z0-9](?:[A-Za-z0-9/._-]*[A-Za-z0-9])?/y;

export interface InvoiceNumberRead {
  field: FieldValue<string>;
  line: Line;
  /** Set when the number came from the layout guess, with the date printed under it. */
  orphanDate?: { iso: string; line: Line };
}

/**
 * The CFA's own invoice number: the token after « Facture n° », « N° de facture », « Invoice No. »,
 * « Rechnungsnummer »… (or on the next line), else after a document title, else a layout guess when the
 * label stands alone (text layers often print a header box's values away from its labels). Never a date
 * nor our own pro forma reference.
 */
export function findInvoiceNumber(text: string): FieldValue<string> | null {
  const lines = toLines(text);
  return invoiceNumberIn(lines, numericDateOrder(lines))?.field ?? null;
}

export function invoiceNumberIn(lines: readonly Line[], order: DateOrder): InvoiceNumberRead | null {
  let unfilledLabel: Line | null = null;
  for (const line of lines) {
    for (const label of INVOICE_NUMBER_LABELS) {
      for (const match of allMatches(label, line.folded)) {
        const token = documentNumberAt(line.text, match.index + match[0].length, order);
        if (token) {
          return { field: { value: token, confidence: CONFIDENCE.LABELLED, evidence: evidenceOf(line) }, line };
        }
        const rest = line.text.slice(match.index + match[0].length, match.index + match[0].length + 60);
        if (/[\p{L}\d]/u.test(rest.replace(/\b(?:de|du|vom)\b/gi, ''))) {
          continue;
        }
        const [next] = nextLines(lines, line, 1);
        const alone = next ? standaloneDocumentNumber(next.text, order) : null;
        if (next && alone) {
          return { field: { value: alone, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(line, next) }, line };
        }
        unfilledLabel ??= line;
      }
    }
  }
  for (const line of lines) {
    const heading = INVOICE_HEADING.exec(line.folded);
    if (!heading) continue;
    const token = documentNumberAt(line.text, heading[0].length, order);
    if (token) return { field: { value: token, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(line) }, line };
  }
  if (!unfilledLabel) {
    for (const line of lines.slice(0, TITLE_LINES)) {
      const title = ORDER_TITLE.exec(line.folded);
      const token = title ? documentNumberAt(line.text, title[0].length, order) : null;
      if (token) return { field: { value: token, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(line) }, line };
    }
    return null;
  }
  // A label alone at the end of its line, its value right-aligned on the line below (« Rechnungsnummer » over
  // « 80333 München   471102 »): layout readers keep the rows, not the columns.
  const [below] = nextLines(lines, unfilledLabel, 1);
  const lastToken = below?.text.trim().split(/\s+/).pop();
  if (below && lastToken && lastToken !== below.text.trim() && standaloneDocumentNumber(lastToken, order)) {
    return {
      field: { value: lastToken, confidence: CONFIDENCE.LAYOUT_GUESS, evidence: evidenceOf(unfilledLabel, below) },
      line: unfilledLabel,
    };
  }
  return orphanDocumentNumber(lines, unfilledLabel, order);
}

/** The token starting at `from` (after separators), when it can be a document number. */
function documentNumberAt(text: string, from: number, order: DateOrder): string | null {
  const start = from + (/^[\s:;.#°º*=-]*/.exec(text.slice(from))?.[0].length ?? 0);
  TOKEN.lastIndex = start;
  const token = TOKEN.exec(text)?.[0];
  if (!token) return null;
  const after = text.slice(start + token.length);
  // A token glued to a date (« 05.03.2018 ») or an amount is not a number of ours.
  if (/^[.,/-]\d/.test(after)) return null;
  const dated = /^\s+(?:vom|du|of|dated)\s+\d/i.test(after);
  return isDocumentNumber(token, order, dated) ? token : null;
}

function isDocumentNumber(token: string, order: DateOrder, dated = false): boolean {
  if (!/\d/.test(token) || token.length > 40) return false;
  if (parseDate(token, order) !== null) return false;
  if (normalizeProFormaReference(token) !== null) return false;
  // A count, unless the number is given with its date (« Nr. 123 vom 03.06.2025 »).
  if (/^\d{1,3}$/.test(token) && !(dated && token.length > 1)) return false;
  return true;
}

/** A token printed on its own (a whole line, or the last word of one), when it can be a document number. */
export function standaloneDocumentNumber(text: string, order: DateOrder): string | null {
  const token = text.trim();
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9/._-]*[A-Za-z0-9])?$/.test(token)) return null;
  if (parseAmountToCents(token) !== null && /[.,]\d{2}$/.test(token)) return null;
  return isDocumentNumber(token, order) && token.length >= 4 ? token : null;
}

/**
 * Layout guess for « FACTURE N° : » printed with no value beside it: a line holding a single number-like
 * token, preferably followed by a line holding a single date (a header box « N° / Date » whose values the
 * text layer printed elsewhere), else the nearest such token to the label.
 */
function orphanDocumentNumber(lines: readonly Line[], label: Line, order: DateOrder): InvoiceNumberRead | null {
  let best: { read: InvoiceNumberRead; rank: number } | null = null;
  for (const line of lines) {
    const token = standaloneDocumentNumber(line.text, order);
    if (!token || !/[A-Za-z]/.test(token) || !/\d{3}/.test(token)) continue;
    const [next] = nextLines(lines, line, 1);
    const iso = next ? parseDate(next.text.trim(), order) : null;
    const rank = (iso ? 0 : 10_000) + Math.abs(line.index - label.index);
    if (best && best.rank <= rank) continue;
    const read: InvoiceNumberRead = {
      field: { value: token, confidence: CONFIDENCE.LAYOUT_GUESS, evidence: evidenceOf(label, line) },
      line,
    };
    if (iso && next) read.orphanDate = { iso, line: next };
    best = { read, rank };
  }
  return best?.read ?? null;
}
