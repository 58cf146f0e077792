import fs from 'node:fs';
import path from 'node:path';
import { readFacturX, xmlDecimalToCents } from '../extraction/facturx';
import { parseInvoiceFields } from '../extraction/fields';
import { withPdf } from '../extraction/pdf';
import { readInvoice, type OcrEngine } from '../extraction/read-invoice';
import { readTextLayer } from '../extraction/text-layer';
import { emptyFields, type InvoiceFields } from '../extraction/types';

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

export interface CorpusItem {
  id: string;
  pdf: string;
  png: string;
  scan: string;
  expected: Partial<Record<ScoredField, string | number>>;
}

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
      };
    })
    .filter((item) => [item.pdf, item.png, item.scan].every((file) => fs.existsSync(file)));
}

/** The amount to pay is `duePayable`, else the grand total (Order-X has no amount due). */
export function expectedValues(truth: unknown): Partial<Record<ScoredField, string | number>> {
  const get = (key: string): string | undefined => {
    const value = typeof truth === 'object' && truth !== null ? (truth as Record<string, unknown>)[key] : undefined;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
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

export function actualValues(fields: InvoiceFields): Record<ScoredField, string | number | null> {
  return {
    invoiceNumber: fields.invoiceNumber,
    total: fields.totalCents,
    iban: fields.iban,
    sellerSiret: fields.siret,
    issueDate: fields.issueDate,
  };
}

export interface Miss {
  engine: EngineName;
  id: string;
  field: ScoredField;
  expected: string | number;
  actual: string | number | null;
}

/** Per engine and field: items scored and items read exactly. */
export class AccuracyTable {
  private readonly counts = new Map<string, { scored: number; exact: number }>();
  readonly misses: Miss[] = [];

  private readonly allCounts = new Map<string, { scored: number; exact: number }>();

  /**
   * Scores the fields the truth holds. With `inScope`, a field outside it (not printed on the page that was
   * read) counts only in the whole-corpus figures, not in the share the floors apply to.
   */
  record(engine: EngineName, item: CorpusItem, fields: InvoiceFields, inScope?: ReadonlySet<ScoredField>): void {
    const actual = actualValues(fields);
    for (const field of SCORED_FIELDS) {
      const expected = item.expected[field];
      if (expected === undefined) continue;
      const key = `${engine}|${field}`;
      const exact = actual[field] === expected;
      const all = this.allCounts.get(key) ?? { scored: 0, exact: 0 };
      all.scored += 1;
      if (exact) all.exact += 1;
      this.allCounts.set(key, all);
      if (inScope && !inScope.has(field)) continue;
      const count = this.counts.get(key) ?? { scored: 0, exact: 0 };
      count.scored += 1;
      if (exact) count.exact += 1;
      else this.misses.push({ engine, id: item.id, field, expected, actual: actual[field] });
      this.counts.set(key, count);
    }
  }

  /** Share read exactly, 0..1, over the items in scope; NaN when no item has the field. */
  share(engine: EngineName, field: ScoredField): number {
    const count = this.counts.get(`${engine}|${field}`);
    return count && count.scored > 0 ? count.exact / count.scored : Number.NaN;
  }

  count(engine: EngineName, field: ScoredField): { scored: number; exact: number } {
    return this.counts.get(`${engine}|${field}`) ?? { scored: 0, exact: 0 };
  }

  /** Over every item whose truth has the field, in scope or not. */
  countAll(engine: EngineName, field: ScoredField): { scored: number; exact: number } {
    return this.allCounts.get(`${engine}|${field}`) ?? { scored: 0, exact: 0 };
  }

  format(): string {
    const header = ['engine', ...SCORED_FIELDS];
    const rows = ENGINES.filter((engine) => SCORED_FIELDS.some((f) => this.count(engine, f).scored > 0)).map(
      (engine) => [
        engine,
        ...SCORED_FIELDS.map((field) => {
          const { scored, exact } = this.count(engine, field);
          const all = this.countAll(engine, field);
          if (scored === 0) return '-';
          const share = `${Math.round((100 * exact) / scored)} % (${exact}/${scored})`;
          return all.scored === scored ? share : `${share} [all pages: ${all.exact}/${all.scored}]`;
        }),
      ],
    );
    const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
    const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
    return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
  }
}

export async function readEmbeddedXml(pdfFile: string): Promise<InvoiceFields | null> {
  const document = await withPdf(fs.readFileSync(pdfFile), {}, (doc) => readFacturX(doc));
  return document?.fields ?? null;
}

export async function readTextLayerFields(pdfFile: string): Promise<InvoiceFields> {
  const layer = await withPdf(fs.readFileSync(pdfFile), {}, (doc) => readTextLayer(doc));
  const parsed = parseInvoiceFields(layer.text);
  return {
    invoiceNumber: parsed.invoiceNumber?.value ?? null,
    proFormaNumber: parsed.proFormaNumber?.value ?? null,
    totalCents: parsed.totalCents?.value ?? null,
    issueDate: parsed.issueDate?.value ?? null,
    siret: parsed.siret?.value ?? null,
    siren: parsed.siren?.value ?? null,
    vatId: parsed.vatId?.value ?? null,
    iban: parsed.iban?.value ?? null,
    currency: parsed.currency?.value ?? null,
  };
}

/** An image read the way a deposit is: readInvoice, which sends images to OCR. */
export async function readImageFields(imageFile: string, ocr: OcrEngine): Promise<InvoiceFields> {
  const bytes = fs.readFileSync(imageFile);
  const mimeType = imageFile.endsWith('.png') ? 'image/png' : 'image/jpeg';
  return (await readInvoice(bytes, mimeType, { ocr })).fields;
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
}

/** Reads every item with every engine asked for and scores the fields. */
export async function measureAccuracy(items: readonly CorpusItem[], options: MeasureOptions): Promise<AccuracyTable> {
  const engines = options.engines ?? ENGINES;
  const table = new AccuracyTable();
  for (const item of items) {
    if (engines.includes('embedded XML')) {
      table.record('embedded XML', item, (await readEmbeddedXml(item.pdf)) ?? emptyFields());
    }
    if (engines.includes('text layer')) table.record('text layer', item, await readTextLayerFields(item.pdf));
  }
  const ocr = options.ocr;
  if (ocr && PAGE_ONE_ENGINES.some((engine) => engines.includes(engine))) {
    const scopes = new Map<string, ReadonlySet<ScoredField>>();
    for (const item of items) scopes.set(item.id, await printedOnPageOne(item));
    for (const [engine, file] of [
      ['OCR clean PNG', (item: CorpusItem) => item.png],
      ['OCR scan JPEG', (item: CorpusItem) => item.scan],
    ] as const) {
      if (!engines.includes(engine)) continue;
      await forEachConcurrently(items, ocr.size, async (item) => {
        table.record(engine, item, await readImageFields(file(item), ocr), scopes.get(item.id));
      });
    }
  }
  return table;
}

/**
 * The expected values that page 1 of the PDF prints, judged from its text layer with every space removed (the
 * corpus README: every PDF has one, and only page 1 is rendered to PNG and JPEG). Seven of the 21 items print
 * their total on a later page, three their IBAN: no OCR of page 1 can read those.
 */
export async function printedOnPageOne(item: CorpusItem): Promise<ReadonlySet<ScoredField>> {
  const layer = await withPdf(fs.readFileSync(item.pdf), {}, (doc) => readTextLayer(doc, { maxPages: 1 }));
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
  fr: [
    'janvier',
    'février',
    'mars',
    'avril',
    'mai',
    'juin',
    'juillet',
    'août',
    'septembre',
    'octobre',
    'novembre',
    'décembre',
  ],
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
