import { parseAmountToCents, type Cents } from '../domain/money';
import {
  IBAN_LENGTHS,
  isProFormaNumber,
  isValidFrenchVat,
  isValidIban,
  isValidSiren,
  isValidSiret,
  normalizeSiret,
  normalizeVatId,
  sirenOfSiret,
  type ProFormaNumber,
} from '../domain/identifiers';

/**
 * Text → invoice fields, for the PDF text layer and for OCR output. Pure: no I/O, no Node built-ins, so the
 * same parsers can be benchmarked, unit-tested and reused on any reader's text.
 *
 * Every field carries a confidence on one scale, so that the controls can tell "absent or wrong" (refuse)
 * from "uncertain" (send to a validator, domain.md):
 * - 1.0 labelled and checksum-valid (SIRET Luhn, IBAN mod 97, French VAT key), or an exact `PRO-########`;
 * - 0.9 labelled, for a field that has no checksum (invoice number, total, date, currency, foreign VAT id);
 * - 0.8 a weaker cue: the value on the line after its label, a heading (« Facture FA-12 »), a generic label
 *   (« Total »), or no label but a passing checksum;
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

// ---------------------------------------------------------------------------------------------------------
// Lines

interface Line {
  /** Position among all lines of the text, blank ones included. */
  index: number;
  /** The line with every kind of space turned into a plain space. */
  text: string;
  /** Same length as `text`, lower case and without accents: labels are searched here, values read in `text`. */
  folded: string;
}

function toLines(text: string): Line[] {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\t\f\v\u00a0\u2007\u2009\u202f\u200b]/g, ' ')
    .split('\n')
    .map((line, index) => ({ index, text: line, folded: fold(line) }));
}

/** Lower case without diacritics, one UTF-16 unit for one, so that indexes in `folded` are indexes in `text`. */
function fold(text: string): string {
  if (!/[\u0080-\uffff]/.test(text)) return text.toLowerCase();
  let out = '';
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) {
      out += char.toLowerCase();
      continue;
    }
    const folded = char.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
    out += folded.length === char.length ? folded : char;
  }
  return out;
}

function evidenceOf(...lines: (Line | undefined)[]): string {
  return lines
    .filter((line): line is Line => line !== undefined)
    .map((line) => line.text.trim())
    .join(' ⏎ ')
    .slice(0, 200);
}

function previousLine(lines: readonly Line[], line: Line): Line | undefined {
  for (let i = line.index - 1; i >= 0; i -= 1) {
    const previous = lines[i];
    if (previous && previous.text.trim() !== '') return previous;
  }
  return undefined;
}

/** The next non-blank lines after `line`, at most `count` of them. */
function nextLines(lines: readonly Line[], line: Line, count: number): Line[] {
  const found: Line[] = [];
  for (let i = line.index + 1; i < lines.length && found.length < count; i += 1) {
    const next = lines[i];
    if (next && next.text.trim() !== '') found.push(next);
  }
  return found;
}

function allMatches(pattern: RegExp, text: string): RegExpExecArray[] {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  return [...text.matchAll(new RegExp(pattern.source, flags))];
}

function lowered(confidence: number, repaired: boolean): number {
  return repaired ? Math.max(CONFIDENCE.LAYOUT_GUESS, round2(confidence - OCR_REPAIR_PENALTY)) : confidence;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

// ---------------------------------------------------------------------------------------------------------
// Amounts

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

function totalToPayIn(lines: readonly Line[]): FieldValue<Cents> | null {
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
    if (best) return best;
  }
  const amounts = lines
    .filter((line) => !NEVER_A_TOTAL_LINE.test(line.folded))
    .flatMap(amountsInLine)
    .sort((a, b) => Math.abs(b.cents) - Math.abs(a.cents));
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
function loneAmount(line: Line): AmountMatch | null {
  const amounts = amountsInLine(line);
  const [only] = amounts;
  if (amounts.length !== 1 || !only) return null;
  const rest = line.text.replace(only.raw, '').replace(/[\s:()|]/g, '');
  return rest === '' || /^(?:€|£|\$|EUR|GBP|USD|CHF|euros?)$/i.test(rest) ? only : null;
}

// ---------------------------------------------------------------------------------------------------------
// Invoice number

const NUMBER_SIGN = String.raw`(?:n\s?[°º*'=]|(?:n\s?o|nr|num(?:ero|ber|mer)?)(?![a-z])|#)\.?`;
// « N° de facture associée / liée / d'origine » names another invoice (a credit note's reference).
const OTHER_INVOICE = String.raw`(?!\s*(?:associee|liee|d'origine|d['’]?\s?origine|initiale|precedente|rectifiee|d'acompte|de\s*reference))`;

const INVOICE_NUMBER_LABELS: readonly RegExp[] = [
  new RegExp(
    String.raw`(?<![a-z])(?:numero|n\s?[°º*'=]|no\.?|nr\.?|num\.?)\s*(?:de\s*(?:la\s*)?)?(?:facture|avoir)\b${OTHER_INVOICE}`,
  ),
  new RegExp(String.raw`\b(?:facture|avoir)\s*${NUMBER_SIGN}`),
  new RegExp(String.raw`\b(?:invoice|credit\s*note|bill)\s*${NUMBER_SIGN}`),
  new RegExp(String.raw`\b(?:invoice|document)\s*id\b`),
  /\brechnungs\s?-?\s?(?:nummer|nr\b\.?)/,
  /\b(?:rechnung|gutschrift)\s*(?:nr\b\.?|nummer)/,
  /\bbeleg\s?-?\s?(?:nummer|nr\b\.?)/,
  // Mustang's layout: « Handelsrechnung (380) 05.03.2018 Nr. 471102 vom ».
  /\b(?:handels)?rechnung(?:skorrektur)?\b[^:]{0,40}?(?<![a-z])nr\b\.?/,
];
// A document title followed by its number: « Facture FA-2017-0010 », « Avoir AV-12 », « Invoice 2024-7 ».
const INVOICE_HEADING =
  /^\s*(?:facture|avoir|invoice|credit\s*note|note\s*de\s*credit|rechnung|gutschrift)\s*:?\s+(?=[a-z0-9/._-]*\d)/;
const TOKEN = /[A-Za-z0-9](?:[A-Za-z0-9/._-]*[A-Za-z0-9])?/y;

interface InvoiceNumberRead {
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

function invoiceNumberIn(lines: readonly Line[], order: DateOrder): InvoiceNumberRead | null {
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
  if (!unfilledLabel) return null;
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
  return isDocumentNumber(token, order) ? token : null;
}

function isDocumentNumber(token: string, order: DateOrder): boolean {
  if (!/\d/.test(token) || token.length > 40) return false;
  if (parseDate(token, order) !== null) return false;
  if (normalizeProFormaReference(token) !== null) return false;
  if (/^\d{1,3}$/.test(token)) return false;
  return true;
}

/** A token printed on its own (a whole line, or the last word of one), when it can be a document number. */
function standaloneDocumentNumber(text: string, order: DateOrder): string | null {
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

// ---------------------------------------------------------------------------------------------------------
// Pro forma reference

const DIGIT_LIKE = '[0-9OoQDIl|]';
// `PRO-` + 8 digits as OCR may deliver it: `PR0`, any dash or none, spaces between digit groups, O, Q or D for
// 0 and I, l or | for 1. Not the tail of a word (« APRO ») and not followed by a ninth digit.
const PRO_REFERENCE = new RegExp(
  String.raw`(?<![A-Za-z0-9])[Pp]\s?[Rr]\s?[Oo0]\s{0,2}[-‐‑‒–—−_.:]?\s{0,2}` +
    String.raw`((?:${DIGIT_LIKE}\s{0,2}){7}${DIGIT_LIKE})(?!\s?[0-9])(?![A-Za-z0-9])`,
  'g',
);
// « pro forma n° 00603901 »: the number without its prefix.
const PRO_FORMA_LABEL = /\bpro[\s-]?forma\b[^0-9\n]{0,24}?(?<!\d)(\d{8})(?!\d)/g;

/** `PRO-0O6O39O1` → `PRO-00603901`; null when the text is not a (damaged) pro forma reference. */
export function normalizeProFormaReference(text: string): ProFormaNumber | null {
  const match = new RegExp(`^\\s*${PRO_REFERENCE.source}\\s*$`).exec(text);
  const digits = match?.[1] ? proFormaDigits(match[1]) : null;
  return digits ? `PRO-${digits}` : null;
}

/** The 8 digits of a printed reference, look-alikes repaired; null when too few real digits were printed. */
function proFormaDigits(printed: string): string | null {
  const compact = printed.replace(/\s/g, '');
  if ((compact.match(/\d/g) ?? []).length < 4) return null;
  const digits = repairDigits(compact);
  return /^\d{8}$/.test(digits) ? digits : null;
}

function repairDigits(text: string): string {
  return text.replace(/[OoQD]/g, '0').replace(/[Il|]/g, '1');
}

/**
 * The pro forma number recalled on the invoice (`PRO-00603901`), repaired from OCR look-alikes. Confidence
 * drops when a repair was needed, and again when several different references are printed.
 */
export function findProFormaReference(text: string): FieldValue<ProFormaNumber> | null {
  return proFormaReferenceIn(toLines(text));
}

function proFormaReferenceIn(lines: readonly Line[]): FieldValue<ProFormaNumber> | null {
  const found: FieldValue<ProFormaNumber>[] = [];
  for (const line of lines) {
    for (const match of line.text.matchAll(PRO_REFERENCE)) {
      const digits = proFormaDigits(match[1] ?? '');
      if (!digits) continue;
      const value = `PRO-${digits}` as const;
      const repaired = match[0] !== value;
      found.push({ value, confidence: lowered(CONFIDENCE.CHECKED, repaired), evidence: evidenceOf(line), repaired });
    }
    for (const match of line.folded.matchAll(PRO_FORMA_LABEL)) {
      const value = `PRO-${match[1] ?? ''}` as const;
      if (!isProFormaNumber(value) || found.some((field) => field.value === value)) continue;
      found.push({ value, confidence: lowered(CONFIDENCE.CHECKED, true), evidence: evidenceOf(line), repaired: true });
    }
  }
  const [first] = [...found].sort((a, b) => b.confidence - a.confidence);
  if (!first) return null;
  const distinct = new Set(found.map((field) => field.value));
  return distinct.size > 1 ? { ...first, confidence: CONFIDENCE.LAYOUT_GUESS } : first;
}

// ---------------------------------------------------------------------------------------------------------
// SIRET, SIREN

const SIRET_DIGITS = /((?:[0-9OIl|][ .]?){13}[0-9OIl|])(?![ .]?[0-9])/y;
const SIRET_IN_TEXT = /(?<![\dA-Za-z])(\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5})(?![ .]?\d)/g;
const SIREN_DIGITS = /(\d{3}[ .]?\d{3}[ .]?\d{3})(?![ .]?\d)/y;
// Words before a label that make the value the buyer's (or its tax representative's), not the seller's.
const CUSTOMER_CONTEXT = /\b(?:client|customer|buyer|acheteur|kunde|kunden|destinataire|representant)\b/;
const NOT_A_SIRET_LINE = /\b(?:gtin|ean|gln|iban|bic|tel|telephone|phone|fax|mobile|duns|ust|tva|vat)\b/;

/**
 * The SIRET: 14 digits (grouped or not) after a « SIRET » label, preferring one that passes Luhn; a labelled
 * SIRET failing Luhn is returned with `valid: false` and the lowest confidence, never as valid. Without a
 * label, only a Luhn-valid 14-digit number away from phone, bank and article codes is taken.
 */
export function findSiret(text: string): FieldValue<string> | null {
  return siretIn(toLines(text));
}

/** The SIREN: 9 digits after « SIREN » or « RCS <ville> ». Without one, the first 9 digits of the SIRET. */
export function findSiren(text: string): FieldValue<string> | null {
  const lines = toLines(text);
  return sirenIn(lines) ?? sirenFromSiret(siretIn(lines));
}

function siretIn(lines: readonly Line[]): FieldValue<string> | null {
  // The first labelled SIRET is the seller's (the header or the legal footer); a later valid one is more
  // likely the buyer's, and taking it would turn a misread into a confident « not the CFA's SIRET ».
  for (const line of lines) {
    for (const match of line.folded.matchAll(/\bsiret\b/g)) {
      if (CUSTOMER_CONTEXT.test(line.folded.slice(Math.max(0, match.index - 40), match.index))) continue;
      const after = match.index + match[0].length;
      const skip = /^[^0-9\n]{0,16}?(?=[0-9OIl|])/.exec(line.text.slice(after));
      if (!skip) continue;
      SIRET_DIGITS.lastIndex = after + skip[0].length;
      const digitsMatch = SIRET_DIGITS.exec(line.text);
      if (!digitsMatch?.[1]) continue;
      const compact = normalizeSiret(digitsMatch[1]);
      if ((compact.match(/\d/g) ?? []).length < 10) continue;
      const value = repairDigits(compact);
      const repaired = value !== compact;
      const valid = isValidSiret(value);
      const confidence = valid ? lowered(CONFIDENCE.CHECKED, repaired) : CONFIDENCE.CHECKSUM_FAILED;
      return { value, confidence, evidence: evidenceOf(line), valid, repaired };
    }
  }
  for (const line of lines) {
    if (NOT_A_SIRET_LINE.test(line.folded)) continue;
    for (const match of line.text.matchAll(SIRET_IN_TEXT)) {
      const value = normalizeSiret(match[1] ?? '');
      if (isValidSiret(value)) {
        return { value, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(line), valid: true };
      }
    }
  }
  return null;
}

function sirenIn(lines: readonly Line[]): FieldValue<string> | null {
  for (const line of lines) {
    for (const match of line.folded.matchAll(/\bsiren\b|\br\.?\s?c\.?\s?s\.?(?![a-z])[a-z .'-]{0,40}?(?=\d)/g)) {
      const after = match.index + match[0].length;
      const skip = /^[^0-9\n]{0,12}?(?=\d)/.exec(line.text.slice(after));
      if (!skip) continue;
      SIREN_DIGITS.lastIndex = after + skip[0].length;
      const digits = SIREN_DIGITS.exec(line.text)?.[1];
      if (!digits) continue;
      const value = normalizeSiret(digits);
      const valid = isValidSiren(value);
      const confidence = valid ? CONFIDENCE.CHECKED : CONFIDENCE.CHECKSUM_FAILED;
      return { value, confidence, evidence: evidenceOf(line), valid };
    }
  }
  return null;
}

function sirenFromSiret(siret: FieldValue<string> | null): FieldValue<string> | null {
  if (!siret) return null;
  const value = sirenOfSiret(siret.value);
  const valid = isValidSiren(value);
  return { ...siret, value, valid, confidence: valid ? siret.confidence : CONFIDENCE.CHECKSUM_FAILED };
}

// ---------------------------------------------------------------------------------------------------------
// VAT id

// EU VAT numbers (and the UK's and Switzerland's), after removing spaces and dots; Monaco uses FR numbers.
const VAT_FORMATS: Readonly<Record<string, RegExp>> = {
  FR: /^FR[0-9A-HJ-NP-Z]{2}\d{9}$/,
  DE: /^DE\d{9}$/,
  AT: /^ATU\d{8}$/,
  BE: /^BE[01]\d{9}$/,
  ES: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/,
  IT: /^IT\d{11}$/,
  NL: /^NL\d{9}B\d{2}$/,
  LU: /^LU\d{8}$/,
  PT: /^PT\d{9}$/,
  IE: /^IE\d[A-Z0-9+*]\d{5}[A-Z]{1,2}$/,
  GB: /^GB(?:\d{9}|\d{12})$/,
  CH: /^CHE\d{9}(?:MWST|TVA|IVA)?$/,
  DK: /^DK\d{8}$/,
  SE: /^SE\d{12}$/,
  PL: /^PL\d{10}$/,
  FI: /^FI\d{8}$/,
};
const VAT_IN_TEXT = /(?<![A-Za-z0-9])(?:[A-Z]{2}|ATU|CHE)-?\s?[0-9A-Z](?:[ .]?[0-9A-Z]){6,13}(?![A-Za-z0-9])/g;
const VAT_LABEL =
  /\b(?:tva|vat|ust\.?\s?-?\s?id\w*|ust-?idnr|umsatzsteuer-?id\w*|steuer-?id\w*|mwst|btw|iva|identifiant\s*fiscal)\b/;

/** The seller's VAT id: a well-formed EU VAT number, labelled (not the customer's), else the first one. */
export function findVatId(text: string): FieldValue<string> | null {
  return vatIdIn(toLines(text));
}

function vatIdIn(lines: readonly Line[]): FieldValue<string> | null {
  let unlabelled: FieldValue<string> | null = null;
  for (const line of lines) {
    if (/\biban\b/.test(line.folded)) continue;
    for (const match of line.text.matchAll(VAT_IN_TEXT)) {
      const value = normalizeVatId(match[0]);
      if (!VAT_FORMATS[value.slice(0, 2)]?.test(value)) continue;
      const before = line.folded.slice(Math.max(0, match.index - 40), match.index);
      const labelled = VAT_LABEL.test(before);
      if (labelled && CUSTOMER_CONTEXT.test(before)) continue;
      const valid = value.startsWith('FR') ? isValidFrenchVat(value) : undefined;
      let confidence: number = labelled ? CONFIDENCE.LABELLED : CONFIDENCE.LAYOUT_GUESS;
      if (valid === true) confidence = labelled ? CONFIDENCE.CHECKED : CONFIDENCE.WEAK_CUE;
      if (valid === false) confidence = CONFIDENCE.CHECKSUM_FAILED;
      const field: FieldValue<string> = { value, confidence, evidence: evidenceOf(line) };
      if (valid !== undefined) field.valid = valid;
      if (labelled) return field;
      if (!CUSTOMER_CONTEXT.test(before)) unlabelled ??= field;
    }
  }
  return unlabelled;
}

// ---------------------------------------------------------------------------------------------------------
// IBAN

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

function ibanIn(lines: readonly Line[]): FieldValue<string> | null {
  let invalid: FieldValue<string> | null = null;
  for (const line of lines) {
    for (const label of line.folded.matchAll(/\bi\.?\s?b\.?\s?a\.?\s?n\b\.?/g)) {
      const sameLine = ibanInText(line.text.slice(label.index + label[0].length), true);
      const [next] = nextLines(lines, line, 1);
      const read = sameLine ?? (next ? ibanInText(next.text, true) : null);
      if (!read) continue;
      const field = { ...read, evidence: sameLine ? evidenceOf(line) : evidenceOf(line, next) };
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
    fallback ??= { value: printed, confidence: CONFIDENCE.CHECKSUM_FAILED, valid: false };
  }
  return labelled ? fallback : null;
}

/** A too-short run: keep the groups that look like IBAN groups, drop a trailing word (« … 00 BIC »). */
function ibanGroupsOnly(run: string): string {
  const groups = run.trim().split(/\s+/);
  while (groups.length > 1 && /[A-Z]{3,}/.test(groups[groups.length - 1] ?? '')) groups.pop();
  return groups.join('').replace(/\|/g, '1');
}

// ---------------------------------------------------------------------------------------------------------
// Dates

export type DateOrder = 'DMY' | 'MDY';

export interface DateMatch {
  /** YYYY-MM-DD */
  iso: string;
  raw: string;
  line: number;
  column: number;
}

// prettier-ignore
const MONTHS: Readonly<Record<string, number>> = {
  janvier: 1, janv: 1, january: 1, januar: 1, janner: 1, jan: 1,
  fevrier: 2, fevr: 2, fev: 2, february: 2, februar: 2, feb: 2,
  mars: 3, march: 3, marz: 3, maerz: 3, mrz: 3, mar: 3,
  avril: 4, avr: 4, april: 4, apr: 4,
  mai: 5, may: 5,
  juin: 6, june: 6, juni: 6, jun: 6,
  juillet: 7, juil: 7, july: 7, juli: 7, jul: 7,
  aout: 8, august: 8, aug: 8,
  septembre: 9, september: 9, sept: 9, sep: 9,
  octobre: 10, october: 10, oktober: 10, oct: 10, okt: 10,
  novembre: 11, november: 11, nov: 11,
  decembre: 12, december: 12, dezember: 12, dec: 12, dez: 12,
};
const MONTH = `(${Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|')})(?![a-z])\\.?`;

// Searched in folded text. Day-month-year in words (« 18 sept. 2023 », « 18. September 2023 », « 1er mai
// 2024 »), month-day-year (« September 18, 2023 »), ISO, then numbers with one separator kind.
const DATE_PATTERNS: readonly { pattern: RegExp; parts: 'DMY-word' | 'MDY-word' | 'YMD' | 'numeric' }[] = [
  {
    pattern: new RegExp(String.raw`(?<!\d)(\d{1,2})(?:er|st|nd|rd|th)?\.?\s+${MONTH},?\s+(\d{4})(?!\d)`, 'g'),
    parts: 'DMY-word',
  },
  {
    pattern: new RegExp(String.raw`(?<![a-z])${MONTH}\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)`, 'g'),
    parts: 'MDY-word',
  },
  { pattern: /(?<![\d.])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d]|[.,]\d)/g, parts: 'YMD' },
  { pattern: /(?<![\d.,/-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d]|[.,/-]\d)/g, parts: 'numeric' },
];

/** Every date of the text, in reading order (the day-month order of numeric dates is the document's). */
export function findDates(text: string, order?: DateOrder): DateMatch[] {
  const lines = toLines(text);
  return lines.flatMap((line) => datesInLine(line, order ?? numericDateOrder(lines)));
}

/**
 * One date, alone in `text`, as YYYY-MM-DD: `17/05/2022`, `17.05.2022`, `17-05-22`, `2023-09-18`,
 * `18 sept. 2023`, `18 septembre 2023`, `18. September 2023`, `September 18, 2023`. Numeric dates are read
 * day first unless `order` is 'MDY'. Null for anything else, impossible dates included.
 */
export function parseDate(text: string, order: DateOrder = 'DMY'): string | null {
  const line: Line = { index: 0, text: text.trim(), folded: fold(text.trim()) };
  const [only, ...others] = datesInLine(line, order);
  return only && others.length === 0 && only.raw === line.text ? only.iso : null;
}

const datesByLine = { DMY: new WeakMap<Line, DateMatch[]>(), MDY: new WeakMap<Line, DateMatch[]>() };

function datesInLine(line: Line, order: DateOrder): DateMatch[] {
  const cached = datesByLine[order].get(line);
  if (cached) return cached;
  const found: DateMatch[] = [];
  const taken: [number, number][] = [];
  for (const { pattern, parts } of DATE_PATTERNS) {
    for (const match of line.folded.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      if (taken.some(([from, to]) => start < to && end > from)) continue;
      const iso = isoFromParts(match, parts, order);
      if (!iso) continue;
      taken.push([start, end]);
      found.push({ iso, raw: line.text.slice(start, end), line: line.index, column: start });
    }
  }
  found.sort((a, b) => a.column - b.column);
  datesByLine[order].set(line, found);
  return found;
}

function isoFromParts(match: RegExpExecArray, parts: string, order: DateOrder): string | null {
  const [, a = '', b = '', c = '', d = ''] = match;
  switch (parts) {
    case 'DMY-word':
      return isoDate(Number(c), MONTHS[b] ?? 0, Number(a));
    case 'MDY-word':
      return isoDate(Number(c), MONTHS[a] ?? 0, Number(b));
    case 'YMD':
      return isoDate(Number(a), Number(c), Number(d));
    default: {
      const year = d.length === 2 ? 2000 + Number(d) : Number(d);
      return order === 'MDY' ? isoDate(year, Number(a), Number(c)) : isoDate(year, Number(c), Number(a));
    }
  }
}

function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1900 || year > 2199 || month < 1 || month > 12 || day < 1) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day > days) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Whether the document writes numeric dates month first: only when some date has a second number above 12
 * (`11/17/2017`) and none has a first number above 12. French and German invoices are day first.
 */
function numericDateOrder(lines: readonly Line[]): DateOrder {
  let dayFirst = 0;
  let monthFirst = 0;
  for (const line of lines) {
    for (const match of line.folded.matchAll(/(?<![\d.,/-])(\d{1,2})([/.-])(\d{1,2})\2(?:\d{4}|\d{2})(?!\d)/g)) {
      const first = Number(match[1]);
      const second = Number(match[3]);
      if (first > 12 && second <= 12) dayFirst += 1;
      if (second > 12 && first <= 12) monthFirst += 1;
    }
  }
  return monthFirst > 0 && dayFirst === 0 ? 'MDY' : 'DMY';
}

const ISSUE_DATE_LABELS: readonly RegExp[] = [
  /\bdate\s*(?:de\s*(?:la\s*)?)?factur(?:e|ation)\b(?!\s*(?:associee|liee|d'origine))/,
  /\bdate\s*d['’]?\s*emission\b/,
  /\bemise?\s*le\b/,
  /\binvoice\s*date\b/,
  /\bdate\s*of\s*(?:issue|invoice)\b/,
  /\bissue\s*date\b/,
  /\bissued\s*(?:at|on)\b/,
  /\b(?:rechnungs|beleg|ausstellungs)datum\b/,
];
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

function issueDateIn(
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
  const first = lines.flatMap((line) => datesInLine(line, order))[0];
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

// ---------------------------------------------------------------------------------------------------------
// Currency

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'CAD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'XPF'] as const;
const CURRENCY_LABEL = /\b(?:devise|currency|(?:rechnungs)?wahrung|monnaie)\s*:?\s*(?:[a-z ]{0,12}\()?\s*([a-z]{3})\b/g;
const CURRENCY_SIGNS: readonly [RegExp, string][] = [
  [/€|\beur\b|\beuros?\b/g, 'EUR'],
  [/£|\bgbp\b/g, 'GBP'],
  [/\$|\busd\b/g, 'USD'],
  [/\bchf\b/g, 'CHF'],
];

/** The invoice currency (ISO 4217): a « Devise / Currency / Währung » label, else the most printed sign. */
export function findCurrency(text: string): FieldValue<string> | null {
  return currencyIn(toLines(text));
}

function currencyIn(lines: readonly Line[]): FieldValue<string> | null {
  for (const line of lines) {
    for (const match of line.folded.matchAll(CURRENCY_LABEL)) {
      const code = (match[1] ?? '').toUpperCase();
      if ((CURRENCIES as readonly string[]).includes(code)) {
        return { value: code, confidence: CONFIDENCE.LABELLED, evidence: evidenceOf(line) };
      }
    }
  }
  let best: { code: string; count: number; line?: Line } = { code: '', count: 0 };
  for (const [pattern, code] of CURRENCY_SIGNS) {
    const counts = lines.map((line) => line.folded.match(pattern)?.length ?? 0);
    const count = counts.reduce((sum, n) => sum + n, 0);
    if (count > best.count) best = { code, count, line: lines[counts.findIndex((n) => n > 0)] };
  }
  return best.count > 0 ? { value: best.code, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(best.line) } : null;
}
