import fs from 'node:fs';
import path from 'node:path';
import { encodeGrayPng, type GrayImage } from '../../infra/bitmap-text';
import { OcrTimeoutError } from '../../infra/ocr-pool';
import { readInvoice } from '../../extraction/read-invoice';
import type { ExtractionErrorCode, ExtractionResult } from '../../extraction/types';
import { corpusDir } from '../../support/extraction-accuracy';
import {
  INVOICE,
  INVOICE_LINES,
  encryptedPdf,
  grayGif,
  invoiceXml,
  manyPagesPdf,
  pngBomb,
  renderedText,
  textPdf,
} from './fixtures';
import { startTestOcr, type TestOcr } from './ocr-test-pool';

/**
 * Hostile and broken deposits (issue 3, "Bad input"): each ends with engine NONE, confidence 0 and a code a
 * validator understands, within the test's timeout, and the process reads the next document as usual.
 */

let ocr: TestOcr;
let scan: GrayImage;

beforeAll(async () => {
  ocr = await startTestOcr(1);
  scan = await renderedText(INVOICE_LINES);
});

afterAll(async () => {
  await ocr.close();
});

beforeEach(() => {
  ocr.recognize.mockClear();
});

/** A corpus file when the corpus is here (the issue asks for a real invoice cut short), else a fixture. */
function sample(corpusFile: string, fallback: () => Buffer): Buffer {
  const file = path.join(corpusDir(), corpusFile);
  return fs.existsSync(file) ? fs.readFileSync(file) : fallback();
}

const cut = (bytes: Buffer, share: number) => bytes.subarray(0, Math.floor(bytes.length * share));

function expectRefused(result: ExtractionResult, code: ExtractionErrorCode): void {
  expect(result).toMatchObject({ engine: 'NONE', confidence: 0, error: { code } });
  expect(Object.values(result.fields).every((value) => value === null)).toBe(true);
  expect(Object.values(result.fieldConfidences).every((value) => value === 0)).toBe(true);
  expect(result.error?.message.length).toBeGreaterThan(10);
}

describe('a bad document ends with engine NONE and a clear code', () => {
  it('refuses a corrupt PDF as unreadable', async () => {
    const corrupt = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4096, 0x5a)]);
    expectRefused(await readInvoice(corrupt, 'application/pdf', { ocr }), 'PDF_UNREADABLE');
  });

  it('refuses a truncated PDF as unreadable', async () => {
    const whole = sample('fr-fnfe-facture-fr-en16931.pdf', () =>
      textPdf(INVOICE_LINES, { attachments: [{ name: 'factur-x.xml', content: invoiceXml() }] }),
    );
    expectRefused(await readInvoice(cut(whole, 0.5), 'application/pdf', { ocr }), 'PDF_UNREADABLE');
  });

  it('refuses an encrypted PDF, naming the password protection', async () => {
    const result = await readInvoice(encryptedPdf(), 'application/pdf', { ocr });
    expectRefused(result, 'PDF_ENCRYPTED');
    expect(result.error?.message).toMatch(/mot de passe/);
  });

  it('refuses a PDF of 2,000 pages without reading any page', async () => {
    const result = await readInvoice(manyPagesPdf(2000), 'application/pdf', { ocr });
    expectRefused(result, 'PDF_TOO_MANY_PAGES');
    expect(result.pageCount).toBe(2000);
    expect(ocr.recognize).not.toHaveBeenCalled();
  });

  it.each([
    ['PNG', 'fr-fnfe-facture-fr-en16931.p1.png', 'image/png', () => encodeGrayPng(scan)],
    ['JPEG', 'fr-fnfe-facture-fr-en16931.scan.jpg', 'image/jpeg', jpegHeaderOnly],
  ])('refuses a truncated %s image as unreadable', async (_kind, corpusFile, mimeType, fallback) => {
    expectRefused(await readInvoice(cut(sample(corpusFile, fallback), 0.5), mimeType, { ocr }), 'IMAGE_UNREADABLE');
  });

  it('refuses a PNG decompression bomb from its header, before decoding or OCR', async () => {
    const result = await readInvoice(pngBomb(100_000, 100_000), 'image/png', { ocr });
    expectRefused(result, 'IMAGE_TOO_LARGE');
    expect(result.error?.message).toMatch(/100000 × 100000/);
    expect(ocr.recognize).not.toHaveBeenCalled();
  });

  it('refuses a GIF announcing 65535 × 65535 pixels before decoding it', async () => {
    const gif = grayGif({ width: 1, height: 1, pixels: Buffer.from([0]) });
    gif.writeUInt16LE(65535, 6);
    gif.writeUInt16LE(65535, 8);
    expectRefused(await readInvoice(gif, 'image/gif', { ocr }), 'IMAGE_TOO_LARGE');
  });

  it.each([
    ['an executable (this Node binary) renamed .pdf', () => readHead(process.execPath, 65_536)],
    [
      'a Windows executable renamed .pdf',
      () => Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(1024)]),
    ],
    ['an empty file', () => Buffer.alloc(0)],
  ])('refuses %s as an unsupported format', async (_kind, bytes) => {
    expectRefused(await readInvoice(bytes(), 'application/pdf', { ocr }), 'UNSUPPORTED_FORMAT');
    expect(ocr.recognize).not.toHaveBeenCalled();
  });

  it('gives up a page whose OCR outlasts the timeout, and the pool replaces the stuck worker', async () => {
    const result = await readInvoice(encodeGrayPng(scan), 'image/png', { ocr, limits: { ocrPageTimeoutMs: 1 } });
    expectRefused(result, 'OCR_TIMEOUT');
    await expect(ocr.pool.recognize(encodeGrayPng(scan), { timeoutMs: 1 })).rejects.toBeInstanceOf(OcrTimeoutError);
  });
});

describe('after bad documents', () => {
  it('still reads a good PDF and a good image', async () => {
    const pdf = await readInvoice(textPdf(INVOICE_LINES), 'application/pdf', { ocr });
    expect(pdf).toMatchObject({ engine: 'TEXT_LAYER', fields: { invoiceNumber: INVOICE.number } });
    const image = await readInvoice(encodeGrayPng(scan), 'image/png', { ocr });
    expect(image).toMatchObject({ engine: 'OCR', fields: { totalCents: INVOICE.totalCents, iban: INVOICE.iban } });
  });
});

/** Start of image, then a baseline frame header of 1654 × 2339 pixels, and twice that much padding: no scan data. */
function jpegHeaderOnly(): Buffer {
  const frame = Buffer.from([0xff, 0xc0, 0, 17, 8, 0x09, 0x23, 0x06, 0x76, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), frame, Buffer.alloc(frame.length + 2)]);
}

function readHead(file: string, bytes: number): Buffer {
  const handle = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = fs.readSync(handle, buffer, 0, bytes, 0);
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(handle);
  }
}
