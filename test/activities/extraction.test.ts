import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment as SdkMockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createExtractionActivities } from '../../activities/extraction';
import type { ReaderPool } from '../../extraction/readers';
import { startTestReaders } from '../helpers/readers';
import { contentBombPdf, nestedOperatorsPdf } from '../helpers/hostile-files';
import type { ExtractionProgress } from '../../extraction/read-invoice';
import { encodeGrayPng } from '../../infra/bitmap-text';
import { FileDocumentStore } from '../../infra/storage';
import { INVOICE, INVOICE_LINES, encryptedPdf, renderedText, textPdf } from '../extraction/fixtures';
import { startTestOcr, type TestOcr } from '../extraction/ocr-test-pool';

/** The SDK logs each failed attempt as a warning; these tests fail activities on purpose. */
class MockActivityEnvironment extends SdkMockActivityEnvironment {
  constructor() {
    super(undefined, { logger: new DefaultLogger('ERROR') });
  }
}

let root: string;
let store: FileDocumentStore;
let ocr: TestOcr;
let readers: ReaderPool;
let scanPng: Buffer;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'extraction-activity-'));
  store = new FileDocumentStore(root);
  ocr = await startTestOcr(1);
  readers = await startTestReaders({ deadlineMs: 20_000 });
  scanPng = encodeGrayPng(await renderedText(INVOICE_LINES));
});

afterAll(async () => {
  await readers.close();
  await ocr.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('extractInvoiceFields', () => {
  it('reads the stored document named by its sha256', async () => {
    const { sha256 } = await store.put(textPdf(INVOICE_LINES));
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr: null, readers });
    const result = await new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256,
      mimeType: 'application/pdf',
    });
    expect(result).toMatchObject({ engine: 'TEXT_LAYER', fields: { invoiceNumber: INVOICE.number } });
  });

  it('heartbeats its progress while OCR reads the pages', async () => {
    const { sha256 } = await store.put(scanPng);
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr, readers });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const result = await env.run(extractInvoiceFields, { sha256, mimeType: 'image/png' });
    expect(result).toMatchObject({ engine: 'OCR', fields: { totalCents: INVOICE.totalCents } });
    expect(beats).toContainEqual({ stage: 'OCR', page: 1, pages: 1 } satisfies ExtractionProgress);
  });

  it('has the reader ask the pool for a rescue pass, a region read as one column, when the total is unconfirmed', async () => {
    // « Total » alone, nothing to confirm it: the reader process asks its parent's pool to read the region again.
    const lines = [...INVOICE_LINES.slice(0, 4), 'Total : 1 575,00 €', INVOICE_LINES[6] ?? ''];
    const { sha256 } = await store.put(encodeGrayPng(await renderedText(lines)));
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr, readers });
    ocr.recognize.mockClear();
    const result = await new MockActivityEnvironment().run(extractInvoiceFields, { sha256, mimeType: 'image/png' });
    expect(result).toMatchObject({ engine: 'OCR', fields: { totalCents: INVOICE.totalCents } });
    expect(ocr.recognize.mock.calls.map(([, options]) => options?.psm)).toEqual([undefined, '4']);
    expect(ocr.recognize.mock.calls[0]?.[1]).toMatchObject({ words: true });
  });

  it('completes with engine NONE for a document that cannot be read, so a validator sees it', async () => {
    const { sha256 } = await store.put(encryptedPdf());
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr, readers });
    const result = await new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256,
      mimeType: 'application/pdf',
    });
    expect(result).toMatchObject({ engine: 'NONE', confidence: 0, error: { code: 'PDF_ENCRYPTED' } });
  });

  it('fails without retry when the document is not in the store', async () => {
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr, readers });
    const run = new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256: 'f'.repeat(64),
      mimeType: 'image/png',
    });
    await expect(run).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(run).rejects.toMatchObject({ type: 'NOT_FOUND', nonRetryable: true });
  });

  it('stops the OCR of the page when the activity is cancelled', async () => {
    const { sha256 } = await store.put(scanPng);
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr, readers });
    const env = new MockActivityEnvironment();
    env.on('heartbeat', () => env.cancel());
    await expect(env.run(extractInvoiceFields, { sha256, mimeType: 'image/png' })).rejects.toBeInstanceOf(
      CancelledFailure,
    );
    const next = await new MockActivityEnvironment().run(extractInvoiceFields, { sha256, mimeType: 'image/png' });
    expect(next).toMatchObject({ engine: 'OCR' });
  });
});

describe('extractInvoiceFields on a hostile document', () => {
  let quick: ReaderPool;
  beforeAll(async () => {
    quick = await startTestReaders({ deadlineMs: 3_000 });
  });
  afterAll(async () => {
    await quick.close();
  });

  it('ends a document whose reading outlasts the deadline as unreadable (READ_TIMEOUT), then reads the next', async () => {
    const { sha256 } = await store.put(nestedOperatorsPdf());
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr: null, readers: quick });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const started = Date.now();
    const result = await env.run(extractInvoiceFields, { sha256, mimeType: 'application/pdf' });
    expect(result).toMatchObject({ engine: 'NONE', confidence: 0, error: { code: 'READ_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(10_000);

    const good = await store.put(textPdf(INVOICE_LINES));
    const next = await new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256: good.sha256,
      mimeType: 'application/pdf',
    });
    expect(next).toMatchObject({ engine: 'TEXT_LAYER', fields: { invoiceNumber: INVOICE.number } });
  });

  it('ends a PDF whose streams inflate past the budget as PDF_DECODED_TOO_LARGE, before pdfjs opens it', async () => {
    const { sha256 } = await store.put(await contentBombPdf(300 * 1024 * 1024));
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr: null, readers });
    const result = await new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256,
      mimeType: 'application/pdf',
    });
    expect(result).toMatchObject({ engine: 'NONE', pageCount: 0, error: { code: 'PDF_DECODED_TOO_LARGE' } });
  });
});
