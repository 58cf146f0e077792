import type { FieldPosition, FieldPositions, InvoiceFieldName, InvoiceFields } from '../domain/reading';
import { findAmounts } from './fields/amounts';
import { parseDate, type DateOrder } from './fields/dates';
import { fold } from './fields/lines';
import { rowsOf, type Row, type Word } from './layout';

/**
 * Where each value read is printed on its page, so that a validator sees it on the document: the words whose text
 * is the value (an identifier with its spaces or dots, an amount or a date in any of the forms the parsers read),
 * found after the reading on the words a text layer or OCR gave. A value printed several times is placed where a
 * label of its field stands on its row or the row above (« Net à payer », « IBAN »), else at its first print (a
 * total at its last: the totals close an invoice). A value the reader repaired (an OCR misread) or took from
 * another pass may be printed nowhere in these words: it has no position, and the page says so.
 *
 * Pure: words in, boxes out, in fractions of each page's size.
 */

export interface PageSize {
  width: number;
  height: number;
}

type Matcher = (text: string) => boolean;

interface FieldRule {
  matches: Matcher;
  /** Whether a print may start on this word: only those are tried, so a page of words is read in milliseconds. */
  starts: (word: string) => boolean;
  /** A print spans at most this many words. */
  maxWords: number;
  /** Folded labels that name the field on the value's row or the row above. */
  labels: readonly string[];
  /** Of several unlabelled prints, the last one (a total) rather than the first. */
  last?: boolean;
}

export function locateFields(
  fields: InvoiceFields,
  words: readonly Word[],
  pageSizes: ReadonlyMap<number, PageSize>,
): FieldPositions {
  const rows = rowsOf(words);
  const positions: FieldPositions = {};
  for (const [name, rule] of rulesFor(fields)) {
    const found = bestPrint(rows, rule);
    const size = found && pageSizes.get(found.page);
    if (found && size && size.width > 0 && size.height > 0) positions[name] = relative(found, size);
  }
  return positions;
}

function rulesFor(fields: InvoiceFields): Array<[InvoiceFieldName, FieldRule]> {
  const rules: Array<[InvoiceFieldName, FieldRule]> = [];
  const identifier = (name: InvoiceFieldName, value: string | null, labels: readonly string[]) => {
    const wanted = value === null ? '' : alphanumeric(value);
    if (wanted.length < 3) return;
    rules.push([
      name,
      {
        matches: (text) => isIdentifier(text, wanted),
        starts: (word) => {
          const printed = alphanumeric(word);
          return printed !== '' && (wanted.startsWith(printed) || isIdentifier(word, wanted));
        },
        // An IBAN in groups of four: 9 words; a number in groups of at least two characters.
        maxWords: Math.min(10, Math.ceil(wanted.length / 2) + 1),
        labels,
      },
    ]);
  };
  identifier('invoiceNumber', fields.invoiceNumber, ['facture', 'invoice', 'rechnung', 'n°', 'numero']);
  identifier('proFormaNumber', fields.proFormaNumber, ['pro forma', 'proforma', 'reference', 'ref']);
  identifier('siret', fields.siret, ['siret']);
  identifier('siren', fields.siren, ['siren', 'rcs']);
  identifier('vatId', fields.vatId, ['tva', 'vat', 'ust']);
  identifier('iban', fields.iban, ['iban']);
  if (fields.totalCents !== null) {
    const cents = Math.abs(fields.totalCents);
    rules.push([
      'totalCents',
      {
        matches: (text) => {
          const [only, ...others] = findAmounts(text);
          return only !== undefined && others.length === 0 && Math.abs(only.cents) === cents && covers(only.raw, text);
        },
        starts: hasDigit,
        // « 1 234 567,89 € »
        maxWords: 5,
        labels: ['net a payer', 'a payer', 'total', 'montant ttc', 'amount due', 'zu zahlen', 'gesamt', 'solde'],
        last: true,
      },
    ]);
  }
  if (fields.issueDate !== null) {
    const iso = fields.issueDate;
    const orders: readonly DateOrder[] = ['DMY', 'MDY'];
    rules.push([
      'issueDate',
      {
        matches: (text) => orders.some((order) => parseDate(text, order) === iso),
        starts: hasDigit,
        // « 3 décembre 2026 », « December 3, 2026 »
        maxWords: 3,
        labels: ['date', 'emise le', 'datum', 'du '],
      },
    ]);
  }
  return rules;
}

interface Print {
  page: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** 2: a label on its row, 1: on the row above, 0: none. */
  labelled: number;
}

function bestPrint(rows: readonly Row[], rule: FieldRule): Print | null {
  let best: Print | null = null;
  rows.forEach((row, index) => {
    const prints = printsIn(row, continuation(row, rows[index + 1]), rule);
    if (prints.length === 0) return;
    const above = rows[index - 1];
    const labelled = hasLabel(row, rule.labels) ? 2 : above?.page === row.page && hasLabel(above, rule.labels) ? 1 : 0;
    for (const print of prints) {
      const candidate = { ...print, labelled };
      if (!best || labelled > best.labelled || (labelled === best.labelled && rule.last)) best = candidate;
    }
  });
  return best;
}

/** The words of the next row when it follows right under `row`: an IBAN wrapped at the end of its line goes on. */
function continuation(row: Row, next: Row | undefined): readonly Word[] {
  if (!next || next.page !== row.page || next.y0 - row.y1 > row.y1 - row.y0) return [];
  return next.cells.flatMap((cell) => cell.words);
}

/**
 * The windows of consecutive words of a row whose text matches, the longest at each start, not overlapping, each
 * starting on a word that holds a letter or a digit; a window that reaches the row's end may go on into the first
 * words of the next row (`following`), the box then spanning both lines.
 */
function printsIn(row: Row, following: readonly Word[], rule: FieldRule): Array<Omit<Print, 'labelled'>> {
  const own = row.cells.flatMap((cell) => cell.words);
  const words = [...own, ...following];
  const prints: Array<Omit<Print, 'labelled'>> = [];
  for (let start = 0; start < own.length; start += 1) {
    // A window starts on a letter or a digit: « : FR76 … » is the same identifier as « FR76 … », boxed wider.
    const first = own[start]?.text ?? '';
    if (!/[\p{L}\p{N}]/u.test(first) || !rule.starts(first)) continue;
    for (let end = Math.min(words.length, start + rule.maxWords); end > start; end -= 1) {
      const window = words.slice(start, end);
      if (!rule.matches(window.map((w) => w.text).join(' '))) continue;
      prints.push({
        page: row.page,
        x0: Math.min(...window.map((w) => w.x0)),
        y0: Math.min(...window.map((w) => w.y0)),
        x1: Math.max(...window.map((w) => w.x1)),
        y1: Math.max(...window.map((w) => w.y1)),
      });
      start = end - 1;
      break;
    }
  }
  return prints;
}

function hasLabel(row: Row, labels: readonly string[]): boolean {
  const text = row.cells.map((cell) => cell.folded).join(' ');
  return labels.some((label) => text.includes(label));
}

function relative(print: Print, size: PageSize): FieldPosition {
  const x0 = clamp01(print.x0 / size.width);
  const y0 = clamp01(print.y0 / size.height);
  const x1 = clamp01(print.x1 / size.width);
  const y1 = clamp01(print.y1 / size.height);
  return { page: print.page, left: round4(x0), top: round4(y0), width: round4(x1 - x0), height: round4(y1 - y0) };
}

/** Upper-case letters and digits only: « FR76 3000 6000 0112 », « 784.825.903 00015 », « PRO-00000001 ». */
function alphanumeric(text: string): string {
  return fold(text)
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '');
}

/**
 * The identifier as printed, its separators aside, or glued in one word to letters before or after it (a label,
 * or the next word OCR ran into: « N°FA-2026-12 », « Nr.99877 », « F20260026BUYER »), for identifiers with a
 * digit and long enough not to be found by chance inside another word.
 */
function isIdentifier(text: string, wanted: string): boolean {
  const printed = alphanumeric(text);
  if (printed === wanted) return true;
  if (wanted.length < 5 || !/[0-9]/.test(wanted) || /\s/.test(text)) return false;
  const at = printed.indexOf(wanted);
  return at >= 0 && /^[A-Z]*$/.test(printed.slice(0, at)) && /^[A-Z]*$/.test(printed.slice(at + wanted.length));
}

/** The amount as printed is the whole window (no label or other number beside it). */
function covers(raw: string, text: string): boolean {
  return raw.replace(/\s/g, '') === text.replace(/\s/g, '');
}

function hasDigit(word: string): boolean {
  return /[0-9]/.test(word);
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
