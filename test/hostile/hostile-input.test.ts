import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { createExtractionActivities } from '../../activities/extraction';
import { createReaderPool, type ReaderPool } from '../../extraction/readers';
import { ChildLimitError, type ChildUsage } from '../../infra/child-pool';
import { getProFormaQuery, proFormaWorkflowId, type ProFormaView } from '../../workflows/pro-forma.messages';
import { encryptedPdf, manyPagesPdf, pngBomb } from '../extraction/fixtures';
import { startTestOcr, type TestOcr } from '../extraction/ocr-test-pool';
import { generatedProForma, startApiStack, type ApiStack } from '../helpers/api';
import {
  attachmentBombPdf,
  contentBombPdf,
  entityExpansionPdf,
  gifBomb,
  htmlPdfPolyglot,
  imageBombPdf,
  lyingPageCountPdf,
  millionRowWorkbook,
  nestedOperatorsPdf,
  pageTreeCyclePdf,
  undeclaredRowsWorkbook,
  zipBombWorkbook,
} from '../helpers/hostile-files';
import { invoicePdf } from '../helpers/invoices';

/**
 * Every hostile file, deposited through the real API on the real stack (PostgreSQL, Temporal, the OCR worker with its
 * reader processes and tesseract pool), while /health is polled over HTTP. For each: the answer (an HTTP refusal at
 * upload, or the reading the workflow recorded), the time to it, the worst /health latency meanwhile, and the peak
 * resident memory of the process that read it. The table is printed; the bounds are asserted.
 */

jest.setTimeout(600_000);

const READ_DEADLINE_MS = 10_000;
const READER_MEMORY_MB = 512;
/** Scheduling on top of the reader's deadline: the activity task, its result, the workflow task that records it. */
const SCHEDULING_MS = 20_000;
const MB = 1024 * 1024;

type Expected = { status: number; code: string } | { engine: string; code: string | null };

interface Fixture {
  name: string;
  file: () => Promise<Buffer> | Buffer;
  fileName: string;
  expected: Expected;
  /** Where the file goes: an invoice deposit (default) or a contracts import. */
  to?: 'deposit' | 'import';
}

const BOMB = 300 * MB;

const FIXTURES: Fixture[] = [
  {
    name: 'nested q/Q operators (2 × 10^6)',
    file: () => nestedOperatorsPdf(),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'READ_TIMEOUT' },
  },
  {
    name: 'content stream inflating to 300 MB',
    file: () => contentBombPdf(BOMB),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'PDF_DECODED_TOO_LARGE' },
  },
  {
    name: 'image XObject inflating to 300 MB',
    file: () => imageBombPdf(BOMB),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'PDF_DECODED_TOO_LARGE' },
  },
  {
    name: 'attachment twice deflated to 300 MB',
    file: () => attachmentBombPdf(BOMB),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'PDF_DECODED_TOO_LARGE' },
  },
  {
    name: 'Factur-X XML with the billion laughs',
    file: () => entityExpansionPdf('billion-laughs'),
    fileName: 'facture.pdf',
    expected: { engine: 'TEXT_LAYER', code: null },
  },
  {
    name: 'Factur-X XML with an external entity (XXE)',
    file: () => entityExpansionPdf('xxe'),
    fileName: 'facture.pdf',
    expected: { engine: 'TEXT_LAYER', code: null },
  },
  {
    name: 'page tree that contains itself',
    file: () => pageTreeCyclePdf(),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'PDF_UNREADABLE' },
  },
  {
    name: 'page tree announcing 10^6 pages',
    file: () => lyingPageCountPdf(1_000_000),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'NOTHING_READ' },
  },
  {
    name: 'PDF of 2 000 pages',
    file: () => manyPagesPdf(2_000),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'PDF_TOO_MANY_PAGES' },
  },
  {
    name: 'encrypted PDF',
    file: () => encryptedPdf(),
    fileName: 'facture.pdf',
    expected: { engine: 'NONE', code: 'PDF_ENCRYPTED' },
  },
  {
    name: 'PDF/HTML polyglot named .html',
    file: () => htmlPdfPolyglot(),
    fileName: 'facture.html',
    expected: { engine: 'TEXT_LAYER', code: null },
  },
  {
    name: 'PNG 10000 × 4000, 16-bit RGBA',
    file: () => pngBomb(10_000, 4_000, { bitDepth: 16, colorType: 6 }),
    fileName: 'scan.png',
    expected: { status: 413, code: 'IMAGE_TOO_LARGE' },
  },
  {
    name: 'PNG announcing 100000 × 100000',
    file: () => pngBomb(100_000, 100_000),
    fileName: 'scan.png',
    expected: { status: 413, code: 'IMAGE_TOO_LARGE' },
  },
  {
    name: 'GIF announcing 65535 × 65535',
    file: () => gifBomb(65_535, 65_535),
    fileName: 'scan.gif',
    expected: { status: 413, code: 'IMAGE_TOO_LARGE' },
  },
  {
    name: 'workbook of a million rows',
    file: () => millionRowWorkbook(),
    fileName: 'contrats.xlsx',
    to: 'import',
    expected: { status: 422, code: 'TOO_MANY_ROWS' },
  },
  {
    name: 'workbook of 20 000 rows, none declared',
    file: () => undeclaredRowsWorkbook(20_000),
    fileName: 'contrats.xlsx',
    to: 'import',
    expected: { status: 422, code: 'TOO_MANY_ROWS' },
  },
  {
    name: 'zip bomb workbook (300 MB, size declared)',
    file: () => zipBombWorkbook(BOMB, 'true'),
    fileName: 'contrats.xlsx',
    to: 'import',
    expected: { status: 413, code: 'WORKBOOK_TOO_LARGE' },
  },
  {
    name: 'zip bomb workbook (300 MB, size lying)',
    file: () => zipBombWorkbook(BOMB, 'lying'),
    fileName: 'contrats.xlsx',
    to: 'import',
    expected: { status: 422, code: 'FILE_UNREADABLE' },
  },
];

interface Row {
  fixture: string;
  bytes: number;
  answer: string;
  ms: number;
  healthMs: number;
  reader: string;
  peakRssMb: number | null;
}

/** Reader processes that remember, per file (SHA-256 of its bytes), the usage of the process that read it. */
function recording(pool: ReaderPool, usages: Map<string, ChildUsage>): ReaderPool {
  const keyOf = (input: unknown) =>
    crypto
      .createHash('sha256')
      .update((input as { bytes: Uint8Array }).bytes)
      .digest('hex');
  const run = (async (task, input, options) => {
    try {
      const done = await pool.run(task, input, options);
      usages.set(keyOf(input), done);
      return done;
    } catch (error) {
      if (error instanceof ChildLimitError) usages.set(keyOf(input), error.usage);
      throw error;
    }
  }) as ReaderPool['run'];
  return { size: pool.size, run, warm: () => pool.warm(), close: () => pool.close() };
}

/** GET /health every 100 ms over real HTTP until stopped; the worst latency, and the answers not 200. */
function pollHealth(url: string) {
  let worst = 0;
  let failures = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
        if (res.status !== 200) failures += 1;
        await res.arrayBuffer();
      } catch {
        failures += 1;
      }
      worst = Math.max(worst, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { worstMs: Math.round(worst), failures };
    },
  };
}

describe('hostile input', () => {
  let api: ApiStack;
  let ocr: TestOcr;
  let invoiceReaders: ReaderPool;
  let importReaders: ReaderPool;
  let server: http.Server;
  let url: string;
  const usages = new Map<string, ChildUsage>();
  const rows: Row[] = [];

  beforeAll(async () => {
    const limits = { deadlineMs: READ_DEADLINE_MS, memoryLimitMb: READER_MEMORY_MB };
    importReaders = recording(createReaderPool({ size: 1, ...limits }), usages);
    api = await startApiStack({ ocrWorker: false, readers: importReaders });
    ocr = await startTestOcr(1);
    invoiceReaders = recording(createReaderPool({ size: 2, ...limits }), usages);
    await invoiceReaders.warm();
    await api.stack.startOcrWorker(
      createExtractionActivities({ store: api.store, ocr: ocr.pool, readers: invoiceReaders }).extractInvoiceFields,
    );
    server = http.createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    const table = rows.map((r) => ({
      fixture: r.fixture,
      'size (KB)': Math.round(r.bytes / 1024),
      answer: r.answer,
      'time to answer (ms)': r.ms,
      'worst /health (ms)': r.healthMs,
      'read by': r.reader,
      'peak RSS (MB)': r.peakRssMb ?? 'n/a',
    }));
    if (table.length > 0) {
      process.stdout.write(
        `\nHostile input (reader deadline ${READ_DEADLINE_MS} ms, memory ${READER_MEMORY_MB} MiB)\n`,
      );
      console.table(table);
    }
    await new Promise((resolve) => server?.close(resolve));
    await invoiceReaders?.close();
    await ocr?.close();
    await api?.teardown();
  });

  const readingOf = async (number: string, deadline: number): Promise<ProFormaView> => {
    const handle = api.stack.client.workflow.getHandle(proFormaWorkflowId(number));
    for (;;) {
      const view = await handle.query(getProFormaQuery);
      if (view.extraction && view.stage !== 'READING') return view;
      if (performance.now() > deadline) throw new Error(`no reading within the deadline: ${view.stage}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it.each(FIXTURES.map((f) => [f.name, f] as const))(
    'answers %s within its deadline, /health staying fast',
    async (_name, fixture) => {
      const content = await fixture.file();
      const sha256 = crypto.createHash('sha256').update(content).digest('hex');
      const proForma = fixture.to === 'import' ? null : await generatedProForma(api);
      const health = pollHealth(url);
      const started = performance.now();
      const upload =
        fixture.to === 'import'
          ? request(url).post('/api/admin/imports/contracts').set('Authorization', `Bearer ${api.users.admin.token}`)
          : request(url)
              .post(`/api/pro-formas/${proForma?.number}/invoice`)
              .set('Authorization', `Bearer ${api.users.cfa.token}`);
      const res = await upload.attach('file', content, { filename: fixture.fileName });
      let answer: string;
      let view: ProFormaView | null = null;
      if (res.status === 202) {
        view = await readingOf(proForma?.number as string, started + READ_DEADLINE_MS + SCHEDULING_MS);
        answer = `${view.extraction?.engine} ${view.extraction?.error?.code ?? ''}`.trim();
      } else {
        answer = `${res.status} ${res.body?.error?.code}`;
      }
      const ms = Math.round(performance.now() - started);
      const { worstMs, failures } = await health.stop();
      const usage = usages.get(sha256);
      const reader =
        fixture.to === 'import' ? 'API reader' : res.status === 202 ? 'OCR worker reader' : 'API (header only)';
      rows.push({
        fixture: fixture.name,
        bytes: content.length,
        answer,
        ms,
        healthMs: worstMs,
        reader: usage ? reader : 'API (header only)',
        peakRssMb: usage?.peakRssBytes ? Math.round(usage.peakRssBytes / MB) : null,
      });

      if ('status' in fixture.expected) {
        expect(res.status).toBe(fixture.expected.status);
        expect(res.body).toMatchObject({ error: { code: fixture.expected.code, message: expect.any(String) } });
      } else {
        expect(res.status).toBe(202);
        expect(view?.extraction).toMatchObject({ engine: fixture.expected.engine });
        expect(view?.extraction?.error?.code ?? null).toBe(fixture.expected.code);
        expect(ms).toBeLessThan(READ_DEADLINE_MS + SCHEDULING_MS);
      }
      expect(failures).toBe(0);
      expect(worstMs).toBeLessThan(1_000);
      if (usage?.peakRssBytes) expect(usage.peakRssBytes).toBeLessThan(READER_MEMORY_MB * MB);
    },
  );

  it('keeps other pro formas moving while a reader is stuck on a hostile file', async () => {
    const stuck = await generatedProForma(api);
    const moving = await generatedProForma(api);
    const cfa = `Bearer ${api.users.cfa.token}`;
    const started = performance.now();
    const hostile = await request(url)
      .post(`/api/pro-formas/${stuck.number}/invoice`)
      .set('Authorization', cfa)
      .attach('file', nestedOperatorsPdf(), { filename: 'facture.pdf' });
    expect(hostile.status).toBe(202);
    const good = invoicePdf({
      proFormaNumber: moving.number,
      invoiceNumber: 'FA-2026-0001',
      totalCents: moving.totalCents,
      siret: api.cfa.siret,
      iban: api.cfa.iban,
    });
    const deposited = await request(url)
      .post(`/api/pro-formas/${moving.number}/invoice`)
      .set('Authorization', cfa)
      .attach('file', good, { filename: 'facture.pdf' });
    expect(deposited.status).toBe(202);
    const movingView = await readingOf(moving.number, started + READ_DEADLINE_MS + SCHEDULING_MS);
    const movedAfter = performance.now() - started;
    expect(movingView.extraction).toMatchObject({ engine: 'TEXT_LAYER', fields: { invoiceNumber: 'FA-2026-0001' } });
    const stuckView = await readingOf(stuck.number, started + READ_DEADLINE_MS + SCHEDULING_MS);
    expect(stuckView.extraction?.error?.code).toBe('READ_TIMEOUT');
    // The good invoice was read while the other reader was still stuck, not after its deadline.
    expect(movedAfter).toBeLessThan(READ_DEADLINE_MS);
  });
});
