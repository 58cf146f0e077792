import type { Word } from '../../extraction/layout';
import type { TextRun } from '../../extraction/text-layer';
import zlib from 'node:zlib';
import { pngChunk, type GrayImage } from '../../infra/bitmap-text';
import { openPdf } from '../../extraction/pdf';
import { buildPdf, pdfStream, pdfString, textPdf, type Part } from '../../support/invoice-pdf';
export { buildPdf, pdfStream, textPdf, type TextPdfOptions } from '../../support/invoice-pdf';

/**
 * Documents written byte by byte for the extraction tests, so they run without the corpus and say exactly
 * what they hold: PDFs (text, hybrid with an XML attachment, image-only, encrypted, 2,000 pages), images and
 * hostile files.
 */

/** One invoice's values, printed by the fixtures and expected back from the readers. */
export const INVOICE = {
  number: 'FA-2024-0042',
  proForma: 'PRO-00603901',
  issueDate: '2024-03-15',
  totalCents: 157_500,
  siret: '73282932000074',
  iban: 'FR7630006000011234567890189',
  vatId: 'FR44732829320',
} as const;

export const INVOICE_LINES = [
  'Organisme de formation Exemple - SIRET : 732 829 320 00074',
  `Facture N° ${INVOICE.number}`,
  'Date de facture : 15/03/2024',
  `Référence pro forma : ${INVOICE.proForma}`,
  'Total HT : 1 575,00 €     TVA : exonérée',
  'Net à payer : 1 575,00 €',
  'IBAN : FR76 3000 6000 0112 3456 7890 189',
];

export interface ImagePdfOptions {
  /**
   * Text drawn invisibly over the image (render mode 3), as scanners add their own OCR layer: the text layer
   * then says something the printed page does not.
   */
  hiddenText?: string;
}

/** Scanned pages: one greyscale image per page and no text, at 200 dpi. */
export function imagePdf(pages: GrayImage | readonly GrayImage[], options: ImagePdfOptions = {}): Buffer {
  const images = Array.isArray(pages) ? (pages as readonly GrayImage[]) : [pages as GrayImage];
  const pageObject = (i: number) => 4 + 3 * i;
  const objects: Part[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${images.map((_, i) => `${pageObject(i)} 0 R`).join(' ')}] /Count ${images.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  images.forEach((image, i) => {
    const width = (image.width * 72) / 200;
    const height = (image.height * 72) / 200;
    const hidden = options.hiddenText ? `BT 3 Tr /F1 8 Tf 10 10 Td ${pdfString(options.hiddenText)} Tj ET` : '';
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /XObject << /Im1 ${pageObject(i) + 1} 0 R >> /Font << /F1 3 0 R >> >> /Contents ${pageObject(i) + 2} 0 R >>`,
      pdfStream(
        `/Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
        zlib.deflateSync(image.pixels),
      ),
      pdfStream('', Buffer.from(`q ${width} 0 0 ${height} 0 0 cm /Im1 Do Q\n${hidden}`, 'latin1')),
    );
  });
  return buildPdf(objects);
}

/**
 * Standard security handler, revision 2 (PDF 1.7 §7.6.3): /O and /U are not derived from an empty user password,
 * so a reader needs the password to open it.
 */
export function encryptedPdf(): Buffer {
  const key = 'ab'.repeat(32);
  const id = '01'.repeat(16);
  return buildPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
      `<< /Filter /Standard /V 1 /R 2 /O <${key}> /U <${key}> /P -44 >>`,
    ],
    `/Encrypt 4 0 R /ID [<${id}> <${id}>] `,
  );
}

/** A valid PDF of `pages` empty pages. */
export function manyPagesPdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(' ');
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
    ...Array.from({ length: pages }, () => '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'),
  ]);
}

/**
 * A well-formed PNG whose header announces `width` × `height` pixels (100000 × 100000 greyscale is 10 GB decoded)
 * while the file holds one compressed row: what a decompression bomb looks like to a header reader. By default 8-bit
 * greyscale; `{ bitDepth: 16, colorType: 6 }` is 16-bit RGBA, 8 bytes a pixel.
 */
export function pngBomb(width: number, height: number, sample = { bitDepth: 8, colorType: 0 }): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([sample.bitDepth, sample.colorType, 0, 0, 0], 8);
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[sample.colorType] ?? 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc((width * channels * sample.bitDepth) / 8 + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A GIF89a of a greyscale image: a 256-level grey palette and LZW codes written without compression (a clear
 * code every 250 codes keeps them 9 bits wide, GIF89a appendix F).
 */
export function grayGif(image: GrayImage): Buffer {
  const { width, height, pixels } = image;
  const head = Buffer.alloc(13);
  head.write('GIF89a', 0, 'latin1');
  head.writeUInt16LE(width, 6);
  head.writeUInt16LE(height, 8);
  head[10] = 0xf7; // global colour table of 256 entries
  const palette = Buffer.alloc(256 * 3);
  for (let i = 0; i < 256; i += 1) palette.fill(i, i * 3, i * 3 + 3);
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);

  const clear = 256;
  const end = 257;
  const bytes: number[] = [];
  let bitBuffer = 0;
  let bitCount = 0;
  const emit = (code: number) => {
    bitBuffer |= code << bitCount;
    bitCount += 9;
    while (bitCount >= 8) {
      bytes.push(bitBuffer & 0xff);
      bitBuffer >>>= 8;
      bitCount -= 8;
    }
  };
  emit(clear);
  for (let i = 0; i < pixels.length; i += 1) {
    if (i > 0 && i % 250 === 0) emit(clear);
    emit(pixels[i] ?? 255);
  }
  emit(end);
  if (bitCount > 0) bytes.push(bitBuffer & 0xff);
  const blocks: Buffer[] = [Buffer.from([8])];
  for (let i = 0; i < bytes.length; i += 255) {
    const block = bytes.slice(i, i + 255);
    blocks.push(Buffer.from([block.length, ...block]));
  }
  blocks.push(Buffer.from([0]));
  return Buffer.concat([head, palette, descriptor, ...blocks, Buffer.from([0x3b])]);
}

/** A page of text as a scanner would give it: rendered by pdfjs at 200 dpi, greyscale. */
export async function renderedText(lines: readonly string[], size = { width: 420, height: 170 }): Promise<GrayImage> {
  const doc = await openPdf(textPdf(lines, size));
  try {
    const page = await doc.getPage(1);
    const viewport = page.getViewport({ scale: 200 / 72 });
    const width = Math.floor(viewport.width);
    const height = Math.floor(viewport.height);
    const factory = doc.canvasFactory as {
      create(
        w: number,
        h: number,
      ): {
        canvas: unknown;
        context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
      };
    };
    const target = factory.create(width, height);
    await page.render({ canvas: target.canvas as never, viewport, background: '#ffffff' }).promise;
    const rgba = target.context.getImageData(0, 0, width, height).data;
    const pixels = Buffer.alloc(width * height);
    for (let i = 0; i < pixels.length; i += 1) {
      pixels[i] = Math.round(
        0.299 * (rgba[i * 4] ?? 255) + 0.587 * (rgba[i * 4 + 1] ?? 255) + 0.114 * (rgba[i * 4 + 2] ?? 255),
      );
    }
    return { width, height, pixels };
  } finally {
    await doc.destroy();
  }
}

export interface CiiValues {
  number: string;
  typeCode?: string;
  issueDate?: string;
  currency?: string;
  grandTotal?: string;
  duePayable?: string;
  iban?: string;
  sellerGlobalSiret?: string;
  sellerLegalId?: { id: string; scheme?: string };
  vatId?: string;
  buyerOrderReference?: string;
  buyerReference?: string;
  note?: string;
}

/** A Factur-X (CII D16B) invoice with only the elements the tests talk about. */
export function ciiXml(values: CiiValues): string {
  const optional = (value: string | undefined, xml: (v: string) => string) => (value === undefined ? '' : xml(value));
  const legal = values.sellerLegalId;
  return `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>${values.number}</ram:ID>
    <ram:TypeCode>${values.typeCode ?? '380'}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">${values.issueDate ?? '20240315'}</udt:DateTimeString></ram:IssueDateTime>
    ${optional(values.note, (v) => `<ram:IncludedNote><ram:Content>${v}</ram:Content></ram:IncludedNote>`)}
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      ${optional(values.buyerReference, (v) => `<ram:BuyerReference>${v}</ram:BuyerReference>`)}
      <ram:SellerTradeParty>
        ${optional(values.sellerGlobalSiret, (v) => `<ram:GlobalID schemeID="0009">${v}</ram:GlobalID>`)}
        <ram:Name>Organisme de formation Exemple</ram:Name>
        ${
          legal
            ? `<ram:SpecifiedLegalOrganization><ram:ID${legal.scheme ? ` schemeID="${legal.scheme}"` : ''}>${legal.id}</ram:ID></ram:SpecifiedLegalOrganization>`
            : ''
        }
        ${optional(values.vatId, (v) => `<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">${v}</ram:ID></ram:SpecifiedTaxRegistration>`)}
      </ram:SellerTradeParty>
      ${optional(values.buyerOrderReference, (v) => `<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>${v}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>`)}
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>${values.currency ?? 'EUR'}</ram:InvoiceCurrencyCode>
      ${optional(
        values.iban,
        (v) =>
          `<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID>${v}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>`,
      )}
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        ${optional(values.grandTotal, (v) => `<ram:GrandTotalAmount>${v}</ram:GrandTotalAmount>`)}
        ${optional(values.duePayable, (v) => `<ram:DuePayableAmount>${v}</ram:DuePayableAmount>`)}
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`;
}

/** The Factur-X XML of the fixture invoice. */
export function invoiceXml(): string {
  return ciiXml({
    number: INVOICE.number,
    issueDate: INVOICE.issueDate.replace(/-/g, ''),
    grandTotal: '1575.00',
    duePayable: '1575.00',
    iban: 'FR76 3000 6000 0112 3456 7890 189',
    sellerGlobalSiret: INVOICE.siret,
    vatId: INVOICE.vatId,
    buyerOrderReference: INVOICE.proForma,
  });
}

/** A text run of a PDF page as text-layer.ts places it: 5 points a character at 10 points by default. */
export const textRun = (text: string, x: number, y: number, width = text.length * 5, fontSize = 10): TextRun => ({
  text,
  x,
  y,
  width,
  fontSize,
});

/** A word of a 10-point line whose baseline is at `y`, 5 points a character. */
export const layoutWord = (text: string, x: number, y: number, page = 1): Word => ({
  text,
  page,
  x0: x,
  x1: x + 5 * text.length,
  y0: y - 8,
  y1: y + 2,
  confidence: 1,
});
