import type { Word } from './layout';
import type { PdfDocument } from './pdf';

/**
 * The text layer of a PDF, rebuilt into lines as a reader sees them. pdfjs returns text runs in content-stream
 * order, which for generated invoices is often column by column; the field parsers need a label and its value
 * on one line ("Total TTC    671,15 €"), so runs are regrouped by baseline and ordered left to right.
 */

/** Below this many non-space characters a page is taken as image-only (ocr-notes.md §5.1: about 50). */
export const MIN_TEXT_CHARS = 50;
export const DEFAULT_TEXT_PAGES = 50;

export interface PageText {
  pageNumber: number;
  text: string;
  nonSpaceChars: number;
  /** The page's words with their positions (extraction/layout.ts). */
  words: Word[];
  /** The page's size as shown (rotation applied), in the words' units (PDF points). */
  width: number;
  height: number;
}

export interface TextLayer {
  /** Pages joined with a form feed, as pdftotext does. */
  text: string;
  pages: PageText[];
  nonSpaceChars: number;
  /** True when the pages read hold too little text to be worth parsing: OCR them instead. */
  imageOnly: boolean;
}

export interface ReadTextLayerOptions {
  /** Pages read from the start (the fields of an invoice sit on its first and last pages; most have one). */
  maxPages?: number;
  minChars?: number;
  /** Called after each page, so a long read can heartbeat. */
  onPage?: (pageNumber: number, pageCount: number) => void;
  signal?: AbortSignal;
}

export async function readTextLayer(doc: PdfDocument, options: ReadTextLayerOptions = {}): Promise<TextLayer> {
  const pageCount = Math.min(doc.numPages, options.maxPages ?? DEFAULT_TEXT_PAGES);
  const minChars = options.minChars ?? MIN_TEXT_CHARS;
  const pages: PageText[] = [];
  for (let pageNumber = 1; pageNumber <= pageCount; pageNumber += 1) {
    options.signal?.throwIfAborted();
    const page = await doc.getPage(pageNumber);
    try {
      const viewport = page.getViewport({ scale: 1 });
      const content = await page.getTextContent();
      const runs: TextRun[] = [];
      for (const item of content.items) {
        if (!('str' in item) || item.str.length === 0) continue;
        const run = toRun(item.str, item.transform, item.width, viewport.transform);
        if (run) runs.push(run);
      }
      const text = linesFromRuns(runs).join('\n');
      pages.push({
        pageNumber,
        text,
        nonSpaceChars: countNonSpace(text),
        words: wordsFromRuns(runs, pageNumber),
        width: viewport.width,
        height: viewport.height,
      });
    } finally {
      page.cleanup();
    }
    options.onPage?.(pageNumber, pageCount);
  }
  const nonSpaceChars = pages.reduce((sum, p) => sum + p.nonSpaceChars, 0);
  return {
    text: pages.map((p) => p.text).join('\n\f'),
    pages,
    nonSpaceChars,
    imageOnly: nonSpaceChars < minChars,
  };
}

/** A run of text placed in device space (y grows downwards, page rotation applied). */
export interface TextRun {
  text: string;
  x: number;
  y: number;
  width: number;
  fontSize: number;
}

function toRun(text: string, transform: unknown[], width: number, viewport: number[]): TextRun | null {
  const m = transform.map(Number);
  if (m.length !== 6 || m.some((v) => !Number.isFinite(v))) return null;
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = m;
  const [va = 1, vb = 0, vc = 0, vd = 1, ve = 0, vf = 0] = viewport;
  // Text matrix × viewport matrix (PDF 1.7 §8.3.4): the run's origin in device space.
  const x = va * e + vc * f + ve;
  const y = vb * e + vd * f + vf;
  const fontSize = Math.hypot(c, d) || Math.hypot(a, b) || 1;
  // A rotated page swaps the axes: the run's advance is along the device axis the viewport maps x onto.
  const scale = Math.hypot(va, vb) || 1;
  return { text, x, y, width: Math.abs(width) * scale, fontSize: fontSize * scale };
}

/** Runs grouped into lines by baseline (runs within ~half a font size share a line), each ordered left to right. */
function runsByLine(runs: readonly TextRun[]): TextRun[][] {
  const sorted = [...runs].sort((p, q) => p.y - q.y || p.x - q.x);
  const lines: TextRun[][] = [];
  let current: TextRun[] = [];
  let baseline = Number.NEGATIVE_INFINITY;
  let lineFont = 0;
  for (const run of sorted) {
    const tolerance = 0.5 * Math.min(lineFont || run.fontSize, run.fontSize);
    if (current.length > 0 && run.y - baseline > tolerance) {
      lines.push(current);
      current = [];
    }
    if (current.length === 0) {
      baseline = run.y;
      lineFont = run.fontSize;
    }
    current.push(run);
  }
  if (current.length > 0) lines.push(current);
  return lines.map((line) => line.sort((p, q) => p.x - q.x));
}

/** Runs closer than this (in font sizes) are one word: generators often place a word letter by letter. */
const GLUED = 0.15;

/**
 * Groups runs into lines and joins them: no space inside a word, one space between words, three between columns,
 * so a table column never glues its number onto the next one.
 */
export function linesFromRuns(runs: readonly TextRun[]): string[] {
  return runsByLine(runs)
    .map((ordered) => {
      let text = '';
      let end = Number.NEGATIVE_INFINITY;
      for (const run of ordered) {
        const gap = run.x - end;
        const glued = text.length === 0 || /\s$/.test(text) || /^\s/.test(run.text);
        if (!glued) {
          if (gap > 1.5 * run.fontSize) text += '   ';
          else if (gap > GLUED * run.fontSize) text += ' ';
        }
        text += run.text;
        end = Math.max(end, run.x + run.width);
      }
      return text.replace(/\s+$/, '');
    })
    .filter((line) => line.length > 0);
}

/**
 * The words of a page with their boxes: runs cut at spaces, each character given its share of the run's width in
 * proportion to its usual advance (a « 1 » is narrower than an « M »), and runs closer than GLUED joined into one
 * word. Box height: the font size, from 0.8 above the baseline.
 */
export function wordsFromRuns(runs: readonly TextRun[], page: number): Word[] {
  const words: Word[] = [];
  for (const line of runsByLine(runs)) {
    let current: Word | null = null;
    for (const run of line) {
      const offsets = advances(run.text);
      const unit = run.width / (offsets[offsets.length - 1] || 1);
      if (current && run.x - current.x1 > GLUED * run.fontSize) current = null;
      let offset = 0;
      for (const piece of run.text.split(/(\s+)/)) {
        if (piece === '') continue;
        if (/^\s+$/.test(piece)) {
          current = null;
        } else {
          const x0 = run.x + (offsets[offset] ?? 0) * unit;
          const x1 = run.x + (offsets[offset + piece.length] ?? 0) * unit;
          if (current) {
            current.text += piece;
            current.x1 = x1;
          } else {
            current = {
              text: piece,
              page,
              x0,
              x1,
              y0: run.y - 0.8 * run.fontSize,
              y1: run.y + 0.2 * run.fontSize,
              confidence: 1,
            };
            words.push(current);
          }
        }
        offset += piece.length;
      }
    }
  }
  return words;
}

/**
 * Where each character of `text` starts, in thousandths of an em, and where the last one ends: the advances of
 * Helvetica's metrics (the widths most proportional fonts share), letters by their base letter. pdfjs gives a run's
 * width, not its glyphs' positions; this places a word inside its run within a fraction of a character.
 */
function advances(text: string): number[] {
  const offsets = [0];
  let at = 0;
  for (const char of text) {
    at += advance(char);
    for (let unit = 1; unit < char.length; unit += 1) offsets.push(at);
    offsets.push(at);
  }
  return offsets;
}

const NARROW = new Set([..." .,:;!/|'ijlI"]);
const THIRD = new Set([...'-()[]rft`\'"']);
const HALF = new Set([...'cksvxyzJ*']);
const WIDE = new Set([...'CDHNORUQGw']);
const WIDER = new Set([...'mM%']);

function advance(char: string): number {
  const base = char.normalize('NFD')[0] ?? char;
  if (NARROW.has(base)) return 278;
  if (THIRD.has(base)) return 333;
  if (HALF.has(base)) return 500;
  if (WIDE.has(base)) return 722;
  if (WIDER.has(base)) return 850;
  if (base === 'W') return 944;
  if (/[A-Z]/.test(base)) return 667;
  return 556;
}

function countNonSpace(text: string): number {
  return text.replace(/\s/g, '').length;
}
