import type { IsoDate } from './french';
import { groupSiret, printIban } from './identifiers';
import type { LayoutSpec } from './layouts';
import { A4, MARGIN, type PdfWriter } from './pdf-writer';
import type { InvoiceData } from './types';

/** Right edge of the text; the second column (buyer or seller block) starts at COLUMN. */
export const RIGHT = A4.width - MARGIN;
export const COLUMN = 330;

/**
 * What the drawing functions share (render-pdf.ts draws the head and footers, render-body.ts the body): the writer, the settings, the data, and where the truth fields ended up.
 */
export interface RenderContext {
  w: PdfWriter;
  spec: LayoutSpec;
  data: InvoiceData;
  money(cents: number): string;
  date(date: IsoDate): string;
  /** Zero-based pages on which the total TTC and the IBAN were drawn. */
  totalPage: number;
  ibanPage: number;
}

export function siret(ctx: RenderContext, value: string): string {
  return ctx.spec.siretGrouped ? groupSiret(value) : value;
}

/** Bank name, IBAN (grouped by four, over two lines when the layout wraps it) and BIC. */
export function drawBankDetails(ctx: RenderContext, x: number, title: string): void {
  const { w, spec, data } = ctx;
  ctx.ibanPage = w.page;
  w.line(title, x, { bold: true });
  w.line(data.seller.bankName, x);
  const [first = '', second] = printIban(data.seller.iban, spec.iban.wrapAfterGroups);
  w.line(`IBAN : ${first}`, x);
  if (second) w.line(second, x + w.width('IBAN : '));
  w.line(`BIC : ${data.seller.bic}`, x);
}
