/**
 * Invoice PDFs written byte by byte: a one-page text-layer PDF (Helvetica, WinAnsi) and the invoice a CFA prints for
 * a pro forma. Shared by the tests (test/extraction/fixtures.ts, test/helpers/invoices.ts re-export it) and
 * `npm run bench:lives` (bench/lives.ts), hence here: bench/ and test/ never import each other.
 */

export type Part = string | Buffer;

/**
 * A PDF from object bodies, numbered from 1 (object 1 must be the catalogue), with a correct cross-reference
 * table: pdfjs would repair a wrong one, but then the test would not be about what it says.
 */
export function buildPdf(objects: readonly Part[], trailerExtra = ''): Buffer {
  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = chunks[0]?.length ?? 0;
  const offsets: number[] = [];
  const push = (part: Part) => {
    const buffer = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    chunks.push(buffer);
    length += buffer.length;
  };
  objects.forEach((body, i) => {
    offsets.push(length);
    push(`${i + 1} 0 obj\n`);
    push(body);
    push('\nendobj\n');
  });
  const xref = length;
  push(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
  for (const offset of offsets) push(`${String(offset).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(chunks);
}

export function pdfStream(dictionary: string, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`<< ${dictionary} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/** PDF string literal in WinAnsiEncoding (the euro sign is 0x80 there). */
export function pdfString(text: string): string {
  const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`).replace(/€/g, '\x80');
  return `(${escaped})`;
}

export interface TextPdfOptions {
  /** `filter`: the attachment's content is given already encoded with it (e.g. `/FlateDecode`). */
  attachments?: { name: string; content: string | Buffer; filter?: string }[];
  /** Page size in points; a small page keeps OCR of its rendering quick. */
  width?: number;
  height?: number;
}

/** One page of Helvetica lines (a standard font, drawn by pdfjs from its own font data). */
export function textPdf(lines: readonly string[], options: TextPdfOptions = {}): Buffer {
  const width = options.width ?? 595;
  const height = options.height ?? 842;
  const content = [
    'BT /F1 11 Tf 16 TL',
    `36 ${height - 40} Td`,
    ...lines.map((line) => `${pdfString(line)} Tj T*`),
    'ET',
  ].join('\n');
  const attachments = options.attachments ?? [];
  const firstAttachment = 6;
  const names = attachments.map((a, i) => `${pdfString(a.name)} ${firstAttachment + 2 * i} 0 R`).join(' ');
  const catalog =
    attachments.length === 0
      ? '<< /Type /Catalog /Pages 2 0 R >>'
      : `<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [${names}] >> >> >>`;
  const objects: Part[] = [
    catalog,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    pdfStream('', Buffer.from(content, 'latin1')),
  ];
  attachments.forEach((attachment, i) => {
    const name = pdfString(attachment.name);
    objects.push(`<< /Type /Filespec /F ${name} /UF ${name} /EF << /F ${firstAttachment + 2 * i + 1} 0 R >> >>`);
    const content =
      typeof attachment.content === 'string' ? Buffer.from(attachment.content, 'utf8') : attachment.content;
    const filter = attachment.filter ? ` /Filter ${attachment.filter}` : '';
    objects.push(pdfStream(`/Type /EmbeddedFile /Subtype /text#2Fxml${filter}`, content));
  });
  return buildPdf(objects);
}

/** What a CFA prints on the invoice it makes for a pro forma (domain.md, "Deposit rules told to the CFA"). */
export interface InvoiceValues {
  proFormaNumber: string;
  invoiceNumber: string;
  /** Printed as a positive amount, as credit notes usually are. */
  totalCents: number;
  siret: string;
  iban: string;
  title?: string;
}

/** `446500` → `4 465,00` (ordinary spaces: the PDF fixtures write WinAnsi text). */
function amount(cents: number): string {
  const absolute = Math.abs(cents);
  const euros = String(Math.floor(absolute / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${euros},${String(absolute % 100).padStart(2, '0')}`;
}

function spaced(text: string, groups: number[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    parts.push(text.slice(at, at + size));
    at += size;
  }
  return parts.join(' ');
}

export function invoiceLines(values: InvoiceValues): string[] {
  return [
    `CFA des Metiers Exemple - SIRET : ${spaced(values.siret, [3, 3, 3, 5])}`,
    `${values.title ?? 'Facture'} N° ${values.invoiceNumber}`,
    'Date de facture : 20/11/2026',
    `Référence pro forma : ${values.proFormaNumber}`,
    `Total HT : ${amount(values.totalCents)} €     TVA : exonérée`,
    `Net à payer : ${amount(values.totalCents)} €`,
    `IBAN : ${values.iban.replace(/(.{4})(?=.)/g, '$1 ')}`,
  ];
}

/** A PDF with a text layer, as a CFA's accounting software prints it. */
export function invoicePdf(values: InvoiceValues): Buffer {
  return textPdf(invoiceLines(values));
}
