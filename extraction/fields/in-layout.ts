/**
 * Fields found by where they stand on the page, not by the order of the text: a value in the cell under its label
 * (a header table: « N° facture | Date | Échéance » over their values), and the buyer's block (« Facturé à »,
 * « Client », « Bill to »…), whose identifiers are not the seller's. One candidate source beside the text parsers.
 */
import { cellBelow, blockUnder, type Row } from '../layout';
import type { Cents } from '../../domain/money';
import { INCLUDING_TAX_LABELS, amountsUnderLabels, crossChecked } from './amounts';
import { CONFIDENCE, type FieldValue } from './confidence';
import type { Line } from './lines';
import type { DateOrder } from './dates';
import { INVOICE_NUMBER_LABELS, standaloneDocumentNumber } from './invoice-number';

/** What may stand in a label's cell beside the label itself: punctuation, « : », « n° » leftovers. */
const LABEL_ONLY = /^[\s:.#°º*=-]*$/;

/** The invoice number printed in the cell under a cell that holds only its label. */
export function invoiceNumberUnderLabel(rows: readonly Row[], order: DateOrder): FieldValue<string> | null {
  for (const [index, row] of rows.entries()) {
    for (const cell of row.cells) {
      const label = INVOICE_NUMBER_LABELS.map((pattern) => pattern.exec(cell.folded)).find((m) => m !== null);
      if (!label) continue;
      const rest = cell.folded.slice(0, label.index) + cell.folded.slice(label.index + label[0].length);
      if (!LABEL_ONLY.test(rest)) continue;
      const below = cellBelow(rows, index, cell);
      const value = below ? standaloneDocumentNumber(below.text, order) : null;
      if (below && value) {
        return { value, confidence: CONFIDENCE.LABELLED, evidence: `${cell.text} ⏎ ${below.text}`.slice(0, 200) };
      }
    }
  }
  return null;
}

/**
 * The total to pay printed under its label in a totals table laid out as a row of labels over a row of values
 * (« Total HT | TVA | Montant dû » over the three amounts). Cross-checked like the text's total.
 */
export function totalUnderLabel(rows: readonly Row[], lines: readonly Line[]): FieldValue<Cents> | null {
  // The last one wins, as in the text: totals close the document.
  const last = amountsUnderLabels(rows, INCLUDING_TAX_LABELS, LABEL_ONLY).at(-1);
  if (!last) return null;
  const evidence = `${last.label.text} ⏎ ${last.below.text}`;
  return crossChecked(lines, { value: last.cents, confidence: CONFIDENCE.LABELLED, evidence }, rows);
}

/** Headings of the buyer's block: the customer the invoice is addressed to. */
const BUYER_HEADING =
  /^(?:facture?e?\s*a|adresse?e?\s*a|client|destinataire|acheteur|bill(?:ed)?\s*to|invoice\s*to|customer|buyer|rechnungsempfanger|kaufer|kunde)\b/;

/** Headings of the seller's block: who issues the invoice and is paid. */
const SELLER_HEADING =
  /^(?:vendeur|fournisseur|emetteur|prestataire|seller|supplier|vendor|lieferant|verkaufer|rechnungsersteller|leistungserbringer)\b/;

/** The text of every buyer's block of the document, one string per block. */
export function buyerBlocks(rows: readonly Row[]): string[] {
  return blocksUnder(rows, BUYER_HEADING);
}

/** The text of every seller's block of the document, one string per block. */
export function sellerBlocks(rows: readonly Row[]): string[] {
  return blocksUnder(rows, SELLER_HEADING);
}

function blocksUnder(rows: readonly Row[], heading: RegExp): string[] {
  const blocks: string[] = [];
  for (const [index, row] of rows.entries()) {
    for (const cell of row.cells) {
      if (!heading.test(cell.folded.trim())) continue;
      blocks.push(
        blockUnder(rows, index, cell)
          .map((c) => c.text)
          .join('\n'),
      );
    }
  }
  return blocks;
}
