/**
 * Amounts and the total to pay. Every amount of a line is found by one pattern (grouped thousands, decimals,
 * sign and currency before or after) and kept only with two decimals or a currency mark; the total is the
 * amount after the most specific total label (the amount to pay, then the total including taxes, then a bare
 * « Total » not qualified as a subtotal or a tax), on the label's line or the line next to it, else the
 * largest amount of the document at a fallback confidence.
 */
import { parseAmountToCents, type Cents } from '../../domain/money';
import { CONFIDENCE, lowered, type FieldValue } from './confidence';
import { cellBelow, type Cell, type Row } from '../layout';
import { allMatches, evidenceOf, nextLines, previousLine, toLines, type Line } from './lines';

export interface AmountMatch {
  cents: Cents;
  /** The amount as printed, sign and currency included. */
  raw: string;
  /** Line number (0-based, blank lines counted) and column of the match. */
  line: number;
  column: number;
}

// A number with optional grouped thousands and decimals, an optional sign and currency before or after.
// Not preceded by a digit, a letter or a separator (so never the tail of a longer number or of a code), not
// followed by a digit, a decimal part or a percent sign (rates are not amounts).
const AMOUNT_IN_TEXT = new RegExp(
  String.raw`(?<![\p{L}\d.,'’/-])` +
    // A sign after « 14.00 » is a range (« 14.00 - 17.00 Uhr »), not a negative amount.
    String.raw`(?:(?<!\d\s?)[-−–+]\s?)?` +
    String.raw`(?:(?:€|£|\$|EUR|GBP|USD|CHF)\s?(?:[-−]\s?)?)?` +
    String.raw`(?:\d{1,3}(?<sep>[ .,'’])\d{3}(?:\k<sep>\d{3})*|\d+)` +
    String.raw`(?<decimals>[.,]\d{1,2})?` +
    String.raw`(?![\d]|[.,]\d|\s?%|[/:]\d|\s?(?:[Uu]hr|h)\b)` +
    String.raw`(?<suffix>\s?(?:€|£|\$|(?:EUR|EUROS?|euros?|GBP|USD|CHF)(?![\p{L}])))?`,
  'gu',
);
const CURRENCY_MARK = /€|£|\$|EUR|GBP|USD|CHF|euro/i;

/**
 * Every amount of the text, in reading order. A number counts as an amount when it has two decimals or a
 * currency mark: quantities, rates, years and the digits of dates, phone numbers or identifiers do not.
 */
export function findAmounts(text: string): AmountMatch[] {
  return toLines(text).flatMap(amountsInLine);
}

// Labels repeat on a line (« Total … Total … »): each line is scanned for amounts and dates once.
const amountsByLine = new WeakMap<Line, AmountMatch[]>();

function amountsInLine(line: Line): AmountMatch[] {
  const cached = amountsByLine.get(line);
  if (cached) return cached;
  const found: AmountMatch[] = [];
  for (const match of line.text.matchAll(AMOUNT_IN_TEXT)) {
    const raw = match[0].trim();
    const decimals = match.groups?.['decimals'];
    const twoDecimals = decimals !== undefined && decimals.length === 3;
    if (!twoDecimals && !CURRENCY_MARK.test(raw)) continue;
    const cents = parseAmountToCents(raw);
    if (cents === null) continue;
    found.push({ cents, raw, line: line.index, column: match.index + match[0].indexOf(raw) });
  }
  amountsByLine.set(line, found);
  return found;
}

interface TotalLabel {
  pattern: RegExp;
  confidence: number;
}

// Searched in folded text (lower case, no accents). The amount to pay comes first: after a deposit or a
// prepayment it is what the transfer carries, then the total including taxes, then a bare « Total ».
const TOTAL_LABELS: readonly TotalLabel[] = [
  ...[
    /\bnet\s*a\s*payer\b/,
    /\bmontant\s*(?:net\s*)?a\s*payer\b/,
    /\b(?:solde|reste|somme)\s*a\s*payer\b/,
    /\btotal\s*(?:net\s*)?a\s*payer\b/,
    /\b(?:amount|balance|total)\s*due\b/,
    /\bmontant\s*du\b/,
    /\bdue\s*payable\b/,
    /\b(?:amount|total|net)\s*(?:payable|to\s*(?:be\s*)?pa(?:y|id))\b/,
    /\bopen\s*amount\b/,
    /\bresidual\b/,
    /\bzahlbetrag\b/,
    /\bzu\s*zahlen(?:der\s*betrag)?\b/,
    /\b(?:offener|rest)\s*betrag\b/,
  ].map((pattern) => ({ pattern, confidence: CONFIDENCE.LABELLED })),
  ...[
    /\btotal\s*t\.?\s?t\.?\s?c\b/,
    /\bmontant\s*t\.?\s?t\.?\s?c\b/,
    /\btotal\s*toutes\s*taxes/,
    /\bmontant\s*total\s*brut\b/,
    /\bgross\s*total\b/,
    /\btotal\s*gross\b/,
    /\bgrand\s*total\b/,
    /\btotal\s*(?:amount\s*)?incl/,
    /\binvoice\s*total\b/,
    /\bbruttosumme\b/,
    /\bbruttobetrag\b/,
    /\brechnungssumme\s*brutto\b/,
    /\brechnungsbetrag\b/,
    /\bgesamtbetrag\b(?!\s*der\s*(?:zu|ab)schl)/,
    /\bgesamtsumme\b/,
    /\bendbetrag\b/,
  ].map((pattern) => ({ pattern, confidence: CONFIDENCE.LABELLED })),
  ...[
    /(?<![\p{L}-])total(?![\p{L}])/u,
    /\bmontant\s*total\b/,
    /\brechnungssumme\b(?!\s*(?:ohne|netto|net)\b)/,
    /\bsumme\b(?!\s*(?:ohne|netto|net|waren|positionen)\b)/,
  ].map((pattern) => ({ pattern, confidence: CONFIDENCE.WEAK_CUE })),
];

// Words next to a bare « Total » that make it a subtotal, a tax or a count, not the amount to pay.
const NOT_THE_TOTAL =
  /\b(?:h\.?\s?t|hors|tva|vat|tax(?:es)?|net|without|excl|lines?|sous|sub|price|quantit\w*|items?)\b/;
// Lines whose amounts are never the invoice total (share capital in the legal footer).
const NEVER_A_TOTAL_LINE = /\bcapital\b|\bstammkapital\b/;

/**
 * The total to pay: the amount after the most specific total label (same line, or the next line when it
 * holds only that amount), else the largest amount of the document with a fallback confidence. Among
 * several lines with the same label the last one wins (totals close the document; earlier ones may be
 * page subtotals).
 */
export function findTotalToPay(text: string): FieldValue<Cents> | null {
  return totalToPayIn(toLines(text));
}

/** `rows`: the page's rows (extraction/layout.ts), where a totals table prints its amounts under their labels. */
export function totalToPayIn(lines: readonly Line[], rows: readonly Row[] = []): FieldValue<Cents> | null {
  for (const label of TOTAL_LABELS) {
    let best: FieldValue<Cents> | null = null;
    for (const line of lines) {
      for (const match of allMatches(label.pattern, line.folded)) {
        const around = line.folded.slice(Math.max(0, match.index - 8), match.index + match[0].length + 14);
        if (label.confidence < CONFIDENCE.LABELLED && NOT_THE_TOTAL.test(around)) continue;
        const found = amountAfterLabel(lines, line, match.index + match[0].length, label.confidence);
        if (found) best = found;
      }
    }
    if (best) return crossChecked(lines, best, rows);
  }
  const amounts = lines
    .filter((line) => !NEVER_A_TOTAL_LINE.test(line.folded))
    .flatMap(amountsInLine)
    .sort((a, b) => Math.abs(b.cents) - Math.abs(a.cents));
  // No total label read (OCR: « TotaiTTc »): the amount that the total excluding tax and the tax add up to.
  const isSumOfParts = totalOfParts(lines, rows);
  for (const amount of amounts) {
    const evidence = evidenceOf(lines[amount.line]);
    if (isSumOfParts(amount.cents)) return { value: amount.cents, confidence: CONFIDENCE.UNCONFIRMED, evidence };
    if (lostComma(amount.cents, isSumOfParts)) {
      const confidence = lowered(CONFIDENCE.UNCONFIRMED, true);
      return { value: amount.cents / 100, confidence, evidence, repaired: true };
    }
  }
  const largest = amounts[0];
  if (!largest) return null;
  return { value: largest.cents, confidence: CONFIDENCE.FALLBACK, evidence: evidenceOf(lines[largest.line]) };
}

function amountAfterLabel(
  lines: readonly Line[],
  line: Line,
  labelEnd: number,
  confidence: number,
): FieldValue<Cents> | null {
  const onLine = amountsInLine(line).find((amount) => amount.column >= labelEnd);
  if (onLine) return { value: onLine.cents, confidence, evidence: evidenceOf(line) };
  if (/\p{L}{3,}/u.test(line.text.slice(labelEnd).replace(CURRENCY_MARK, ''))) return null;
  const [next] = nextLines(lines, line, 1);
  const below = next ? loneAmount(next) : null;
  if (next && below) {
    return {
      value: below.cents,
      confidence: Math.min(confidence, CONFIDENCE.WEAK_CUE),
      evidence: evidenceOf(line, next),
    };
  }
  // OCR of a right-aligned total may print the amount just above its label (« €134.60 » then « Open Amount »).
  const previous = previousLine(lines, line);
  const above = previous ? loneAmount(previous) : null;
  if (previous && above) {
    return { value: above.cents, confidence: CONFIDENCE.LAYOUT_GUESS, evidence: evidenceOf(previous, line) };
  }
  return null;
}

/** The amount when it is all the line holds (with its currency), else null. */
export function loneAmount(line: Line): AmountMatch | null {
  const amounts = amountsInLine(line);
  const [only] = amounts;
  if (amounts.length !== 1 || !only) return null;
  const rest = line.text.replace(only.raw, '').replace(/[\s:()|]/g, '');
  return rest === '' || /^(?:€|£|\$|EUR|GBP|USD|CHF|euros?)$/i.test(rest) ? only : null;
}

// ---- Cross-checks ---------------------------------------------------------------------------------------------

const EXCLUDING_TAX_LABELS: readonly RegExp[] = [
  /\b(?:total|montant)\s*h\.?\s?t\b/,
  /\btotal\s*hors\s*tax/,
  /\b(?:total\s*)?net\s*amount\b/,
  /\btotal\s*(?:excl|net)\b/,
  /\b(?:netto(?:betrag|summe)|summe\s*netto|gesamt\s*netto|rechnungssumme\s*netto)\b/,
];
const TAX_LABELS: readonly RegExp[] = [
  /(?<![a-z])t\.?\s?v\.?\s?a(?![a-z])/,
  /\bvat\b/,
  /\b(?:mwst|ust|umsatzsteuer|mehrwertsteuer)\b/,
  /\b(?:total\s*)?tax(?:es)?\b/,
  // OCR glues a table heading's words: « TOTALTVA ».
  /\btotal\s*tva\b/,
];
const TAX_EXEMPT = /non\s*applicable|exoner|exempt|art\.?\s*261|steuerfrei|kleinunternehmer/;
/** What a totals table's heading cell may hold beside its label: « (EUR) », « Montant », « 20 % » is not. */
const TOTALS_HEADING_REST = /^[^\d]{0,12}$/;

export const INCLUDING_TAX_LABELS = TOTAL_LABELS.filter((label) => label.confidence === CONFIDENCE.LABELLED).map(
  (label) => label.pattern,
);

/**
 * The amounts printed alone in the cell under a cell that holds one of `labels` and, beside it, only what `rest`
 * matches: the values of a table whose headings are a row of labels. In the order of the page.
 */
export function amountsUnderLabels(
  rows: readonly Row[],
  labels: readonly RegExp[],
  rest: RegExp,
): { label: Cell; below: Cell; cents: Cents }[] {
  const found: { label: Cell; below: Cell; cents: Cents }[] = [];
  for (const [index, row] of rows.entries()) {
    for (const cell of row.cells) {
      const label = labels.map((pattern) => pattern.exec(cell.folded)).find((match) => match !== null);
      if (!label || !rest.test(cell.folded.replace(label[0], ''))) continue;
      const below = cellBelow(rows, index, cell);
      const [line] = below ? toLines(below.text) : [];
      const amount = line ? loneAmount(line) : null;
      if (below && amount) found.push({ label: cell, below, cents: amount.cents });
    }
  }
  return found;
}

/**
 * The first amount after each occurrence of the labels (same line, or alone on the next one), and the amount printed
 * under each cell that holds only one of them (a totals table: « Total HT | TVA | Total TTC » over the amounts).
 */
function amountsAfter(lines: readonly Line[], labels: readonly RegExp[], rows: readonly Row[] = []): Cents[] {
  const found: Cents[] = amountsUnderLabels(rows, labels, TOTALS_HEADING_REST).map((under) => under.cents);
  for (const line of lines) {
    for (const label of labels) {
      for (const match of allMatches(label, line.folded)) {
        const amount = amountAfterLabel(lines, line, match.index + match[0].length, CONFIDENCE.LABELLED);
        if (amount) found.push(amount.value);
      }
    }
  }
  return found;
}

/**
 * Whether OCR lost the decimal comma of an amount (« 11 383,30 € » read « 1138330 € »): a whole number of euros whose
 * hundredth the total excluding tax and the tax add up to. Commas are lost, never made up.
 */
function lostComma(cents: Cents, isSumOfParts: (amount: Cents) => boolean): boolean {
  return cents % 100 === 0 && cents !== 0 && isSumOfParts(cents / 100);
}

/**
 * Whether an amount is what the total excluding tax and the tax printed (labelled) add up to, or the total excluding
 * tax alone under a VAT exemption.
 */
function totalOfParts(lines: readonly Line[], rows: readonly Row[]): (amount: Cents) => boolean {
  const excludingTax = amountsAfter(lines, EXCLUDING_TAX_LABELS, rows);
  const taxes = amountsAfter(lines, TAX_LABELS, rows);
  const exempt = lines.some((line) => TAX_EXEMPT.test(line.folded));
  return (amount) => excludingTax.some((ht) => taxes.some((tax) => ht + tax === amount) || (exempt && ht === amount));
}

/**
 * A labelled total is confirmed (CHECKED) when the document's other amounts agree with it: the total excluding tax
 * plus the tax (or alone, under a VAT exemption), another total label giving the same amount, or a total including
 * tax that is itself confirmed, less an amount the document prints (a prepayment, a payment received). Unconfirmed,
 * it stays below the confidence an automatic refusal needs (UNCONFIRMED): a running balance, a sub-total or a
 * contract's annual amount near a « total » word must not refuse a correct invoice.
 */
export function crossChecked(
  lines: readonly Line[],
  total: FieldValue<Cents>,
  rows: readonly Row[] = [],
): FieldValue<Cents> {
  const sumsUp = totalOfParts(lines, rows);
  const includingTax = amountsAfter(lines, INCLUDING_TAX_LABELS, rows);
  const printed = new Set(lines.flatMap(amountsInLine).map((amount) => Math.abs(amount.cents)));
  const value = total.value;
  const confirmed =
    sumsUp(value) ||
    includingTax.filter((amount) => amount === value).length >= 2 ||
    includingTax.some((ttc) => ttc !== value && sumsUp(ttc) && printed.has(Math.abs(ttc - value)));
  if (confirmed) return { ...total, confidence: CONFIDENCE.CHECKED };
  if (lostComma(value, sumsUp)) {
    return { ...total, value: value / 100, confidence: lowered(CONFIDENCE.CHECKED, true), repaired: true };
  }
  const unconfirmed = total.confidence >= CONFIDENCE.LABELLED ? CONFIDENCE.UNCONFIRMED : CONFIDENCE.UNCONFIRMED_CUE;
  return { ...total, confidence: Math.min(total.confidence, unconfirmed) };
}
