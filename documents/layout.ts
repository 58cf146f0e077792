import fs from 'node:fs';
import PDFDocument from 'pdfkit';
import { parisDate } from '../domain/dates';
import { formatIban } from '../domain/identifiers';
import type { CfaContactView } from '../db/pro-forma-pdf-data';
import type { FunderIdentity } from './funder';

/**
 * What the PDF documents share (documents/*-pdf.ts): an A4 canvas on pdfkit with an embedded TrueType font (DejaVu
 * Sans: every French accent, « », the euro sign and the narrow no-break space formatEuros prints), text placed at
 * absolute positions, a table that breaks across pages repeating its header, « Page x / n » footers, the
 * letterhead of the funder and the CFA's block. Pure: data in, bytes out; the fonts are read from node_modules,
 * never from the system or the network.
 */

export const A4 = { width: 595.28, height: 841.89 } as const;
export const MARGIN = 42;
export const CONTENT_WIDTH = A4.width - 2 * MARGIN;
export const RIGHT = A4.width - MARGIN;
/** Body text stops above this; the footer lives below. */
const BODY_BOTTOM = A4.height - 62;
const FOOTER_Y = A4.height - 40;
const BODY_SIZE = 9;
const CELL_PADDING = 3;
const LINE_GAP = 1;

const FONT_FILES = {
  regular: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  bold: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
} as const;
type FontName = keyof typeof FONT_FILES;

const fontBytes = new Map<FontName, Buffer>();

/** The font file's bytes, read once per process. */
function fontData(name: FontName): Buffer {
  let bytes = fontBytes.get(name);
  if (!bytes) {
    bytes = fs.readFileSync(require.resolve(FONT_FILES[name]));
    fontBytes.set(name, bytes);
  }
  return bytes;
}

export interface TextStyle {
  bold?: boolean;
  size?: number;
  color?: string;
  /** With `width`: within the box; without: `x` is the left edge, the right edge (`right`) or the centre. */
  align?: 'left' | 'right' | 'center';
}

export interface DocumentInfo {
  title: string;
  subject: string;
  /** A fixed date (the data's own), so that the same data always gives the same bytes. */
  creationDate: Date;
  /** The document's author: the funder. */
  author: string;
}

/** A French calendar date, dd/mm/yyyy: of a YYYY-MM-DD date as is, of an instant in Europe/Paris. */
export function frenchDate(value: string): string {
  const day = value.length > 10 ? parisDate(new Date(value)) : value;
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

export class PdfCanvas {
  readonly doc: PDFKit.PDFDocument;
  /** The cursor: where the next block starts on the current page. */
  y = MARGIN;
  private readonly output: Promise<Buffer>;

  constructor(info: DocumentInfo) {
    this.doc = new PDFDocument({
      size: 'A4',
      margin: 0,
      bufferPages: true,
      lang: 'fr-FR',
      displayTitle: true,
      info: {
        Title: info.title,
        Subject: info.subject,
        Author: info.author,
        Creator: 'invoice-workflow-service',
        CreationDate: info.creationDate,
      },
    });
    this.doc.registerFont('regular', fontData('regular'));
    this.doc.registerFont('bold', fontData('bold'));
    const chunks: Buffer[] = [];
    this.doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    this.output = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      this.doc.on('error', reject);
    });
  }

  private use(style: TextStyle): PDFKit.PDFDocument {
    return this.doc
      .font(style.bold ? 'bold' : 'regular')
      .fontSize(style.size ?? BODY_SIZE)
      .fillColor(style.color ?? 'black');
  }

  /** One line of text, never wrapped; returns its width. */
  text(text: string, x: number, y: number, style: TextStyle = {}): number {
    const width = this.use(style).widthOfString(text);
    const left = style.align === 'right' ? x - width : style.align === 'center' ? x - width / 2 : x;
    this.doc.text(text, left, y, { lineBreak: false });
    return width;
  }

  /** The width of `text` when it holds on one line of `width`, else null (most cells do: no line wrapper, faster). */
  private fitsOneLine(text: string, width: number, style: TextStyle): number | null {
    const measured = this.use(style).widthOfString(text);
    return !text.includes('\n') && measured <= width ? measured : null;
  }

  /** Height of `text` wrapped in `width`. */
  heightOf(text: string, width: number, style: TextStyle = {}): number {
    if (this.fitsOneLine(text, width, style) !== null) return this.doc.currentLineHeight(true) + LINE_GAP;
    return this.use(style).heightOfString(text, { width, lineGap: LINE_GAP });
  }

  /** Text wrapped in `width` from (x, y); returns its height. */
  paragraph(text: string, x: number, y: number, width: number, style: TextStyle = {}): number {
    const measured = this.fitsOneLine(text, width, style);
    if (measured !== null) {
      const free = width - measured;
      const left = style.align === 'right' ? x + free : style.align === 'center' ? x + free / 2 : x;
      this.doc.text(text, left, y, { lineBreak: false });
      return this.doc.currentLineHeight(true) + LINE_GAP;
    }
    const height = this.heightOf(text, width, style);
    this.use(style).text(text, x, y, { width, align: style.align ?? 'left', lineGap: LINE_GAP });
    return height;
  }

  /** A wrapped paragraph at the cursor, on a new page if it does not fit; moves the cursor below it. */
  flow(text: string, style: TextStyle = {}, after = 4, x = MARGIN, width = CONTENT_WIDTH): void {
    this.ensureRoom(this.heightOf(text, width, style));
    this.y += this.paragraph(text, x, this.y, width, style) + after;
  }

  rule(x1: number, y: number, x2: number, color = '#999999', width = 0.6): void {
    this.doc.lineWidth(width).moveTo(x1, y).lineTo(x2, y).stroke(color);
  }

  box(x: number, y: number, width: number, height: number, options: { fill?: string; stroke?: string } = {}): void {
    if (options.fill) this.doc.rect(x, y, width, height).fill(options.fill);
    if (options.stroke) this.doc.lineWidth(0.6).rect(x, y, width, height).stroke(options.stroke);
  }

  /** Starts a new page when `height` more points would cross the footer; `onNewPage` draws its top. */
  ensureRoom(height: number, onNewPage?: () => void): boolean {
    if (this.y + height <= BODY_BOTTOM) return false;
    this.doc.addPage();
    this.y = MARGIN;
    onNewPage?.();
    return true;
  }

  /** Writes `footer(page, count)` at the bottom of every page, « Page x / n » included, and returns the bytes. */
  finish(footer: (page: number, count: number) => string): Promise<Buffer> {
    const { start, count } = this.doc.bufferedPageRange();
    for (let index = start; index < start + count; index += 1) {
      this.doc.switchToPage(index);
      this.rule(MARGIN, FOOTER_Y - 6, RIGHT, '#cccccc');
      this.paragraph(footer(index - start + 1, count), MARGIN, FOOTER_Y, CONTENT_WIDTH - 70, {
        size: 7.5,
        color: '#444444',
      });
      this.text(`Page ${index - start + 1} / ${count}`, RIGHT, FOOTER_Y, {
        size: 7.5,
        color: '#444444',
        align: 'right',
      });
    }
    this.doc.end();
    return this.output;
  }
}

export interface Column<T> {
  header: string;
  width: number;
  align?: 'left' | 'right';
  value(row: T): string;
}

/** Rows drawn between two yields to the event loop: a 10,000-line pro forma takes seconds, the API keeps answering. */
const ROWS_PER_SLICE = 100;

/**
 * A table at the cursor: a header row, then one row per item, wrapped in its column; a row that does not fit goes to
 * a new page, whose top `continued` draws, under the header repeated.
 */
export async function drawTable<T>(
  canvas: PdfCanvas,
  columns: readonly Column<T>[],
  rows: readonly T[],
  continued: () => void = () => undefined,
): Promise<void> {
  const size = 8;
  const header = () => {
    const height =
      Math.max(...columns.map((c) => canvas.heightOf(c.header, c.width - 2 * CELL_PADDING, { bold: true, size }))) +
      2 * CELL_PADDING;
    canvas.box(MARGIN, canvas.y, CONTENT_WIDTH, height, { fill: '#e6e9ef' });
    let x = MARGIN;
    for (const column of columns) {
      canvas.paragraph(column.header, x + CELL_PADDING, canvas.y + CELL_PADDING, column.width - 2 * CELL_PADDING, {
        bold: true,
        size,
        align: column.align ?? 'left',
      });
      x += column.width;
    }
    canvas.y += height;
  };
  canvas.ensureRoom(40, continued);
  header();
  for (const [index, row] of rows.entries()) {
    if (index > 0 && index % ROWS_PER_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const values = columns.map((column) => column.value(row));
    const height =
      Math.max(...columns.map((c, i) => canvas.heightOf(values[i] ?? '', c.width - 2 * CELL_PADDING, { size }))) +
      2 * CELL_PADDING;
    canvas.ensureRoom(height, () => {
      continued();
      header();
    });
    if (index % 2 === 1) canvas.box(MARGIN, canvas.y, CONTENT_WIDTH, height, { fill: '#f6f7f9' });
    let x = MARGIN;
    for (const [i, column] of columns.entries()) {
      canvas.paragraph(values[i] ?? '', x + CELL_PADDING, canvas.y + CELL_PADDING, column.width - 2 * CELL_PADDING, {
        size,
        align: column.align ?? 'left',
      });
      x += column.width;
    }
    canvas.y += height;
    canvas.rule(MARGIN, canvas.y, RIGHT, '#dddddd', 0.4);
  }
  canvas.y += 8;
}

/** Label and value on one line, the value right-aligned at `right`: the totals of a document. */
export function amountLine(canvas: PdfCanvas, label: string, value: string, style: TextStyle = {}, right = RIGHT) {
  const size = style.size ?? 10;
  canvas.ensureRoom(size * 1.6);
  canvas.text(`${label} :`, right - 110, canvas.y, { ...style, size, align: 'right' });
  canvas.text(value, right, canvas.y, { ...style, size, align: 'right' });
  canvas.y += size * 1.6;
}

/** The funder's letterhead, top left of the first page; the cursor moves below it. */
export function letterhead(canvas: PdfCanvas, funder: FunderIdentity): void {
  canvas.text(funder.name, MARGIN, MARGIN, { bold: true, size: 14, color: '#1f3a68' });
  let y = MARGIN + 20;
  for (const line of [funder.department, ...funder.address, funder.email]) {
    canvas.text(line, MARGIN, y, { size: 8.5, color: '#333333' });
    y += 11;
  }
  canvas.rule(MARGIN, y + 4, RIGHT, '#1f3a68', 1);
  canvas.y = y + 16;
}

/** The lines that name a CFA: name, SIRET, e-mail and, when asked, its IBAN (no postal address is known). */
export function cfaLines(cfa: CfaContactView, withIban: boolean): string[] {
  return [
    cfa.name,
    `SIRET : ${cfa.siret}`,
    `E-mail : ${cfa.email}`,
    ...(withIban ? [`IBAN : ${formatIban(cfa.iban)}`] : []),
  ];
}

/** A titled block of lines at (x, y), `width` wide; returns its height. */
export function block(
  canvas: PdfCanvas,
  x: number,
  y: number,
  width: number,
  title: string,
  lines: readonly string[],
): number {
  let height = CELL_PADDING * 2;
  canvas.text(title, x + 6, y + 5, { bold: true, size: 8, color: '#1f3a68' });
  height += 14;
  const bodies = lines.map((line, i) => ({ line, style: { bold: i === 0, size: 9 } }));
  for (const { line, style } of bodies) height += canvas.heightOf(line, width - 12, style) + 1;
  canvas.box(x, y, width, height, { stroke: '#b7bfcc' });
  let lineY = y + 19;
  for (const { line, style } of bodies) lineY += canvas.paragraph(line, x + 6, lineY, width - 12, style) + 1;
  return height;
}
