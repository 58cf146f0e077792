import type { RefusalDetailView } from '../db/pro-forma-detail';
import type { PdfProFormaView } from '../db/pro-forma-pdf-data';
import type { FunderIdentity } from './funder';
import { CONTENT_WIDTH, MARGIN, PdfCanvas, RIGHT, block, cfaLines, frenchDate, letterhead } from './layout';
import { documentKindLabel } from './pro-forma-pdf';

/**
 * The refusal letter of a refused pro forma, as a PDF: the funder's letterhead, the CFA's block, the date of the
 * refusal, the object (the CFA's invoice number and the pro forma's), the reason, the letter already filled in
 * (the text GET …/refusal answers) and the validator's comment when there is one.
 */

export interface RefusalLetter {
  proForma: PdfProFormaView;
  refusal: RefusalDetailView;
}

export function refusalPdf({ proForma, refusal }: RefusalLetter, funder: FunderIdentity): Promise<Buffer> {
  const what = documentKindLabel(proForma.kind).toLowerCase();
  const invoice = proForma.invoiceNumber ? ` n° ${proForma.invoiceNumber}` : '';
  const canvas = new PdfCanvas({
    title: `Refus de votre ${what}${invoice} — pro forma ${proForma.number}`,
    subject: refusal.label,
    creationDate: new Date(refusal.at),
    author: funder.name,
  });
  const top = MARGIN;
  letterhead(canvas, funder);
  const width = 230;
  const height = block(canvas, RIGHT - width, top + 92, width, 'Destinataire', cfaLines(proForma.cfa, false));
  canvas.y = Math.max(canvas.y, top + 92 + height) + 18;

  canvas.flow(`Le ${frenchDate(refusal.at)}`, { size: 10, align: 'right' }, 14);
  canvas.flow(`Objet : Refus de votre ${what}${invoice} — pro forma ${proForma.number}`, { bold: true, size: 11 }, 6);
  canvas.flow(`Motif : ${refusal.label}`, { bold: true, size: 10 }, 4);
  canvas.flow(
    refusal.origin === 'AUTOMATIC'
      ? "Décision : refus automatique, à l'issue des contrôles de votre dépôt."
      : 'Décision : refus prononcé par un gestionnaire, après examen de votre dépôt.',
    { size: 9, color: '#444444' },
    14,
  );
  for (const paragraph of refusal.letter.split(/\n\s*\n/)) canvas.flow(paragraph.trim(), { size: 10 }, 8);
  if (refusal.comment) {
    canvas.y += 4;
    canvas.flow('Commentaire du gestionnaire :', { bold: true, size: 10 }, 2);
    canvas.flow(refusal.comment, { size: 10 }, 8);
  }
  canvas.y += 10;
  for (const line of [funder.department, funder.name]) {
    canvas.flow(line, { size: 10 }, 1, MARGIN + CONTENT_WIDTH / 2, CONTENT_WIDTH / 2);
  }

  return canvas.finish(() => `Refus — pro forma ${proForma.number} — ${proForma.cfa.name}`);
}
