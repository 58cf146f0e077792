import { withPdf } from '../../extraction/pdf';
import { linesFromRuns, readTextLayer } from '../../extraction/text-layer';
import { INVOICE_LINES, imagePdf, textPdf, textRun } from './fixtures';

describe('text layer lines', () => {
  it('puts a label and its amount on one line even when the PDF draws the amount column first', () => {
    const runs = [
      textRun('671,15 €', 400, 700),
      textRun('470,15 €', 400, 716),
      textRun('Total TTC', 50, 700),
      textRun('Net à payer', 50, 716),
    ];
    expect(linesFromRuns(runs)).toEqual(['Total TTC   671,15 €', 'Net à payer   470,15 €']);
  });

  it('keeps runs with a slightly different baseline on the same line', () => {
    expect(linesFromRuns([textRun('N°', 50, 100), textRun('FA-12', 70, 101.5)])).toEqual(['N° FA-12']);
  });

  it('glues runs that touch, and separates words by one space', () => {
    expect(
      linesFromRuns([textRun('FR76', 50, 100, 20), textRun('3000', 70, 100, 20), textRun('6000', 93, 100, 20)]),
    ).toEqual(['FR763000 6000']);
  });

  it('orders lines from the top of the page down', () => {
    expect(linesFromRuns([textRun('second', 50, 200), textRun('first', 50, 100)])).toEqual(['first', 'second']);
  });
});

describe('readTextLayer', () => {
  it('reads the printed lines of a PDF', async () => {
    const layer = await withPdf(textPdf(INVOICE_LINES), {}, (doc) => readTextLayer(doc));
    expect(layer.imageOnly).toBe(false);
    expect(layer.text.split('\n')).toEqual(
      expect.arrayContaining(['Facture N° FA-2024-0042', 'Net à payer : 1 575,00 €']),
    );
  });

  it('takes a PDF with almost no text for an image-only scan', async () => {
    const scan = { width: 40, height: 40, pixels: Buffer.alloc(1600, 255) };
    const layer = await withPdf(imagePdf(scan, { hiddenText: 'Scan 0001' }), {}, (doc) => readTextLayer(doc));
    expect(layer.imageOnly).toBe(true);
  });
});
