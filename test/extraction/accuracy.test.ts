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
 * what the reading scores today (rows read from the word boxes, rescue passes); issue 11 asks text layer ≥ 98 %
 * (met), clean images ≥ 95 % and scans ≥ 90 % (OCR totals are not there yet: a « Line Total » above the amount due,
 * a decimal comma lost).
 */
const FLOORS: Record<CorpusName, Record<EngineName, Partial<Record<ScoredField, number>>>> = {
  corpus: {
    'embedded XML': { invoiceNumber: 1, total: 1, iban: 1, sellerSiret: 1, issueDate: 1 },
    'text layer': { invoiceNumber: 1, total: 1, iban: 1, sellerSiret: 1, issueDate: 1 },
    'OCR clean PNG': { invoiceNumber: 1, total: 0.92, iban: 1, sellerSiret: 1, issueDate: 1 },
    'OCR scan JPEG': { invoiceNumber: 1, total: 0.92, iban: 1, sellerSiret: 1, issueDate: 1 },
  },
  'corpus-extra': {
    'embedded XML': { invoiceNumber: 1, total: 1, iban: 1, sellerSiret: 1, issueDate: 1 },
    'text layer': { invoiceNumber: 1, total: 1, iban: 1, sellerSiret: 1, issueDate: 1 },
    'OCR clean PNG': { invoiceNumber: 1, total: 0.9, iban: 1, sellerSiret: 1, issueDate: 1 },
    'OCR scan JPEG': { invoiceNumber: 0.95, total: 0.95, iban: 0.93, sellerSiret: 1, issueDate: 1 },
  },
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
 * Floors on the generated invoices (seed 1, one per layout: 14 invoices, 17 pages), at what the reading scores today
 * (issue 11 asks clean images ≥ 95 % and scans ≥ 90 %: scans' totals lose their decimal comma). Every page is read
 * (a deposit is one file), so every field is scored on every invoice.
 */
const GENERATED_FLOORS: Record<GeneratedEngine, Record<ScoredField, number>> = {
  'text layer': { invoiceNumber: 1, total: 1, iban: 1, sellerSiret: 1, issueDate: 1 },
  'OCR clean PNG': { invoiceNumber: 0.92, total: 0.92, iban: 1, sellerSiret: 1, issueDate: 0.92 },
  'OCR scan': { invoiceNumber: 1, total: 0.78, iban: 1, sellerSiret: 1, issueDate: 1 },
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
