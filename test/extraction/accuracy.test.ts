import fs from 'node:fs';
import path from 'node:path';
import {
  CORPORA,
  ENGINES,
  PROJECT_ROOT,
  RefusalCount,
  corpusDir,
  loadCorpus,
  measureAccuracy,
  type AccuracyTable,
  type CorpusName,
  type EngineName,
  type ScoredField,
} from '../../support/extraction-accuracy';
import {
  GENERATED_ENGINES,
  formatGeneratedReport,
  measureGeneratedAccuracy,
  type GeneratedAccuracy,
  type GeneratedEngine,
} from '../../support/generated-accuracy';
import { generateInvoices, type GeneratedInvoice } from '../../support/invoice-generator';
import { startTestOcr, type TestOcr } from './ocr-test-pool';

/**
 * For each corpus, engine and field, the share of the items read exactly, against floors. Raise a floor when the
 * parsers improve; never lower one.
 *
 * The corpus images show page 1 only, so OCR is scored on the values page 1 prints (totals and IBANs printed on a
 * later page are not; the table also shows the whole-corpus count). The embedded XML and the text layer read every
 * page and are scored on every item whose truth holds the field.
 *
 * `corpus` is what the first parsers were written on; `corpus-extra` holds layouts they never saw. The floors are
 * issue 11's (text layer ≥ 98 %, clean images ≥ 95 %, scans ≥ 90 %, the embedded XML exact); measured on
 * 2026-12-02: text layer and clean images 100 % on both, scans 100 % on corpus and 98–100 % on corpus-extra (one
 * number whose underscore OCR drops).
 */
const EVERY_FIELD = (floor: number): Record<ScoredField, number> => ({
  invoiceNumber: floor,
  total: floor,
  iban: floor,
  sellerSiret: floor,
  issueDate: floor,
});
/** Issue 11's floors: the embedded XML and the text layer exact (the text layer asks ≥ 98 %, it reads 100 %). */
const ENGINE_FLOORS: Record<EngineName, Record<ScoredField, number>> = {
  'embedded XML': EVERY_FIELD(1),
  'text layer': EVERY_FIELD(1),
  'OCR clean PNG': EVERY_FIELD(0.95),
  'OCR scan JPEG': EVERY_FIELD(0.9),
};
const FLOORS: Record<CorpusName, Record<EngineName, Partial<Record<ScoredField, number>>>> = {
  corpus: ENGINE_FLOORS,
  'corpus-extra': ENGINE_FLOORS,
};

// 124 full pages of OCR on the corpora and 34 on the generated invoices (with their rendering and scanning), on a
// two-worker pool: about four minutes and a half on two idle cores, more on a busy machine.
jest.setTimeout(20 * 60_000);

// CI (.ci/run exports CI=true) must measure the floors: there a missing corpus fails instead of passing silently.
const inCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

describe.each(CORPORA)('extraction accuracy on the hybrid invoices of %s', (corpus) => {
  const dir = corpusDir(process.env, corpus);
  const items = loadCorpus(dir);
  if (items === null || items.length === 0) {
    const missing = `${corpus} ${dir} not found (or holds no item)`;
    if (!inCi) console.warn(`SKIPPED: the extraction accuracy test did not run: ${missing}`);
    (inCi ? it : it.skip)('finds the corpus to measure, which CI must provide', () => {
      throw new Error(`The extraction accuracy test cannot run in CI: ${missing}.`);
    });
    return;
  }

  let ocr: TestOcr;
  let table: AccuracyTable;
  let refusals: RefusalCount;

  beforeAll(async () => {
    ocr = await startTestOcr(2);
    refusals = new RefusalCount();
    table = await measureAccuracy(items, {
      ocr: { recognize: ocr.recognize, size: ocr.pool.size },
      onReading: refusals.checkCorpusReading,
    });
    const report = [
      `Extraction accuracy on ${items.length} items of ${dir}`,
      '',
      table.format(),
      '',
      ...table.formatMisses(),
      '',
      ...refusals.format(),
    ].join('\n');
    writeReport(corpus, report);
  });

  afterAll(async () => {
    await ocr?.close();
  });

  const floors = ENGINES.flatMap((engine) =>
    Object.entries(FLOORS[corpus][engine]).map(([field, floor]) => [engine, field as ScoredField, floor] as const),
  );

  it('never refuses automatically a correct invoice, whatever engine read it', () => {
    expect(refusals.checked).toBeGreaterThan(0);
    expect(refusals.refusals.map((r) => `${r.engine} · ${r.id} · ${r.failed.map((f) => f.code).join(', ')}`)).toEqual(
      [],
    );
  });

  it.each(floors)('%s reads %s exactly on at least the floor share of the items', (engine, field, floor) => {
    const { scored } = table.count(engine, field);
    expect(scored).toBeGreaterThan(0);
    expect(table.share(engine, field)).toBeGreaterThanOrEqual(floor);
  });
});

/**
 * Floors on the generated invoices (seed 1, one per layout: 14 invoices, 17 pages): issue 11's, as on the corpora
 * (measured on 2026-12-02: 100 % of every field with every engine). Every page is read (a deposit is one file), so
 * every field is scored on every invoice.
 */
const GENERATED_FLOORS: Record<GeneratedEngine, Record<ScoredField, number>> = {
  'text layer': EVERY_FIELD(1),
  'OCR clean PNG': EVERY_FIELD(0.95),
  'OCR scan': EVERY_FIELD(0.9),
};

/**
 * The correct invoices the controls refused when this was measured (`engine · invoice · failed control`): none. The
 * reading of an hour earlier refused four (OCR clean and scan of bold-banner and multi-page-2): it took the Opco's
 * SIRET, printed beside the CFA's, for the CFA's, and a valid SIRET that is not the CFA's is a sure mismatch (so did a
 * rescue pass once, reading the Opco's SIRET in a region cut out of its block: the page's buyers' SIRETs now go with
 * the region, and a value only the second read found never refuses). A case
 * added here must say why; issue 11 keeps the list empty.
 */
const FALSE_AUTOMATIC_REFUSALS: string[] = [];

describe('extraction accuracy on the generated invoices', () => {
  let ocr: TestOcr;
  let accuracy: GeneratedAccuracy;
  let invoices: GeneratedInvoice[];

  beforeAll(async () => {
    invoices = await generateInvoices({ seed: 1, perLayout: 1 });
    ocr = await startTestOcr(2);
    accuracy = await measureGeneratedAccuracy(invoices, { ocr: { recognize: ocr.recognize, size: ocr.pool.size } });
    const pages = invoices.reduce((sum, invoice) => sum + invoice.truth.pages, 0);
    writeReport(
      'generated',
      formatGeneratedReport(
        `Extraction accuracy on ${invoices.length} generated invoices (seed 1, ${pages} pages)`,
        accuracy,
      ),
    );
  });

  afterAll(async () => {
    await ocr?.close();
  });

  const floors = GENERATED_ENGINES.flatMap((engine) =>
    Object.entries(GENERATED_FLOORS[engine]).map(([field, floor]) => [engine, field as ScoredField, floor] as const),
  );

  it.each(floors)('%s reads %s exactly on at least the floor share of the invoices', (engine, field, floor) => {
    expect(accuracy.table.count(engine, field).scored).toBeGreaterThan(0);
    expect(accuracy.table.share(engine, field)).toBeGreaterThanOrEqual(floor);
  });

  it('refuses automatically the same correct invoices as when it was measured', () => {
    const cases = accuracy.refusals.refusals.flatMap((refusal) =>
      refusal.failed.map((failed) => `${refusal.engine} · ${refusal.id} · ${failed.code}`),
    );
    expect(accuracy.refusals.checked).toBe(GENERATED_ENGINES.length * invoices.length);
    expect(cases.sort()).toEqual(FALSE_AUTOMATIC_REFUSALS);
  });
});

/** Printed in the test output and kept in data/ beside the other reports. */
function writeReport(name: string, report: string): void {
  console.log(report);
  fs.mkdirSync(path.join(PROJECT_ROOT, 'data'), { recursive: true });
  fs.writeFileSync(path.join(PROJECT_ROOT, 'data', `extraction-accuracy-${name}.txt`), `${report}\n`);
}
