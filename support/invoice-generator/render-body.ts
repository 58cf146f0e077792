import { periodText } from './french';
import { MARGIN } from './pdf-writer';
import { drawBankDetails, RIGHT, type RenderContext } from './render-context';
import type { InvoiceLine } from './types';

/**
 * The body of an invoice: one line per apprentice (a table, or free text), then the totals in the layout's
 * shape, the VAT mention and the payment terms. Page breaks happen here: lines go on while they fit, and the
 * totals move to a new page when they do not, as invoicing software does.
 */

const ROW = 15;
const COLUMNS = { contract: MARGIN + 4, apprentice: MARGIN + 112, period: MARGIN + 262 } as const;

export function drawLines(ctx: RenderContext): void {
  const { w, spec } = ctx;
  if (spec.lineStyle === 'table') {
    drawTableHeader(ctx);
    for (const line of ctx.data.lines) {
      w.ensureRoom(ROW, () => continuation(ctx, true));
      drawTableRow(ctx, line);
    }
    w.rule(MARGIN, w.y, RIGHT);
    w.y += 12;
    return;
  }
  w.line('Frais de formation des apprentis, au titre de la prise en charge des contrats :', MARGIN);
  w.y += 4;
  for (const line of ctx.data.lines) {
    w.ensureRoom(ROW * 2, () => continuation(ctx, false));
    w.line(`- ${line.apprentice}, contrat n° ${line.contractNumber}`, MARGIN + 8);
    w.text(ctx.money(line.amountCents), RIGHT - 4, w.y, { align: 'right' });
    w.line(`  période ${periodText(line.periodFrom, line.periodTo)}`, MARGIN + 8);
  }
  w.y += 10;
}

/** The top of a continued page: who and which invoice, then the table header again. */
function continuation(ctx: RenderContext, table: boolean): void {
  ctx.w.line(`${ctx.data.seller.name} – Facture ${ctx.data.invoiceNumber} (suite)`, MARGIN, {
    size: ctx.spec.fontSize - 1,
  });
  ctx.w.y += 10;
  if (table) drawTableHeader(ctx);
}

function drawTableHeader(ctx: RenderContext): void {
  const { w } = ctx;
  const top = w.y;
  w.box(MARGIN, top, RIGHT - MARGIN, 17, '#e4e4e4');
  const style = { bold: true };
  w.text('N° de contrat', COLUMNS.contract, top + 4, style);
  w.text('Apprenti(e)', COLUMNS.apprentice, top + 4, style);
  w.text('Période', COLUMNS.period, top + 4, style);
  w.text('Montant HT', RIGHT - 4, top + 4, { ...style, align: 'right' });
  w.y = top + 22;
}

function drawTableRow(ctx: RenderContext, line: InvoiceLine): void {
  const { w, spec } = ctx;
  const size = spec.fontSize - 0.5;
  w.text(line.contractNumber, COLUMNS.contract, w.y, { size });
  w.text(line.apprentice, COLUMNS.apprentice, w.y, { size });
  w.text(periodText(line.periodFrom, line.periodTo), COLUMNS.period, w.y, { size });
  w.text(ctx.money(line.amountCents), RIGHT - 4, w.y, { size, align: 'right' });
  w.y += ROW;
}

type TotalRow = [label: string, cents: number, bold?: boolean];

export function drawTotals(ctx: RenderContext): void {
  const { w, spec, data } = ctx;
  const vatLabel = `TVA ${data.vatRate} %`;
  const rows: TotalRow[] = [
    ['Total HT', data.totalExclTaxCents],
    [vatLabel, data.vatCents],
    [spec.totalLabel, data.totalCents, true],
  ];
  if (spec.totals === 'subtotal') rows.unshift(['Sous-total', data.totalExclTaxCents]);
  if (spec.totals === 'deposit') {
    rows.push(['Acompte versé', -data.depositCents], ['Reste à payer', data.amountDueCents, true]);
  }
  const bankHeight = spec.iban.place === 'after-totals' ? 80 : 0;
  w.ensureRoom(rows.length * 16 + 70 + bankHeight, () => continuation(ctx, false));
  ctx.totalPage = w.page;
  const top = w.y;
  if (spec.totals === 'grid') drawTotalsGrid(ctx, rows);
  else drawTotalRows(ctx, rows);
  if (spec.iban.place === 'beside-totals') {
    const bottom = w.y;
    w.y = top;
    drawBankDetails(ctx, MARGIN, 'Règlement par virement');
    w.line('Paiement à réception de facture.', MARGIN, { size: spec.fontSize - 1 });
    w.y = Math.max(w.y, bottom);
  }
  w.y += 10;
  if (data.vatRate === 0) w.line('TVA non applicable, art. 261-4-4° du CGI', MARGIN);
  if (spec.iban.place === 'after-totals') {
    w.y += 4;
    drawBankDetails(ctx, MARGIN, 'Règlement par virement bancaire :');
  }
  w.y += 6;
  const small = { size: spec.fontSize - 1.5 };
  w.line(`Conditions de paiement : virement à réception, au plus tard le ${ctx.date(data.dueDate)}.`, MARGIN, small);
  w.line(
    'Pénalités de retard : trois fois le taux légal. Indemnité forfaitaire pour frais de recouvrement : 40,00 €.',
    MARGIN,
    small,
  );
}

/** Label and amount rows, right-aligned amounts, the total framed. */
function drawTotalRows(ctx: RenderContext, rows: readonly TotalRow[]): void {
  const { w } = ctx;
  const labelX = 345;
  for (const [label, cents, bold] of rows) {
    if (bold) w.box(labelX - 6, w.y - 4, RIGHT - labelX + 6, 17, '#f0f0f0');
    w.text(label, labelX, w.y, { bold: bold ?? false });
    w.text(ctx.money(cents), RIGHT - 4, w.y, { bold: bold ?? false, align: 'right' });
    w.y += 17;
  }
}

/** The totals as a grid: a row of labels above a row of amounts. */
function drawTotalsGrid(ctx: RenderContext, rows: readonly TotalRow[]): void {
  const { w } = ctx;
  const left = 220;
  const width = (RIGHT - left) / rows.length;
  const top = w.y;
  w.box(left, top, RIGHT - left, 17, '#e4e4e4');
  w.box(left, top + 17, RIGHT - left, 19);
  rows.forEach(([label, cents, bold], i) => {
    const right = left + (i + 1) * width - 5;
    w.text(label, right, top + 4, { bold: true, align: 'right' });
    w.text(ctx.money(cents), right, top + 22, { bold: bold ?? false, align: 'right' });
  });
  w.y = top + 44;
}
