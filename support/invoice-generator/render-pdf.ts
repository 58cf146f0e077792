import { formatAmount, longDate, numericDate, periodText } from './french';
import { printIban } from './identifiers';
import type { LayoutSpec } from './layouts';
import { A4, MARGIN, PdfWriter } from './pdf-writer';
import { drawLines, drawTotals } from './render-body';
import { COLUMN, drawBankDetails, RIGHT, siret, type RenderContext } from './render-context';
import type { InvoiceData } from './types';

/**
 * Draws one invoice with pdfkit following its layout's settings: the head (parties, number, dates,
 * references), the apprentice lines (render-body.ts), the totals and bank details, and the footers.
 */

export interface RenderedPdf {
  pdf: Buffer;
  pages: number;
  totalPage: number;
  ibanPage: number;
  totalPrinted: string;
}

export async function renderInvoicePdf(spec: LayoutSpec, data: InvoiceData): Promise<RenderedPdf> {
  const w = new PdfWriter(spec.font, spec.fontSize, {
    title: `Facture ${data.invoiceNumber}`,
    author: data.seller.name,
    creationDate: new Date(`${data.issueDate}T09:00:00Z`),
  });
  const ctx: RenderContext = {
    w,
    spec,
    data,
    money: (cents) => formatAmount(cents, spec.thousands),
    date: (date) => (spec.longDates ? longDate(date) : numericDate(date)),
    totalPage: -1,
    ibanPage: -1,
  };
  drawParties(ctx);
  drawReferences(ctx);
  drawLines(ctx);
  drawTotals(ctx);
  drawFooters(ctx);
  const pages = w.pageCount();
  return {
    pdf: await w.finish(),
    pages,
    totalPage: ctx.totalPage,
    ibanPage: ctx.ibanPage,
    totalPrinted: ctx.money(data.totalCents),
  };
}

function drawParties(ctx: RenderContext): void {
  const { w, spec, data } = ctx;
  if (spec.numberPlacement === 'banner') {
    w.text(`${spec.numberLabel} ${data.invoiceNumber}`, A4.width / 2, MARGIN, {
      bold: true,
      size: 18,
      align: 'center',
    });
    w.y = MARGIN + 40;
  }
  const top = w.y;
  const sellerX = spec.sellerSide === 'left' ? MARGIN : COLUMN;
  const buyerX = spec.sellerSide === 'left' ? COLUMN : MARGIN;
  // A long name in a wide font (Courier) is set smaller rather than run into the other column.
  const nameStyle = { bold: true, size: spec.fontSize + 2 };
  const columnWidth = spec.sellerSide === 'left' ? COLUMN - MARGIN - 12 : RIGHT - COLUMN;
  nameStyle.size *= Math.min(1, columnWidth / w.width(data.seller.name, nameStyle));
  w.line(data.seller.name, sellerX, nameStyle);
  for (const line of data.seller.address) w.line(line, sellerX);
  if (!spec.extras.includes('legal-footer')) {
    w.line(`SIRET : ${siret(ctx, data.seller.siret)}`, sellerX);
    if (data.vatRate > 0) w.line(`N° TVA intracommunautaire : ${data.seller.vatNumber}`, sellerX);
    w.line(`Déclaration d'activité n° ${data.seller.activityNumber}`, sellerX, { size: spec.fontSize - 1.5 });
  }
  if (spec.iban.place === 'header') drawBankDetails(ctx, sellerX, 'Coordonnées bancaires');
  const sellerBottom = w.y;
  w.y = top + 30;
  if (spec.dateLabel === 'letter') {
    w.text(`${data.city}, le ${longDate(data.issueDate)}`, RIGHT, top, { align: 'right' });
  }
  w.line(spec.sellerSide === 'left' ? 'Facturé à :' : 'Destinataire :', buyerX, { size: spec.fontSize - 1 });
  w.line(data.buyer.name, buyerX, { bold: true, size: spec.fontSize + 1 });
  for (const line of data.buyer.address) w.line(line, buyerX);
  w.line(`${spec.buyerSiretLabel} ${siret(ctx, data.buyer.siret)}`, buyerX);
  w.y = Math.max(w.y, sellerBottom) + 22;
}

function drawReferences(ctx: RenderContext): void {
  const { w, spec, data } = ctx;
  const size = spec.fontSize;
  switch (spec.numberPlacement) {
    case 'same-line':
      w.line(`${spec.numberLabel} ${data.invoiceNumber}`, MARGIN, { bold: true, size: size + 5 });
      break;
    case 'line-below':
      w.line('FACTURE', MARGIN, { bold: true, size: size + 7 }, 1.6);
      w.line(spec.numberLabel, MARGIN, { bold: true });
      w.line(data.invoiceNumber, MARGIN, { size: size + 2 });
      break;
    case 'header-table':
      w.line('FACTURE', MARGIN, { bold: true, size: size + 7 }, 1.6);
      drawHeaderTable(ctx);
      break;
    case 'banner':
      break;
  }
  w.y += 4;
  if (spec.numberPlacement !== 'header-table' && spec.dateLabel !== 'letter') {
    w.line(`${spec.dateLabel} ${ctx.date(data.issueDate)}`, MARGIN);
  }
  if (spec.numberPlacement !== 'header-table') w.line(`${spec.dueLabel} ${ctx.date(data.dueDate)}`, MARGIN);
  w.line(`${spec.proFormaLabel} ${data.proFormaNumber}`, MARGIN, { bold: spec.proFormaLabel.startsWith('Objet') });
  if (spec.extras.includes('order-date')) w.line(`Date de la commande : ${ctx.date(data.orderDate)}`, MARGIN);
  if (spec.extras.includes('period-line')) {
    w.line(`Période ${periodText(data.periodFrom, data.periodTo)}`, MARGIN);
  }
  if (spec.extras.includes('annual-amount')) {
    w.line(`Montant annuel des contrats (pour information) : ${ctx.money(data.annualAmountCents)}`, MARGIN, {
      size: size - 0.5,
    });
  }
  w.y += 14;
}

/** A row of labels above a row of values: « N° facture | Date | Échéance | Client ». */
function drawHeaderTable(ctx: RenderContext): void {
  const { w, spec, data } = ctx;
  const cells: [string, string][] = [
    [spec.numberLabel, data.invoiceNumber],
    [spec.dateLabel === 'letter' ? 'Date' : spec.dateLabel, ctx.date(data.issueDate)],
    [spec.dueLabel, ctx.date(data.dueDate)],
    ['Client', data.buyer.name],
  ];
  const width = (RIGHT - MARGIN) / cells.length;
  const top = w.y;
  w.box(MARGIN, top, RIGHT - MARGIN, 17, '#e4e4e4');
  w.box(MARGIN, top + 17, RIGHT - MARGIN, 19);
  cells.forEach(([label, value], i) => {
    w.text(label, MARGIN + i * width + 5, top + 4, { bold: true });
    w.text(value, MARGIN + i * width + 5, top + 22);
  });
  w.y = top + 44;
}

function drawFooters(ctx: RenderContext): void {
  const { w, spec, data } = ctx;
  const small = Math.max(6.5, spec.fontSize - 2.5);
  const ibanLines = printIban(data.seller.iban, spec.iban.wrapAfterGroups);
  w.eachPage((index, count) => {
    let y = A4.height - 66;
    w.rule(MARGIN, y - 6, RIGHT, 0.4);
    if (spec.extras.includes('legal-footer')) {
      const legal =
        `${data.seller.name} – SIRET ${siret(ctx, data.seller.siret)} – TVA ${data.seller.vatNumber}` +
        ` – Déclaration d'activité n° ${data.seller.activityNumber}`;
      w.text(legal, A4.width / 2, y, { size: small, align: 'center' });
      y += small * 1.5;
    }
    if (spec.iban.place === 'footer') {
      if (index === 0) ctx.ibanPage = 0;
      const bank = `${data.seller.bankName} – IBAN ${ibanLines[0] ?? ''}`;
      w.text(bank, A4.width / 2, y, { size: small, align: 'center' });
      y += small * 1.5;
      if (ibanLines[1]) {
        w.text(`${ibanLines[1]} – BIC ${data.seller.bic}`, A4.width / 2, y, { size: small, align: 'center' });
      } else {
        w.text(`BIC ${data.seller.bic}`, A4.width / 2, y, { size: small, align: 'center' });
      }
    }
    if (count > 1) w.text(`Page ${index + 1} / ${count}`, RIGHT, A4.height - 30, { size: small, align: 'right' });
  });
}
