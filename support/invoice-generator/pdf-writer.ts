import PDFDocument from 'pdfkit';
import type { FontFamily } from './layouts';

/**
 * A thin cursor over pdfkit for invoices: A4 pages, the standard 14 fonts (WinAnsi covers French accents and
 * the euro sign), text placed at absolute positions without pdfkit's own wrapping or page breaking, so the
 * renderer decides every page break and the truth can say on which page each field sits.
 */

export const A4 = { width: 595.28, height: 841.89 } as const;
export const MARGIN = 50;
/** Below this the footer lives; body text that would cross it goes to a new page. */
export const BODY_BOTTOM = A4.height - 80;

const FONTS: Readonly<Record<FontFamily, { regular: string; bold: string }>> = {
  Helvetica: { regular: 'Helvetica', bold: 'Helvetica-Bold' },
  Times: { regular: 'Times-Roman', bold: 'Times-Bold' },
  Courier: { regular: 'Courier', bold: 'Courier-Bold' },
};

export interface TextStyle {
  bold?: boolean;
  size?: number;
  align?: 'left' | 'right' | 'center';
}

export class PdfWriter {
  readonly doc: PDFKit.PDFDocument;
  /** Zero-based index of the page being drawn. */
  page = 0;
  y = MARGIN;
  private readonly output: Promise<Buffer>;

  constructor(
    private readonly family: FontFamily,
    readonly size: number,
    info: DocumentInfo,
  ) {
    this.doc = createDocument(info, { bufferPages: true });
    this.output = collect(this.doc);
  }

  /** Draws `text` with its left edge at x (right edge for `right`, centre for `center`); returns its width. */
  text(text: string, x: number, y: number, style: TextStyle = {}): number {
    const fonts = FONTS[this.family];
    this.doc.font(style.bold ? fonts.bold : fonts.regular).fontSize(style.size ?? this.size);
    const width = this.doc.widthOfString(text);
    const left = style.align === 'right' ? x - width : style.align === 'center' ? x - width / 2 : x;
    this.doc.fillColor('black').text(text, left, y, { lineBreak: false });
    return width;
  }

  /** Writes at the cursor and moves it down one line. */
  line(text: string, x: number, style: TextStyle = {}, leading = 1.45): void {
    this.text(text, x, this.y, style);
    this.y += (style.size ?? this.size) * leading;
  }

  width(text: string, style: TextStyle = {}): number {
    const fonts = FONTS[this.family];
    return this.doc
      .font(style.bold ? fonts.bold : fonts.regular)
      .fontSize(style.size ?? this.size)
      .widthOfString(text);
  }

  rule(x1: number, y: number, x2: number, width = 0.6): void {
    this.doc.lineWidth(width).moveTo(x1, y).lineTo(x2, y).stroke('black');
  }

  box(x: number, y: number, width: number, height: number, fill?: string): void {
    if (fill) this.doc.rect(x, y, width, height).fill(fill);
    this.doc.lineWidth(0.6).rect(x, y, width, height).stroke('black');
  }

  /** Starts a new page when `height` more points would cross the footer; true when it did. */
  ensureRoom(height: number, onNewPage: () => void): boolean {
    if (this.y + height <= BODY_BOTTOM) return false;
    this.doc.addPage();
    this.page += 1;
    this.y = MARGIN + 20;
    onNewPage();
    return true;
  }

  pageCount(): number {
    return this.doc.bufferedPageRange().count;
  }

  /** Runs `draw` on every page (footers, « Page k / n »). */
  eachPage(draw: (index: number, count: number) => void): void {
    const count = this.pageCount();
    for (let index = 0; index < count; index += 1) {
      this.doc.switchToPage(index);
      draw(index, count);
    }
  }

  finish(): Promise<Buffer> {
    this.doc.end();
    return this.output;
  }
}

interface DocumentInfo {
  title: string;
  author: string;
  creationDate: Date;
}

function createDocument(info: DocumentInfo, options: PDFKit.PDFDocumentOptions): PDFKit.PDFDocument {
  return new PDFDocument({
    size: 'A4',
    margin: 0,
    ...options,
    // A fixed date: pdfkit derives the file ID from the info dictionary, so this keeps the bytes reproducible.
    info: { Title: info.title, Author: info.author, Creator: 'invoice-generator', CreationDate: info.creationDate },
  });
}

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

/** An image-only PDF: one A4 page per JPEG, the image filling the page (a scanner's output). */
export function imagePdf(jpegs: readonly Buffer[], info: DocumentInfo): Promise<Buffer> {
  const doc = createDocument(info, { autoFirstPage: false });
  const output = collect(doc);
  for (const jpeg of jpegs) {
    doc.addPage({ size: 'A4', margin: 0 });
    doc.image(jpeg, 0, 0, { width: A4.width, height: A4.height });
  }
  doc.end();
  return output;
}
