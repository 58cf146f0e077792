import fs from 'node:fs';
import path from 'node:path';
import { controlVerdict, runControls, type ControlCode, type ControlResult } from '../domain/controls';
import { isValidIban, isValidSiret } from '../domain/identifiers';
import { FRENCH_MONTHS } from '../domain/dates';
import { readFacturX, xmlDecimalToCents } from '../extraction/facturx';
import { withPdf } from '../extraction/pdf';
import { readInvoice, textLayerReading, type OcrEngine } from '../extraction/read-invoice';
import { readTextLayer } from '../extraction/text-layer';
import {
  INVOICE_FIELD_NAMES,
  emptyFields,
  zeroConfidences,
  type ExtractionResult,
  type InvoiceFields,
} from '../extraction/types';

/**
 * Accuracy on the hybrid invoice corpus (../shared/corpus/README.md), shared by test/extraction/accuracy.test.ts
 * and `npm run bench:extraction`, hence here: bench/ and test/ never import each other. The truth of each item was
 * taken from its embedded XML; a key missing from a truth file means "not in the XML", so only the keys present are
 * scored.
 */

export const SCORED_FIELDS = ['invoiceNumber', 'total', 'iban', 'sellerSiret', 'issueDate'] as const;
export type ScoredField = (typeof SCORED_FIELDS)[number];

export const ENGINES = ['embedded XML', 'text layer', 'OCR clean PNG', 'OCR scan JPEG'] as const;
export type EngineName = (typeof ENGINES)[number];

/** The project root is the parent of support/; the corpora sit beside the project (../shared/corpus…). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The corpus the first parsers were written on, and 41 more items of other issuers, document types and layouts
 * (../shared/corpus-extra/README.md): how the reading does on layouts it was not written on.
 */
export const CORPORA = ['corpus', 'corpus-extra'] as const;
export type CorpusName = (typeof CORPORA)[number];

const CORPUS_DIR_VARIABLES: Record<CorpusName, string> = { corpus: 'CORPUS_DIR', 'corpus-extra': 'CORPUS_EXTRA_DIR' };

export function corpusDir(
  env: Record<string, string | undefined> = process.env,
  corpus: CorpusName = 'corpus',
): string {
  return path.resolve(PROJECT_ROOT, env[CORPUS_DIR_VARIABLES[corpus]] ?? `../shared/${corpus}`);
}

/** What scoring needs of an item, corpus or generated: its id and the values it should be read as. */
export interface ScoredItem {
  id: string;
  expected: Partial<Record<ScoredField, string | number>>;
  /**
   * A credit note whose truth states its amounts positive (EN 16931: the type code carries the sign) while the page
   * may print them negative: either sign of the total is exact, as the TOTAL_AMOUNT control accepts.
   */
  creditNote?: boolean;
}

export interface CorpusItem extends ScoredItem {
  pdf: string;
  png: string;
  scan: string;
  /** The truth's `documentKind`: Order-X orders are `order`, not invoices (no amount to pay). */
  documentKind: string | null;
  /** UNTDID 1001 (380 invoice, 381 credit note, 220 order…). */
  typeCode: string | null;
}

/** UNTDID 1001 codes of credit notes (381 credit note, 261/262 self-billed and partial, 396 factored, 532). */
const CREDIT_NOTE_TYPE_CODES: ReadonlySet<string> = new Set(['381', '261', '262', '396', '532']);

/** The images of the corpus show page 1 only: OCR on them is scored on the values page 1 prints. */
export const PAGE_ONE_ENGINES: readonly EngineName[] = ['OCR clean PNG', 'OCR scan JPEG'];

/** Items that have their PDF, PNG, JPEG and truth; null when the folder does not exist. */
export function loadCorpus(dir: string): CorpusItem[] | null {
  if (!fs.existsSync(dir)) return null;
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.truth.json'))
    .sort()
    .map((name) => {
      const id = name.slice(0, -'.truth.json'.length);
      const truth: unknown = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      return {
        id,
        pdf: path.join(dir, `${id}.pdf`),
        png: path.join(dir, `${id}.p1.png`),
        scan: path.join(dir, `${id}.scan.jpg`),
        expected: expectedValues(truth),
        documentKind: truthString(truth, 'documentKind') ?? null,
        typeCode: truthString(truth, 'typeCode') ?? null,
        creditNote: CREDIT_NOTE_TYPE_CODES.has(truthString(truth, 'typeCode') ?? ''),
      };
    })
    .filter((item) => [item.pdf, item.png, item.scan].every((file) => fs.existsSync(file)));
}

/** The amount to pay is `duePayable`, else the grand total (Order-X has no amount due). */
export function expectedValues(truth: unknown): Partial<Record<ScoredField, string | number>> {
  const get = (key: string) => truthString(truth, key);
  const expected: Partial<Record<ScoredField, string | number>> = {};
  const invoiceNumber = get('invoiceNumber');
  if (invoiceNumber !== undefined) expected.invoiceNumber = invoiceNumber;
  const total = xmlDecimalToCents(get('duePayable') ?? get('totalTaxInclusive') ?? null);
  if (total !== null) expected.total = total;
  const iban = get('ibanNormalized');
  if (iban !== undefined) expected.iban = iban;
  const siret = get('sellerSiret');
  if (siret !== undefined) expected.sellerSiret = siret;
  const issueDate = get('issueDate');
  if (issueDate !== undefined) expected.issueDate = issueDate;
  return expected;
}

function truthString(truth: unknown, key: string): string | undefined {
  const value = typeof truth === 'object' && truth !== null ? (truth as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function actualValues(fields: InvoiceFields): Record<ScoredField, string | number | null> {
  return {
    invoiceNumber: fields.invoiceNumber,
    total: fields.totalCents,
    iban: fields.iban,
    sellerSiret: fields.siret,
    issueDate: fields.issueDate,
  };
}

export interface Miss<E extends string = EngineName> {
  engine: E;
  id: string;
  field: ScoredField;
  expected: string | number;
  actual: string | number | null;
}

export interface Score {
  scored: number;
  exact: number;
}

/** Per engine and field: items scored and items read exactly. */
export class AccuracyTable<E extends string = EngineName> {
  private readonly counts = new Map<string, Score>();
  readonly misses: Miss<E>[] = [];

  private readonly allCounts = new Map<string, Score>();

  /** `engines`: the rows of the table, in this order. */
  constructor(private readonly engines: readonly E[]) {}

  /**
   * Scores the fields the truth holds. With `inScope`, a field outside it (not printed on the page that was
   * read) counts only in the whole-corpus figures, not in the share the floors apply to. Returns this item's
   * fields in scope and those read exactly.
   */
  record(engine: E, item: ScoredItem, fields: InvoiceFields, inScope?: ReadonlySet<ScoredField>): Score {
    const score = { scored: 0, exact: 0 };
    const actual = actualValues(fields);
    for (const field of SCORED_FIELDS) {
      const expected = item.expected[field];
      if (expected === undefined) continue;
      const key = `${engine}|${field}`;
      const exact =
        actual[field] === expected || (field === 'total' && item.creditNote === true && actual[field] === -expected);
      const all = this.allCounts.get(key) ?? { scored: 0, exact: 0 };
      all.scored += 1;
      if (exact) all.exact += 1;
      this.allCounts.set(key, all);
      if (inScope && !inScope.has(field)) continue;
      const count = this.counts.get(key) ?? { scored: 0, exact: 0 };
      count.scored += 1;
      score.scored += 1;
      if (exact) {
        count.exact += 1;
        score.exact += 1;
      } else this.misses.push({ engine, id: item.id, field, expected, actual: actual[field] });
      this.counts.set(key, count);
    }
    return score;
  }

  /** Share read exactly, 0..1, over the items in scope; NaN when no item has the field. */
  share(engine: E, field: ScoredField): number {
    const count = this.counts.get(`${engine}|${field}`);
    return count && count.scored > 0 ? count.exact / count.scored : Number.NaN;
  }

  count(engine: E, field: ScoredField): Score {
    return this.counts.get(`${engine}|${field}`) ?? { scored: 0, exact: 0 };
  }

  /** Over every item whose truth has the field, in scope or not. */
  countAll(engine: E, field: ScoredField): Score {
    return this.allCounts.get(`${engine}|${field}`) ?? { scored: 0, exact: 0 };
  }

  format(): string {
    const header = ['engine', ...SCORED_FIELDS];
    const rows = this.engines
      .filter((engine) => SCORED_FIELDS.some((f) => this.count(engine, f).scored > 0))
      .map((engine) => [
        engine,
        ...SCORED_FIELDS.map((field) => {
          const count = this.count(engine, field);
          const all = this.countAll(engine, field);
          if (count.scored === 0) return '-';
          const share = formatShare(count);
          return all.scored === count.scored ? share : `${share} [all pages: ${all.exact}/${all.scored}]`;
        }),
      ]);
    return formatTable(header, rows);
  }

  formatMisses(): string[] {
    return this.misses.map((m) => `${m.engine} · ${m.id} · ${m.field}: expected ${m.expected}, read ${m.actual}`);
  }
}

/** `93 % (13/14)`; `-` when nothing was scored. */
export function formatShare({ scored, exact }: Score): string {
  return scored === 0 ? '-' : `${Math.round((100 * exact) / scored)} % (${exact}/${scored})`;
}

/** A Markdown table, columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** What the controls are run on: the fields read, how sure the reader is of each, which engine read them. */
export type Reading = Pick<ExtractionResult, 'engine' | 'fields' | 'fieldConfidences' | 'error'>;

/**
 * The embedded XML only, null when the PDF carries none. Confidences as readInvoice gives them to a Factur-X read
 * (extraction/read-invoice.ts fromFacturX): 1 for a value, 0 for a field the XML leaves out.
 */
export async function readEmbeddedXml(pdfFile: string): Promise<Reading | null> {
  const document = await withPdf(fs.readFileSync(pdfFile), {}, (doc) => readFacturX(doc));
  if (!document) return null;
  const fieldConfidences = zeroConfidences();
  for (const name of INVOICE_FIELD_NAMES) fieldConfidences[name] = document.fields[name] === null ? 0 : 1;
  return { engine: 'FACTURX', fields: document.fields, fieldConfidences };
}

/**
 * The text layer of every page, whatever XML the PDF embeds (readInvoice would stop at the XML). Confidences as
 * readInvoice gives them to a text layer: the parser's, and 1 for a field the text certainly does not print.
 */
export async function readTextLayerFields(pdfFile: string): Promise<Reading> {
  const layer = await withPdf(fs.readFileSync(pdfFile), {}, (doc) => readTextLayer(doc));
  return { engine: 'TEXT_LAYER', ...textLayerReading(layer) };
}

/** An image read the way a deposit is: readInvoice, which sends images to OCR. */
export async function readImageFields(imageFile: string, ocr: OcrEngine): Promise<ExtractionResult> {
  const bytes = fs.readFileSync(imageFile);
  const mimeType = imageFile.endsWith('.png') ? 'image/png' : 'image/jpeg';
  return readInvoice(bytes, mimeType, { ocr });
}

/** Runs `task` over `items`, `concurrency` at a time (one per OCR worker keeps every worker busy). */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, concurrency) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await task(item);
    }
  });
  await Promise.all(lanes);
}

export interface MeasureOptions {
  engines?: readonly EngineName[];
  ocr?: OcrEngine & { size: number };
  /** Every reading, as it is scored (the false automatic refusals are counted on them). */
  onReading?: (engine: EngineName, item: CorpusItem, reading: Reading) => void;
}

/** Reads every item with every engine asked for and scores the fields. */
export async function measureAccuracy(items: readonly CorpusItem[], options: MeasureOptions): Promise<AccuracyTable> {
  const engines = options.engines ?? ENGINES;
  const table = new AccuracyTable(ENGINES);
  const score = (engine: EngineName, item: CorpusItem, reading: Reading, inScope?: ReadonlySet<ScoredField>) => {
    table.record(engine, item, reading.fields, inScope);
    options.onReading?.(engine, item, reading);
  };
  for (const item of items) {
    const printed = engines.includes('text layer') ? await printedIn(item) : undefined;
    if (engines.includes('embedded XML')) {
      const xml = await readEmbeddedXml(item.pdf);
      if (xml) score('embedded XML', item, xml);
      else table.record('embedded XML', item, emptyFields());
    }
    if (engines.includes('text layer')) score('text layer', item, await readTextLayerFields(item.pdf), printed);
  }
  const ocr = options.ocr;
  if (ocr && PAGE_ONE_ENGINES.some((engine) => engines.includes(engine))) {
    const scopes = new Map<string, ReadonlySet<ScoredField>>();
    for (const item of items) scopes.set(item.id, await printedIn(item, 1));
    for (const [engine, file] of [
      ['OCR clean PNG', (item: CorpusItem) => item.png],
      ['OCR scan JPEG', (item: CorpusItem) => item.scan],
    ] as const) {
      if (!engines.includes(engine)) continue;
      await forEachConcurrently(items, ocr.size, async (item) => {
        score(engine, item, await readImageFields(file(item), ocr), scopes.get(item.id));
      });
    }
  }
  return table;
}

// ---- False automatic refusals (issue 11, point 4) ------------------------------------------------------------------

/** What a correct deposit of an item agrees with (its pro forma, the CFA's records), from the item's truth. */
export interface DepositTruth {
  proFormaNumber?: string;
  /** The amount to pay: the pro forma's total. */
  totalCents?: number;
  creditNote: boolean;
  invoiceNumber?: string;
  sellerSiret?: string;
  iban?: string;
}

/** The truth each control checks a reading against. */
const CONTROL_TRUTH: Partial<Record<ControlCode, keyof DepositTruth>> = {
  PRO_FORMA_NUMBER: 'proFormaNumber',
  TOTAL_AMOUNT: 'totalCents',
  INVOICE_NUMBER: 'invoiceNumber',
  INVOICE_NUMBER_UNIQUE: 'invoiceNumber',
  SIRET: 'sellerSiret',
  IBAN_VALID: 'iban',
  IBAN_MATCHES_CFA: 'iban',
};

const DEPOSIT_DATE = '2026-12-01';

/**
 * The failed controls when `reading` is deposited on the pro forma it was made for (same number and total, the
 * CFA's registered SIRET and IBAN, a valid mandate, no duplicate), null when the verdict is not a refusal: such a
 * refusal is always false, the invoice was correct. A control on a field the truth does not hold is left out of
 * the verdict: the corpus invoices were not written for a pro forma and print no pro forma number, most are German
 * and print no SIRET, so neither passing nor failing it says anything of the reading.
 */
export function automaticRefusal(truth: DepositTruth, reading: Reading): ControlResult[] | null {
  const results = runControls({
    proForma: {
      number: truth.proFormaNumber ?? 'PRO-00000000',
      kind: truth.creditNote ? 'CREDIT_NOTE' : 'INVOICE',
      totalCents: truth.totalCents ?? 0,
    },
    cfa: { siret: truth.sellerSiret ?? '', iban: truth.iban ?? '' },
    invoice: reading,
    invoiceNumberUsedOn: [],
    sameDocumentOn: [],
    mandateValid: true,
    depositDate: DEPOSIT_DATE,
  }).filter((result) => {
    const field = CONTROL_TRUTH[result.code];
    return field === undefined || truth[field] !== undefined;
  });
  const verdict = controlVerdict(results);
  return verdict.kind === 'REFUSE' ? verdict.failed : null;
}

/**
 * A corpus item as a deposit, or why it is left out: a document that is not an invoice (Order-X orders, TypeCode
 * 220/230/231: no amount to pay, nothing a CFA deposits). A negative amount or TypeCode 381 is a credit note's pro
 * forma, whose control accepts either sign. The samples print specimen identifiers (DE12 1234…, SIRET
 * 12345678900014) that fail their own checksum: refusing those is right, so their controls are left out too.
 */
export function corpusDeposit(item: CorpusItem): { truth: DepositTruth | null; leftOut: string[] } {
  if (item.documentKind === 'order') {
    return { truth: null, leftOut: [`not an invoice (${item.documentKind} ${item.typeCode})`] };
  }
  const text = (value: string | number | undefined) => (typeof value === 'string' ? value : undefined);
  const total = typeof item.expected.total === 'number' ? item.expected.total : undefined;
  const leftOut: string[] = [];
  const valid = (value: string | undefined, isValid: (value: string) => boolean, controls: string) => {
    if (value === undefined || isValid(value)) return value;
    leftOut.push(`${controls} (it prints ${value}, whose checksum fails)`);
    return undefined;
  };
  const truth = {
    totalCents: total,
    creditNote: item.typeCode === '381' || (total ?? 0) < 0,
    invoiceNumber: text(item.expected.invoiceNumber),
    sellerSiret: valid(text(item.expected.sellerSiret), isValidSiret, 'SIRET'),
    iban: valid(text(item.expected.iban), isValidIban, 'IBAN_VALID, IBAN_MATCHES_CFA'),
  };
  return { truth, leftOut };
}

export interface AutomaticRefusal {
  engine: string;
  id: string;
  /** The engine the reading ended with (readInvoice OCRs a text PDF whose text layer has no total). */
  readBy: Reading['engine'];
  failed: readonly ControlResult[];
}

/** The false automatic refusals among the readings checked, and the items left out with the reason. */
export class RefusalCount {
  readonly refusals: AutomaticRefusal[] = [];
  /** Per item, what was left out of the count and why. */
  readonly leftOut = new Map<string, readonly string[]>();
  checked = 0;

  check(engine: string, id: string, truth: DepositTruth | null, reading: Reading): void {
    if (truth === null) return;
    this.checked += 1;
    const failed = automaticRefusal(truth, reading);
    if (failed) this.refusals.push({ engine, id, readBy: reading.engine, failed });
  }

  /** Checks every reading of a corpus item, as measureAccuracy's onReading. */
  readonly checkCorpusReading = (engine: EngineName, item: CorpusItem, reading: Reading): void => {
    const { truth, leftOut } = corpusDeposit(item);
    if (leftOut.length > 0) this.leftOut.set(item.id, leftOut);
    this.check(engine, item.id, truth, reading);
  };

  format(): string[] {
    const lines = [`False automatic refusals: ${this.refusals.length} of ${this.checked} readings of correct invoices`];
    for (const refusal of this.refusals) {
      for (const failed of refusal.failed) {
        lines.push(`  ${refusal.engine} · ${refusal.id} (${refusal.readBy}) · ${failed.code}: ${failed.message}`);
      }
    }
    for (const [id, reasons] of this.leftOut) lines.push(`  left out: ${id}, ${reasons.join('; ')}`);
    return lines;
  }
}

/**
 * The expected values that the first `pages` pages of the PDF print (all the text reader reads, by default), judged from its text layer with every space
 * removed (the corpus README: every PDF has one, and only page 1 is rendered to PNG and JPEG). Seven of the 21
 * items print their total on a later page, three their IBAN: no OCR of page 1 can read those. A few truths hold a
 * value the document never prints (a SIRET where the page shows only the SIREN): no reader of the page can read it.
 */
export async function printedIn(item: CorpusItem, pages?: number): Promise<ReadonlySet<ScoredField>> {
  const layer = await withPdf(fs.readFileSync(item.pdf), {}, (doc) => readTextLayer(doc, { maxPages: pages }));
  const page = layer.text.replace(/\s/g, '').toLowerCase();
  const printed = new Set<ScoredField>();
  for (const field of SCORED_FIELDS) {
    const expected = item.expected[field];
    if (expected === undefined) continue;
    if (printedForms(field, expected).some((form) => page.includes(form.replace(/\s/g, '').toLowerCase()))) {
      printed.add(field);
    }
  }
  return printed;
}

const MONTHS = {
  en: [
    'january',
    'february',
    'march',
    'april',
    'may',
    'june',
    'july',
    'august',
    'september',
    'october',
    'november',
    'december',
  ],
  fr: FRENCH_MONTHS,
  de: [
    'januar',
    'februar',
    'märz',
    'april',
    'mai',
    'juni',
    'juli',
    'august',
    'september',
    'oktober',
    'november',
    'dezember',
  ],
};

function printedForms(field: ScoredField, expected: string | number): string[] {
  if (field === 'total' && typeof expected === 'number') {
    const cents = Math.abs(expected);
    const units = String(Math.floor(cents / 100));
    const decimals = String(cents % 100).padStart(2, '0');
    const grouped = (separator: string) => units.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
    return [
      `${units},${decimals}`,
      `${units}.${decimals}`,
      `${grouped('.')},${decimals}`,
      `${grouped(',')}.${decimals}`,
      `${grouped("'")}.${decimals}`,
    ];
  }
  if (field === 'issueDate' && typeof expected === 'string') {
    const [year = '', month = '', day = ''] = expected.split('-');
    const d = String(Number(day));
    const monthIndex = Number(month) - 1;
    const named = Object.values(MONTHS).flatMap((names) => {
      const name = names[monthIndex] ?? '';
      return [`${day} ${name} ${year}`, `${d} ${name} ${year}`, `${d}. ${name} ${year}`, `${name} ${d}, ${year}`];
    });
    return [
      `${day}.${month}.${year}`,
      `${day}/${month}/${year}`,
      `${day}-${month}-${year}`,
      `${month}/${day}/${year}`,
      `${year}-${month}-${day}`,
      `${day}.${month}.${year.slice(2)}`,
      ...named,
    ];
  }
  return [String(expected)];
}
