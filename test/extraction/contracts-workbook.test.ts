import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { contractsTemplate } from '../../api/contract-workbook';
import { TEMPLATE_COLUMNS, TEMPLATE_SHEET, readContractsWorkbook } from '../../extraction/contracts-workbook';
import { contractRow } from '../helpers/fixtures';

/**
 * The reading of a filled contracts workbook, in-process (the API runs it in a reader process). exceljs's own
 * streaming reader loses, now and then, the workbook part it writes last (exceljs#3064): these tests hold the reading
 * to the same rows whatever the order of the parts and however often it runs.
 */

const ROW = contractRow();

/** The template as the API serves it (exceljs stores `xl/workbook.xml` last, sheets before shared strings), filled. */
async function filledTemplate(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load((await contractsTemplate()) as unknown as ExcelJS.Buffer);
  book.getWorksheet(TEMPLATE_SHEET)?.addRow(ROW);
  return Buffer.from(await book.xlsx.writeBuffer());
}

async function rowsOf(content: Buffer) {
  const reading = await readContractsWorkbook(content);
  if (!reading.ok) throw new Error(`refused: ${reading.refusal.code} ${reading.refusal.message}`);
  return reading.rows;
}

/** The same parts, stored in another order. */
async function reordered(content: Buffer, order: (names: string[]) => string[]): Promise<Buffer> {
  const source = await JSZip.loadAsync(content);
  const target = new JSZip();
  const names = Object.keys(source.files).filter((name) => !source.files[name]?.dir);
  for (const name of order(names)) target.file(name, await source.file(name)!.async('nodebuffer'));
  return target.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

describe('reading a contracts workbook', () => {
  let filled: Buffer;
  beforeAll(async () => {
    filled = await filledTemplate();
  });

  it('reads the filled template: its one row, with dates, text and amount', async () => {
    const rows = await rowsOf(filled);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      row: 2,
      ok: true,
      value: {
        cfaSiret: '73282932000074',
        installment: { amountCents: 35_050, periodStart: '2026-10-01', periodEnd: '2026-10-31' },
      },
    });
  });

  it('reads the same rows on every one of 400 readings of a workbook whose workbook part comes last', async () => {
    const names = Object.keys((await JSZip.loadAsync(filled)).files);
    expect(names.at(-1)).toBe('xl/workbook.xml');
    const first = await rowsOf(filled);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const reading = await readContractsWorkbook(filled);
      const key = reading.ok ? JSON.stringify(reading.rows) : reading.refusal.code;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    expect([...outcomes]).toEqual([[JSON.stringify(first), 400]]);
  });

  it('reads the same rows whatever the order of the parts in the zip', async () => {
    const expected = await rowsOf(filled);
    const reversed = await reordered(filled, (names) => [...names].reverse());
    const sheetsFirst = await reordered(filled, (names) =>
      [...names].sort((a, b) => Number(!a.includes('worksheets/')) - Number(!b.includes('worksheets/'))),
    );
    expect(await rowsOf(reversed)).toEqual(expected);
    expect(await rowsOf(sheetsFirst)).toEqual(expected);
  });

  it('reads the sheet named as the template’s even when another sheet comes first', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('Mode d’emploi').addRow(['Remplissez la feuille « Contrats ».']);
    const sheet = book.addWorksheet(TEMPLATE_SHEET);
    sheet.addRow(TEMPLATE_COLUMNS.map((c) => c.header));
    sheet.addRow(ROW);
    const rows = await rowsOf(Buffer.from(await book.xlsx.writeBuffer()));
    expect(rows).toEqual(await rowsOf(filled));
  });
});
