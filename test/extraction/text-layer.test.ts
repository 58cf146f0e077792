import { withPdf } from '../../extraction/pdf';
import { linesFromRuns, readTextLayer, type TextRun } from '../../extraction/text-layer';
import { INVOICE_LINES, imagePdf, textPdf } from './fixtures';

const run = (text: string, x: number, y: number, width = text.length * 5, fontSize = 10): TextRun => ({
  text,
  x,
  y,
  width,
  fontSize,
});

describe('text layer lines', () => {
  it('puts a label and its amount on one line even when the PDF draws the amount column first', () => {
    const runs = [
      run('671,15 €', 400, 700),
      run('470,15 €', 400, 716),
      run('Total TTC', 50, 700),
      run('Net à payer', 50, 716),
    ];
    expect(linesFromRuns(runs)).toEqual(['Total TTC   671,15 €', 'Net à payer   470,15 €']);
  });

  it('keeps runs with a slightly different baseline on the same line', () => {
    expect(linesFromRuns([run('N°', 50, 100), run('FA-12', 70, 101.5)])).toEqual(['N° FA-12']);
  });

  it('glues runs that touch, and separates words by one space', () => {
    expect(linesFromRuns([run('FR76', 50, 100, 20), run('3000', 70, 100, 20), run('6000', 93, 100, 20)])).toEqual([
      'FR763000 6000',
    ]);
  });

  it('orders lines from the top of the page down', () => {
    expect(linesFromRuns([run('second', 50, 200), run('first', 50, 100)])).toEqual(['first', 'second']);
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
