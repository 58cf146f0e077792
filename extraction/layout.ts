import { fold } from './fields/lines';

/**
 * The words of a document with their positions: what a reader sees beyond the text's order. A value printed under
 * its label in a header table (« N° facture | Date » over « F2026-12 | 28/05/2026 »), or the identifiers of the
 * buyer's block beside the seller's, cannot be told from the text alone: a text layer or OCR joins the columns of
 * a row into one line. Built from the PDF text layer's runs (extraction/text-layer.ts) or tesseract's word boxes.
 *
 * Coordinates are per page, in the reader's units (PDF points or image pixels), y growing downwards.
 */

export interface Word {
  text: string;
  page: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** 0..1: 1 for a text layer, tesseract's own for OCR. */
  confidence: number;
  /** OCR: tesseract's line of the word (its words are printed along one baseline). */
  line?: number;
}

/** Words of one row that stand together: a row of a table or a header holds several cells. */
export interface Cell {
  words: Word[];
  text: string;
  /** Lower case without accents, as the field parsers search labels. */
  folded: string;
  x0: number;
  x1: number;
}

export interface Row {
  page: number;
  y0: number;
  y1: number;
  cells: Cell[];
}

/** Gap between two words, in heights of the row's text, beyond which they belong to different cells. */
const CELL_GAP = 1.2;
/**
 * The same for tesseract's words, whose boxes hold the ink only (a text layer's hold the font's ascent and descent):
 * « Réf. facture » in small bold print is 20 pixels apart for boxes 15 pixels high.
 */
const OCR_CELL_GAP = 2;

/** The rows of every page, top to bottom, each cut into cells left to right. */
export function rowsOf(words: readonly Word[]): Row[] {
  const byPage = new Map<number, Word[]>();
  for (const word of words) {
    if (word.text.trim() === '') continue;
    const page = byPage.get(word.page) ?? [];
    page.push(word);
    byPage.set(word.page, page);
  }
  const rows: Row[] = [];
  for (const page of [...byPage.keys()].sort((a, b) => a - b)) {
    rows.push(...rowsOfPage(page, byPage.get(page) ?? []));
  }
  return rows;
}

function rowsOfPage(page: number, words: readonly Word[]): Row[] {
  const sorted = [...words].sort((a, b) => middle(a) - middle(b) || a.x0 - b.x0);
  const groups: Word[][] = [];
  let current: Word[] = [];
  let center = Number.NEGATIVE_INFINITY;
  let height = 0;
  for (const word of sorted) {
    // Words share a row when their vertical middles are within half the smaller height.
    if (current.length > 0 && middle(word) - center > 0.5 * Math.min(height, word.y1 - word.y0)) {
      groups.push(current);
      current = [];
    }
    if (current.length === 0) {
      center = middle(word);
      height = word.y1 - word.y0;
    }
    current.push(word);
  }
  if (current.length > 0) groups.push(current);
  return groups.map((group) => {
    const ordered = [...group].sort((a, b) => a.x0 - b.x0);
    return {
      page,
      y0: Math.min(...ordered.map((w) => w.y0)),
      y1: Math.max(...ordered.map((w) => w.y1)),
      cells: cellsOf(ordered),
    };
  });
}

function cellsOf(ordered: readonly Word[]): Cell[] {
  const cells: Word[][] = [];
  let current: Word[] = [];
  for (const word of ordered) {
    const previous = current[current.length - 1];
    const height = Math.max(word.y1 - word.y0, previous ? previous.y1 - previous.y0 : 0);
    const gap = word.line === undefined ? CELL_GAP : OCR_CELL_GAP;
    if (previous && word.x0 - previous.x1 > gap * height) {
      cells.push(current);
      current = [];
    }
    current.push(word);
  }
  if (current.length > 0) cells.push(current);
  return cells.map((words) => {
    const text = words.map((w) => w.text).join(' ');
    return {
      words,
      text,
      folded: fold(text),
      x0: Math.min(...words.map((w) => w.x0)),
      x1: Math.max(...words.map((w) => w.x1)),
    };
  });
}

function middle(word: Word): number {
  return (word.y0 + word.y1) / 2;
}

/**
 * The cell printed right under `label` in the same column: the next row's cell that overlaps the label's extent
 * the most, within two rows' height. A header table's value, or a value set on the line below its label.
 */
export function cellBelow(rows: readonly Row[], rowIndex: number, label: Cell): Cell | null {
  const row = rows[rowIndex];
  if (!row) return null;
  const height = row.y1 - row.y0;
  for (let i = rowIndex + 1; i < rows.length; i += 1) {
    const next = rows[i];
    if (!next || next.page !== row.page || next.y0 - row.y1 > 2 * height) return null;
    const overlapping = next.cells
      .map((cell) => ({ cell, overlap: Math.min(cell.x1, label.x1) - Math.max(cell.x0, label.x0) }))
      .filter((c) => c.overlap > 0)
      .sort((a, b) => b.overlap - a.overlap);
    if (overlapping[0]) return overlapping[0].cell;
  }
  return null;
}

/** An address block: a heading and at most this many rows (name, service, street, city, identifiers). */
const BLOCK_ROWS = 8;

/**
 * The region a block heading opens (« Facturé à », « Client », « Bill to »): the rows under it, in the heading's
 * column (cells starting near the heading's left edge, before the next cell of its row), until a gap of two rows,
 * a row reaching into the column from its left (a table or a paragraph across the page) or BLOCK_ROWS rows. The buyer's
 * identifiers printed there are not the seller's.
 */
export function blockUnder(rows: readonly Row[], rowIndex: number, heading: Cell): Cell[] {
  const row = rows[rowIndex];
  if (!row) return [];
  const nextInRow = row.cells.find((cell) => cell.x0 > heading.x1);
  const right = nextInRow ? nextInRow.x0 : Number.POSITIVE_INFINITY;
  const left = heading.x0 - (heading.x1 - heading.x0);
  const reach = Math.max(heading.x1 - heading.x0, 3 * (row.y1 - row.y0));
  const block: Cell[] = [heading];
  let bottom = row.y1;
  let taken = 0;
  const height = row.y1 - row.y0;
  for (let i = rowIndex + 1; i < rows.length && taken < BLOCK_ROWS; i += 1) {
    const next = rows[i];
    if (!next || next.page !== row.page || next.y0 - bottom > 2 * height) break;
    if (next.cells.some((cell) => cell.x0 < left && cell.x1 > heading.x0)) break;
    // Address lines start where their heading starts (left-aligned blocks): a cell starting far from it belongs to
    // another column, even when the heading has nothing to its right on its own row.
    const inColumn = next.cells.filter((cell) => cell.x0 < right && Math.abs(cell.x0 - heading.x0) <= reach);
    if (inColumn.length === 0) continue;
    block.push(...inColumn);
    bottom = next.y1;
    taken += 1;
  }
  return block;
}

/** Lines shorter than this many words say little of a page's skew. */
const SKEW_MIN_WORDS = 3;
/** Below this slope (0.1°) a page is straight enough: its rows are found as they are. */
const SKEW_NEGLIGIBLE = 0.002;

/**
 * The slope of a scanned page's text (tan of its angle, y downwards): the median over tesseract's lines of the
 * slope through the bottoms of their words. A page scanned 1.5° askew drifts 40 pixels over an A4 line at 200 dpi,
 * more than a row's height: rows must be found on straightened positions. 0 when no line tells.
 */
export function skewOf(words: readonly Word[]): number {
  const lines = new Map<number, Word[]>();
  for (const word of words) {
    if (word.line === undefined || word.text.trim() === '') continue;
    lines.set(word.line, [...(lines.get(word.line) ?? []), word]);
  }
  const slopes: number[] = [];
  for (const line of lines.values()) {
    if (line.length < SKEW_MIN_WORDS) continue;
    const xs = line.map((w) => (w.x0 + w.x1) / 2);
    const ys = line.map((w) => w.y1);
    const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
    const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
    let covariance = 0;
    let variance = 0;
    for (const [i, x] of xs.entries()) {
      covariance += (x - meanX) * ((ys[i] ?? 0) - meanY);
      variance += (x - meanX) ** 2;
    }
    if (variance > 0) slopes.push(covariance / variance);
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  return slopes[Math.floor(slopes.length / 2)] ?? 0;
}

/** The words as if the page had been scanned straight: each box moved up or down by the skew at its middle. */
export function straightened(words: readonly Word[], slope = skewOf(words)): Word[] {
  if (Math.abs(slope) < SKEW_NEGLIGIBLE) return [...words];
  return words.map((word) => {
    const shift = slope * ((word.x0 + word.x1) / 2);
    return { ...word, y0: word.y0 - shift, y1: word.y1 - shift };
  });
}

/** The rows as lines of text, cells apart by three spaces: the page read row by row, whatever its columns. */
export function rowsText(rows: readonly Row[]): string {
  const lines: string[] = [];
  for (const [index, row] of rows.entries()) {
    if (index > 0 && rows[index - 1]?.page !== row.page) lines.push('\f');
    lines.push(row.cells.map((cell) => cell.text).join('   '));
  }
  return lines.join('\n');
}
