import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type yauzl from 'yauzl';
import { nextEntry, openEntry, openZip } from './zip';

/**
 * exceljs's streaming workbook reader, fed from the zip's central directory rather than from one pass over its bytes.
 *
 * Upstream reads an .xlsx in a single streaming pass (unzipper) and, on Node 18 and later, now and then loses an
 * entry: when the lost one is `xl/workbook.xml`, which exceljs itself writes last, the reading fails on
 * `this.model.sheets` (exceljs issue #3064, unfixed in 4.4.0; one read in about 500 of our own template here). Reading
 * the parts by name, in the order they depend on each other (relations, workbook, shared strings, styles, then the
 * sheets in their order), leaves nothing to chance: the parsers are exceljs's own, each sheet still streamed row by row.
 */

/** The parts of exceljs's reader this one drives; they are not in its type declarations. */
interface ReaderInternals {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Generator<{ eventType: string; value: unknown }>;
  /** Set by _parseRels and _parseWorkbook. */
  workbookRels?: { Id: string; Target: string }[];
  model?: { sheets?: { rId: string; name: string }[] };
}

const WORKSHEET = /^xl\/worksheets\/sheet(\d+)\.xml$/;

export type StreamedSheet = ExcelJS.stream.xlsx.WorksheetReader & { name?: string };

/**
 * The worksheets of an .xlsx, each a row-by-row reader: the one named `first` (when there is one) before the others,
 * which follow in their order. A sheet not iterated is never inflated. The zip must already be known to be sound.
 */
export async function* streamWorksheets(
  content: Buffer,
  options: Partial<ExcelJS.stream.xlsx.WorkbookStreamReaderOptions>,
  first?: string,
): AsyncGenerator<StreamedSheet> {
  const zip = await openZip(content);
  try {
    const entries = new Map<string, yauzl.Entry>();
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) entries.set(entry.fileName, entry);
    const open = (entry: yauzl.Entry) => openEntry(zip, entry);
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(null as unknown as string, options);
    const internals = reader as unknown as ReaderInternals;
    const part = (name: string) => entries.get(name);

    const rels = part('xl/_rels/workbook.xml.rels');
    if (rels) await internals._parseRels(await open(rels));
    const workbook = part('xl/workbook.xml');
    if (workbook) await internals._parseWorkbook(await open(workbook));
    const sharedStrings = part('xl/sharedStrings.xml');
    if (sharedStrings) for await (const _ of internals._parseSharedStrings(await open(sharedStrings)));
    const styles = part('xl/styles.xml');
    if (styles) await internals._parseStyles(await open(styles));

    // Names as exceljs resolves them: the sheet's relation in the workbook's relations, then its entry in the workbook.
    const nameOf = (fileName: string) => {
      const rel = internals.workbookRels?.find((r) => `xl/${r.Target}` === fileName);
      return rel && internals.model?.sheets?.find((sheet) => sheet.rId === rel.Id)?.name;
    };
    const sheets = [...entries.values()]
      .map((entry) => ({ entry, number: WORKSHEET.exec(entry.fileName)?.[1], name: nameOf(entry.fileName) }))
      .filter((sheet): sheet is { entry: yauzl.Entry; number: string; name: string | undefined } => !!sheet.number)
      .sort((a, b) => Number(b.name === first) - Number(a.name === first) || Number(a.number) - Number(b.number));
    for (const sheet of sheets) {
      for (const event of internals._parseWorksheet(await open(sheet.entry), sheet.number)) {
        if (event.eventType === 'worksheet') yield event.value as StreamedSheet;
      }
    }
  } finally {
    zip.close();
  }
}
