import type { SettlementMode } from '../domain/cost-nature';
import { formatEuros } from '../domain/money';
import type { ProFormaLineView } from '../db/pro-forma-lines';
import type { ProFormaPdfData } from '../db/pro-forma-pdf-data';
import type { FunderIdentity } from './funder';
import {
  CONTENT_WIDTH,
  MARGIN,
  PdfCanvas,
  RIGHT,
  amountLine,
  block,
  cfaLines,
  drawTable,
  frenchDate,
  type Column,
} from './layout';

/**
 * The pro forma as the Opco's model of the invoice (guide « Demander un paiement », 1.1): the CFA downloads it and
 * copies it onto its own letterhead, recalling the pro forma number. Its number in large, the CFA and the funder,
 * the date, the cost nature, invoice or credit note, one line per contract and installment, the total, a credit
 * note's settlement mode and the instruction to recall the number. As many pages as the lines need, the table's
 * header repeated, « Page x / n ».
 */

const SETTLEMENT_LABELS: Record<SettlementMode, string> = {
  DEDUCTION: 'Déduction sur les prochains paiements',
  REMBOURSEMENT: 'Remboursement par le CFA',
};

export function settlementLabel(mode: SettlementMode): string {
  return SETTLEMENT_LABELS[mode];
}

/** « Facture » or « Facture d'avoir »: what the CFA issues on the model of the pro forma. */
export function documentKindLabel(kind: ProFormaPdfData['kind']): string {
  return kind === 'CREDIT_NOTE' ? "Facture d'avoir" : 'Facture';
}

const LINE_COLUMNS: readonly Column<ProFormaLineView>[] = [
  { header: 'N° de contrat', width: 110, value: (l) => l.contractNumber },
  { header: 'Apprenti', width: 98, value: (l) => l.apprenticeName },
  { header: 'Employeur', width: 108, value: (l) => l.employerName },
  { header: 'Période', width: 112, value: (l) => `${frenchDate(l.periodStart)} – ${frenchDate(l.periodEnd)}` },
  { header: 'Montant', width: CONTENT_WIDTH - 428, align: 'right', value: (l) => formatEuros(l.amountCents) },
];

export async function proFormaPdf(data: ProFormaPdfData, funder: FunderIdentity): Promise<Buffer> {
  const credit = data.kind === 'CREDIT_NOTE';
  const kindLabel = documentKindLabel(data.kind);
  const canvas = new PdfCanvas({
    title: `${kindLabel} pro forma ${data.number}`,
    subject: `${kindLabel} pro forma ${data.number} — ${data.cfa.name} — ${data.natureLabel}`,
    creationDate: new Date(data.createdAt),
    author: funder.name,
  });

  // Header: who issues the model, what it is, its number in large.
  canvas.text(`Modèle établi par ${funder.name}, à reproduire sur votre papier en-tête`, MARGIN, MARGIN, {
    size: 8,
    color: '#555555',
  });
  canvas.text(`${kindLabel} pro forma`, MARGIN, MARGIN + 18, { bold: true, size: 15, color: '#1f3a68' });
  canvas.text(data.number, MARGIN, MARGIN + 38, { bold: true, size: 26 });
  const facts = [
    `Date : ${frenchDate(data.createdAt)}`,
    `Nature de coûts : ${data.natureLabel}`,
    `Type : ${kindLabel}`,
  ];
  facts.forEach((fact, i) => canvas.text(fact, RIGHT, MARGIN + 22 + i * 14, { size: 10, align: 'right' }));
  canvas.y = MARGIN + 84;

  // The CFA (who issues the invoice) and the funder (to whom).
  const half = (CONTENT_WIDTH - 12) / 2;
  const heights = [
    block(canvas, MARGIN, canvas.y, half, 'CFA (émetteur de la facture)', cfaLines(data.cfa, true)),
    block(canvas, MARGIN + half + 12, canvas.y, half, 'Financeur (destinataire)', [
      funder.name,
      funder.department,
      ...funder.address,
    ]),
  ];
  canvas.y += Math.max(...heights) + 12;
  if (credit && data.settlementMode) {
    canvas.flow(`Mode de règlement de l'avoir : ${settlementLabel(data.settlementMode)}`, { bold: true, size: 10 }, 8);
  }

  await drawTable(canvas, LINE_COLUMNS, data.lines, () => {
    canvas.text(`${kindLabel} pro forma ${data.number} (suite)`, MARGIN, canvas.y, { bold: true, size: 10 });
    canvas.y += 18;
  });

  // Totals, then the instructions of the guide.
  canvas.ensureRoom(60);
  amountLine(canvas, 'Nombre de lignes', String(data.lines.length), { size: 9 });
  amountLine(canvas, credit ? "Total de la facture d'avoir" : 'Total à payer', formatEuros(data.totalCents), {
    bold: true,
    size: 12,
  });
  canvas.y += 10;
  const recall = `Rappelez impérativement le numéro ${data.number} sur votre ${credit ? "facture d'avoir" : 'facture'}.`;
  const guide = [
    `Établissez votre propre ${credit ? "facture d'avoir" : 'facture'} sur le modèle de cette pro forma, sur votre papier en-tête, avec votre propre numéro.`,
    `Le montant total doit être identique à celui de la pro forma : ${formatEuros(data.totalCents)}.`,
    "Indiquez votre SIRET et vos coordonnées bancaires s'ils ne figurent pas sur votre papier en-tête.",
  ];
  const height =
    canvas.heightOf(recall, CONTENT_WIDTH - 16, { bold: true, size: 10 }) +
    guide.reduce((sum, line) => sum + canvas.heightOf(`• ${line}`, CONTENT_WIDTH - 16, { size: 8.5 }) + 2, 0) +
    20;
  canvas.ensureRoom(height);
  canvas.box(MARGIN, canvas.y, CONTENT_WIDTH, height, { fill: '#fff6e0', stroke: '#d9a400' });
  let y = canvas.y + 8;
  y += canvas.paragraph(recall, MARGIN + 8, y, CONTENT_WIDTH - 16, { bold: true, size: 10 }) + 4;
  for (const line of guide) y += canvas.paragraph(`• ${line}`, MARGIN + 8, y, CONTENT_WIDTH - 16, { size: 8.5 }) + 2;
  canvas.y += height;

  return canvas.finish(() => `${kindLabel} pro forma ${data.number} — ${data.cfa.name}`);
}
