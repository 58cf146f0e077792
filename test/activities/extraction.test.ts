import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment as SdkMockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createExtractionActivities } from '../../activities/extraction';
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
let scanPng: Buffer;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'extraction-activity-'));
  store = new FileDocumentStore(root);
  ocr = await startTestOcr(1);
  scanPng = encodeGrayPng(await renderedText(INVOICE_LINES));
});

afterAll(async () => {
  await ocr.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('extractInvoiceFields', () => {
  it('reads the stored document named by its sha256', async () => {
    const { sha256 } = await store.put(textPdf(INVOICE_LINES));
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr: null });
    const result = await new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256,
      mimeType: 'application/pdf',
    });
    expect(result).toMatchObject({ engine: 'TEXT_LAYER', fields: { invoiceNumber: INVOICE.number } });
  });

  it('heartbeats its progress while OCR reads the pages', async () => {
    const { sha256 } = await store.put(scanPng);
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const result = await env.run(extractInvoiceFields, { sha256, mimeType: 'image/png' });
    expect(result).toMatchObject({ engine: 'OCR', fields: { totalCents: INVOICE.totalCents } });
    expect(beats).toContainEqual({ stage: 'OCR', page: 1, pages: 1 } satisfies ExtractionProgress);
  });

  it('completes with engine NONE for a document that cannot be read, so a validator sees it', async () => {
    const { sha256 } = await store.put(encryptedPdf());
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr });
    const result = await new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256,
      mimeType: 'application/pdf',
    });
    expect(result).toMatchObject({ engine: 'NONE', confidence: 0, error: { code: 'PDF_ENCRYPTED' } });
  });

  it('fails without retry when the document is not in the store', async () => {
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr });
    const run = new MockActivityEnvironment().run(extractInvoiceFields, {
      sha256: 'f'.repeat(64),
      mimeType: 'image/png',
    });
    await expect(run).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(run).rejects.toMatchObject({ type: 'NOT_FOUND', nonRetryable: true });
  });

  it('stops the OCR of the page when the activity is cancelled', async () => {
    const { sha256 } = await store.put(scanPng);
    const { extractInvoiceFields } = createExtractionActivities({ store, ocr });
    const env = new MockActivityEnvironment();
    env.on('heartbeat', () => env.cancel());
    await expect(env.run(extractInvoiceFields, { sha256, mimeType: 'image/png' })).rejects.toBeInstanceOf(
      CancelledFailure,
    );
    const next = await new MockActivityEnvironment().run(extractInvoiceFields, { sha256, mimeType: 'image/png' });
    expect(next).toMatchObject({ engine: 'OCR' });
  });
});
