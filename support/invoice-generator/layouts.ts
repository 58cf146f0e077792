import type { DataSpec } from './data';
import type { ThousandsSeparator } from './french';

/**
 * The invoice layouts, as data: each names what it varies (labels, where the number and the parties sit, table
 * or free text, totals shape, font, separators, pages) and which traps it carries. One renderer draws them all
 * (render-pdf.ts), so a layout is a line of settings rather than a drawing routine.
 */

export const LAYOUTS = [
  'classic-left',
  'seller-right',
  'header-table',
  'two-column-totals',
  'courier-plain',
  'multi-page-2',
  'multi-page-3',
  'letter-times',
  'deposit-balance',
  'annual-contract',
  'bold-banner',
  'compact-grid',
  'order-dates',
  'legal-footer',
] as const;

export type LayoutName = (typeof LAYOUTS)[number];

export type FontFamily = 'Helvetica' | 'Times' | 'Courier';

/**
 * `same-line`: « Facture n° FA-2026-0001 »; `line-below`: the label, the number on the next line;
 * `header-table`: a row of labels above a row of values (number, date, due date, client); `banner`: a large
 * bold title « FACTURE N° … » across the top.
 */
export type NumberPlacement = 'same-line' | 'line-below' | 'header-table' | 'banner';

/**
 * `basic`: HT / TVA / TTC rows; `subtotal`: a « Sous-total » line first; `deposit`: « Acompte versé » and
 * « Reste à payer » after the TTC; `grid`: labels in a row above their values.
 */
export type TotalsShape = 'basic' | 'subtotal' | 'deposit' | 'grid';

/**
 * `period-line`: « Période du … au … »; `order-date`: « Date de la commande »; `annual-amount`: the contracts'
 * annual amount (30 × the total); `legal-footer`: the seller's SIRET, VAT and activity numbers only in the
 * footer of every page.
 */
export type Extra = 'period-line' | 'order-date' | 'annual-amount' | 'legal-footer';

export interface LayoutSpec extends DataSpec {
  name: LayoutName;
  font: FontFamily;
  fontSize: number;
  sellerSide: 'left' | 'right';
  numberPlacement: NumberPlacement;
  numberLabel: string;
  /** `letter`: no label, « Tours, le 12 mars 2026 » at the top right. */
  dateLabel: string | 'letter';
  longDates: boolean;
  dueLabel: string;
  totalLabel: string;
  proFormaLabel: string;
  lineStyle: 'table' | 'text';
  totals: TotalsShape;
  thousands: ThousandsSeparator;
  /**
   * Where the bank details go: under the totals, beside them (a left column facing the totals: two columns),
   * in the footer of every page, or under the seller in the head. `wrapAfterGroups` prints the IBAN over two lines.
   */
  iban: { place: 'after-totals' | 'beside-totals' | 'footer' | 'header'; wrapAfterGroups?: number };
  buyerSiretLabel: string;
  siretGrouped: boolean;
  extras: readonly Extra[];
  /** Pages the layout is meant to fill with its generated line count. */
  pages: 1 | 2 | 3;
}

const base = {
  font: 'Helvetica',
  fontSize: 9.5,
  sellerSide: 'left',
  numberPlacement: 'same-line',
  longDates: false,
  dueLabel: 'Échéance :',
  proFormaLabel: 'Réf. pro forma :',
  lineStyle: 'table',
  totals: 'basic',
  thousands: ' ',
  iban: { place: 'after-totals' },
  buyerSiretLabel: 'SIRET :',
  siretGrouped: false,
  extras: [],
  vat: 'either',
  lineCount: [2, 5],
  deposit: false,
  pages: 1,
} as const satisfies Partial<LayoutSpec>;

// prettier-ignore
const SPECS: readonly LayoutSpec[] = [
  { ...base, name: 'classic-left', numberLabel: 'Facture n°', dateLabel: 'Date de facture :', totalLabel: 'Total TTC',
    numberStyle: 'fa', extras: ['period-line'] },
  { ...base, name: 'seller-right', font: 'Times', sellerSide: 'right', numberLabel: 'N° de facture :',
    dateLabel: "Date d'émission :", dueLabel: "Date d'échéance :", totalLabel: 'Net à payer', totals: 'subtotal',
    thousands: '.', numberStyle: 'year-dash', vat: 20, iban: { place: 'footer' }, buyerSiretLabel: 'SIRET client :',
    siretGrouped: true, extras: ['order-date'], proFormaLabel: 'Votre réf. pro forma :' },
  { ...base, name: 'header-table', numberPlacement: 'header-table', numberLabel: 'N° facture', dateLabel: 'Date',
    dueLabel: 'Échéance', totalLabel: 'Montant dû', numberStyle: 'f-compact', vat: 0, lineCount: [3, 6],
    iban: { place: 'after-totals', wrapAfterGroups: 4 }, extras: ['period-line'], proFormaLabel: 'Pro forma :' },
  { ...base, name: 'two-column-totals', sellerSide: 'right', numberPlacement: 'line-below',
    numberLabel: 'Numéro de facture', dateLabel: 'Émise le', totalLabel: 'Total TTC', iban: { place: 'beside-totals' },
    numberStyle: 'cfa-slash', vat: 20, buyerSiretLabel: 'SIRET client :', longDates: true },
  { ...base, name: 'courier-plain', font: 'Courier', fontSize: 9, numberLabel: 'FACTURE N°', dateLabel: 'letter',
    longDates: true, totalLabel: 'Total à payer', lineStyle: 'text', numberStyle: 'year-dash', vat: 0,
    lineCount: [1, 4], iban: { place: 'after-totals', wrapAfterGroups: 3 }, extras: ['period-line'],
    proFormaLabel: 'Rappel pro forma :' },
  { ...base, name: 'multi-page-2', numberLabel: 'Réf. facture :', dateLabel: 'Date de facture :',
    totalLabel: 'Net à payer', totals: 'subtotal', numberStyle: 'fa', lineCount: [31, 36], extras: ['legal-footer'],
    pages: 2 },
  { ...base, name: 'multi-page-3', font: 'Times', sellerSide: 'right', numberLabel: 'Facture :', dateLabel: 'Date :',
    totalLabel: 'Montant TTC', thousands: '.', numberStyle: 'f-compact', vat: 0, lineCount: [72, 80],
    iban: { place: 'header' }, buyerSiretLabel: 'SIRET client :', extras: ['order-date'], pages: 3 },
  { ...base, name: 'letter-times', font: 'Times', fontSize: 10.5, numberPlacement: 'line-below',
    numberLabel: 'N° de facture', dateLabel: 'letter', longDates: true, dueLabel: 'À régler avant le',
    totalLabel: 'Montant TTC', lineStyle: 'text', numberStyle: 'cfa-slash', vat: 0, lineCount: [1, 3],
    extras: ['annual-amount'], proFormaLabel: 'Objet : facturation de la pro forma' },
  { ...base, name: 'deposit-balance', sellerSide: 'right', numberPlacement: 'line-below', numberLabel: 'N° DE FACTURE',
    dateLabel: "Date d'émission :", totalLabel: 'Total TTC', totals: 'deposit', numberStyle: 'fa', vat: 20,
    lineCount: [2, 4], deposit: true, iban: { place: 'footer' }, buyerSiretLabel: 'SIRET client :',
    proFormaLabel: 'Pro forma n°' },
  { ...base, name: 'annual-contract', numberLabel: 'Facture n°', dateLabel: 'Date de facture :',
    dueLabel: "Date d'échéance :", totalLabel: 'Net à payer', thousands: '.', numberStyle: 'year-dash', vat: 0,
    lineCount: [1, 2], iban: { place: 'after-totals', wrapAfterGroups: 5 }, extras: ['annual-amount', 'order-date'],
    siretGrouped: true },
  { ...base, name: 'bold-banner', sellerSide: 'right', numberPlacement: 'banner', numberLabel: 'FACTURE N°',
    dateLabel: 'Date :', totalLabel: 'Total à payer', totals: 'subtotal', numberStyle: 'f-compact',
    buyerSiretLabel: 'N° SIRET :', extras: ['period-line'], proFormaLabel: 'Référence pro forma :' },
  { ...base, name: 'compact-grid', font: 'Courier', fontSize: 8.5, numberPlacement: 'header-table',
    numberLabel: 'Réf. facture', dateLabel: "Date d'émission", dueLabel: 'Échéance', totalLabel: 'Montant dû',
    totals: 'grid', thousands: '.', numberStyle: 'cfa-slash', vat: 20, lineCount: [3, 6],
    iban: { place: 'footer', wrapAfterGroups: 4 }, buyerSiretLabel: 'SIRET client :', extras: ['order-date'] },
  { ...base, name: 'order-dates', font: 'Times', numberLabel: 'Numéro de facture :', dateLabel: 'Date de facture :',
    dueLabel: "Date d'échéance :", totalLabel: 'Total TTC', numberStyle: 'year-dash', vat: 0,
    extras: ['order-date', 'period-line'], siretGrouped: true },
  { ...base, name: 'legal-footer', sellerSide: 'right', numberLabel: 'Facture :', dateLabel: 'Date :',
    totalLabel: 'Net à payer', lineStyle: 'text', numberStyle: 'fa', vat: 0, lineCount: [2, 6],
    iban: { place: 'footer' }, buyerSiretLabel: 'SIRET client :', extras: ['legal-footer'] },
];

export function layoutSpec(name: LayoutName): LayoutSpec {
  const spec = SPECS.find((s) => s.name === name);
  if (!spec) throw new RangeError(`unknown invoice layout ${name}`);
  return spec;
}
