/**
 * Dates in the text, as YYYY-MM-DD: day-month-year in words (French, English, German month names and their
 * abbreviations), month-day-year in words, ISO, then numeric dates with one separator kind. Numeric dates are
 * read in the document's order, month first only when some date needs it and none contradicts it.
 * Impossible dates are never returned.
 */
import { toLines, fold, type Line } from './lines';

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

export function datesInLine(line: Line, order: DateOrder): DateMatch[] {
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
export function numericDateOrder(lines: readonly Line[]): DateOrder {
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
