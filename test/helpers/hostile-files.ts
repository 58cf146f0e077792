import zlib from 'node:zlib';
import JSZip from 'jszip';
import { contractsTemplate } from '../../api/contract-workbook';
import { TEMPLATE_COLUMNS } from '../../extraction/contracts-workbook';
import { buildPdf, ciiXml, grayGif, INVOICE, INVOICE_LINES, pdfStream, textPdf } from '../extraction/fixtures';

/**
 * Hostile files, generated (no multi-megabyte binary is committed): each is small on disk and costly to parse.
 * Sizes are chosen to pass every cheap check at upload, so that the file reaches the reader it attacks.
 */

const deflated = new Map<number, Promise<Buffer>>();

/**
 * `size` zero bytes deflated (zlib format, or raw for a zip entry), without ever holding them: zlib's stream, fed the
 * same 16 MiB chunk. Made once per size and file: several bombs share it.
 */
export async function deflatedZeros(size: number, format: 'zlib' | 'raw' = 'zlib'): Promise<Buffer> {
  let made = deflated.get(size);
  if (!made) {
    made = deflateZeros(size);
    deflated.set(size, made);
  }
  const zlibStream = await made;
  // RFC 1950: a 2-byte header, the raw deflate data (RFC 1951), a 4-byte Adler-32.
  return format === 'raw' ? zlibStream.subarray(2, zlibStream.length - 4) : zlibStream;
}

async function deflateZeros(size: number): Promise<Buffer> {
  const deflate = zlib.createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    if (!deflate.write(part)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

const PAGE = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>';

/** One page whose content stream is the given (Flate-compressed) bytes. */
function onePage(content: Buffer, resources = '<< >>'): Buffer {
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    PAGE.replace('/Resources << >>', `/Resources ${resources}`),
    pdfStream('/Filter /FlateDecode', content),
  ]);
}

/**
 * `q` (save graphics state) `pairs` times, then `Q` as many: pdfjs's text extraction is quadratic in the nesting
 * (2 × 10^6 pairs froze a whole service at 100 % CPU, 8.8 KB on disk).
 */
export function nestedOperatorsPdf(pairs = 2_000_000): Buffer {
  return onePage(zlib.deflateSync(Buffer.from('q '.repeat(pairs) + 'Q '.repeat(pairs), 'latin1'), { level: 9 }));
}

/** A page whose content stream inflates to `decodedBytes` of zeros (a 300 MB bomb is ~300 KB on disk). */
export async function contentBombPdf(decodedBytes: number): Promise<Buffer> {
  return onePage(await deflatedZeros(decodedBytes));
}

/** The same bomb in an image XObject drawn on the page (rendering decodes it). */
export async function imageBombPdf(decodedBytes: number): Promise<Buffer> {
  const side = Math.floor(Math.sqrt(decodedBytes));
  const data = await deflatedZeros(decodedBytes);
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    PAGE.replace('/Resources << >>', '/Resources << /XObject << /Im1 5 0 R >> >>'),
    pdfStream('', Buffer.from(`q 595 0 0 842 0 0 cm /Im1 Do Q`, 'latin1')),
    pdfStream(
      `/Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray ` +
        '/BitsPerComponent 8 /Filter /FlateDecode',
      data,
    ),
  ]);
}

/** A text invoice with a `factur-x.xml` attachment that inflates to `decodedBytes` (twice deflated). */
export async function attachmentBombPdf(decodedBytes: number): Promise<Buffer> {
  const once = await deflatedZeros(decodedBytes);
  const twice = zlib.deflateSync(once, { level: 9 });
  return textPdf(INVOICE_LINES, {
    attachments: [{ name: 'factur-x.xml', content: twice, filter: '[/FlateDecode /FlateDecode]' }],
  });
}

/** An invoice whose Factur-X XML declares entities: the billion laughs, and an external entity (XXE). */
export function entityExpansionPdf(kind: 'billion-laughs' | 'xxe'): Buffer {
  const xml = ciiXml({ number: INVOICE.number, grandTotal: '1575.00', duePayable: '1575.00' });
  const dtd =
    kind === 'billion-laughs'
      ? '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' +
        Array.from({ length: 9 }, (_, i) => {
          const prev = String.fromCharCode(97 + i);
          const next = String.fromCharCode(98 + i);
          return `<!ENTITY ${next} "${`&${prev};`.repeat(10)}">`;
        }).join('') +
        ']>'
      : '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
  const use = kind === 'billion-laughs' ? '&j;' : '&xxe;';
  const hostile = xml
    .replace(/^<\?xml[^>]*\?>/, (declaration) => `${declaration}${dtd}`)
    .replace(INVOICE.number, `${INVOICE.number}${use}`);
  return textPdf(INVOICE_LINES, { attachments: [{ name: 'factur-x.xml', content: hostile }] });
}

/** A page tree whose node lists itself among its kids. */
export function pageTreeCyclePdf(): Buffer {
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ]);
}

/** A page tree announcing `count` pages while it holds one. */
export function lyingPageCountPdf(count: number): Buffer {
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [3 0 R] /Count ${count} >>`,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ]);
}

/** An HTML page that is also a valid PDF: browsers render it if it is served as text/html. */
export function htmlPdfPolyglot(): Buffer {
  const pdf = textPdf(INVOICE_LINES);
  // PDF readers look for the header in the first 1 KiB (ISO 32000-1 §7.5.2); file-type sniffs it there too.
  return Buffer.concat([Buffer.from('%PDF-1.7\n<!--<html><script>alert(1)</script>-->\n', 'latin1'), pdf]);
}

const SHEET = 'xl/worksheets/sheet1.xml';

/** The import template with its sheet's XML replaced. */
async function templateWithSheet(sheetXml: string): Promise<Buffer> {
  const zip = await JSZip.loadAsync(await contractsTemplate());
  zip.file(SHEET, sheetXml);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

function sheetXml(rows: number): string {
  const header = TEMPLATE_COLUMNS.map(
    (c, i) => `<c r="${String.fromCharCode(65 + i)}1" t="inlineStr"><is><t>${c.header}</t></is></c>`,
  ).join('');
  const body: string[] = [];
  for (let r = 2; r <= rows + 1; r += 1) body.push(`<row r="${r}"><c r="B${r}"><v>${r}</v></c></row>`);
  return sheet(header, body.join(''), null);
}

function sheet(headerCells: string, rows: string, lastRow: number | null): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
    (lastRow === null ? '' : `<dimension ref="A1:M${lastRow}"/>`) +
    `<sheetData><row r="1">${headerCells}</row>${rows}</sheetData></worksheet>`
  );
}

/**
 * A workbook of a million rows (~1 MB on disk), its sheet declaring them in its dimension. The rows are one repeated
 * string (a row's `r` attribute is optional in SpreadsheetML), which takes no time to build.
 */
export function millionRowWorkbook(): Promise<Buffer> {
  return templateWithSheet(sheet('', '<row><c><v>1</v></c></row>'.repeat(1_000_000), 1_000_001));
}

/** Rows past the limit with no dimension declared: only counting the rows while reading them finds out. */
export function undeclaredRowsWorkbook(rows: number): Promise<Buffer> {
  return templateWithSheet(sheetXml(rows));
}

/**
 * The template whose sheet inflates to `inflatedBytes` of zeros. `declared`: the size its zip directory states,
 * the true one (refused from the directory, nothing inflated) or a lie (caught at the first byte past it).
 */
export async function zipBombWorkbook(inflatedBytes: number, declared: 'true' | 'lying'): Promise<Buffer> {
  const template = await JSZip.loadAsync(await contractsTemplate());
  const entries: ZipEntry[] = [];
  for (const [name, file] of Object.entries(template.files)) {
    if (file.dir) continue;
    if (name === SHEET) {
      let crc = 0;
      const chunk = Buffer.alloc(16 * 1024 * 1024);
      for (let left = inflatedBytes; left > 0; left -= chunk.length) {
        crc = zlib.crc32(left >= chunk.length ? chunk : chunk.subarray(0, left), crc);
      }
      entries.push({
        name,
        deflated: await deflatedZeros(inflatedBytes, 'raw'),
        crc,
        size: declared === 'true' ? inflatedBytes : 1_000,
      });
    } else {
      const content = await file.async('nodebuffer');
      entries.push({ name, deflated: zlib.deflateRawSync(content), crc: zlib.crc32(content), size: content.length });
    }
  }
  return zipOf(entries);
}

interface ZipEntry {
  name: string;
  deflated: Buffer;
  crc: number;
  /** Declared uncompressed size (below 4 GiB: no ZIP64). */
  size: number;
}

/** A zip (APPNOTE 6.3.9 §4.3) of deflated entries, written as stated: sizes included, true or not. */
function zipOf(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.deflated.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(entry.crc >>> 0, 16);
    central.writeUInt32LE(entry.deflated.length, 20);
    central.writeUInt32LE(entry.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.deflated);
    centrals.push(central, name);
    offset += local.length + name.length + entry.deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A 1 × 1 GIF whose logical screen announces `width` × `height`. */
export function gifBomb(width: number, height: number): Buffer {
  const gif = grayGif({ width: 1, height: 1, pixels: Buffer.from([0]) });
  gif.writeUInt16LE(width, 6);
  gif.writeUInt16LE(height, 8);
  return gif;
}
