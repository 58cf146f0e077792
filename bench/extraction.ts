import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { readFacturX } from '../extraction/facturx';
import { parseInvoiceFields } from '../extraction/fields';
import { renderPdfPage } from '../extraction/page-images';
import { readInvoice, type OcrEngine } from '../extraction/read-invoice';
import { withPdf } from '../extraction/pdf';
import { readTextLayer } from '../extraction/text-layer';
import { DEFAULT_PSM, OCR_LANGUAGES, createOcrPool } from '../infra/ocr-pool';
import {
  PROJECT_ROOT,
  CORPORA,
  RefusalCount,
  corpusDir,
  forEachConcurrently,
  loadCorpus,
  measureAccuracy,
  type CorpusItem,
} from '../support/extraction-accuracy';
import { formatGeneratedReport, measureGeneratedAccuracy } from '../support/generated-accuracy';
import { generateInvoices } from '../support/invoice-generator';

/**
 * `npm run bench:extraction`: throughput (pages per second) and peak memory of each reading engine on the
 * corpus (../shared/corpus, or CORPUS_DIR), tesseract.js against Debian's native `tesseract` on the same images
 * with the same parallelism in the same run, then the accuracy tables of test/extraction/accuracy.test.ts on
 * ../shared/corpus and ../shared/corpus-extra (or CORPUS_EXTRA_DIR), then on the generated invoices
 * (support/invoice-generator, seed 1), each with its false automatic refusals.
 *
 * Each engine runs in a child process of its own (plain node with tsx's CommonJS hook), so its peak RSS
 * (getrusage maxrss) is its own; a native
 * tesseract run is measured per process by /usr/bin/time. OCR rounds alternate between the engines, as the
 * machine's speed drifts by ±15 % between batches (ocr-notes.md §3): ratios are taken round by round.
 *
 * Environment: CORPUS_DIR; BENCH_ROUNDS (OCR rounds, default 2); OCR_WORKERS (default: the cores);
 * GENERATED_PER_LAYOUT (generated invoices of each layout, default 1).
 */

type NodeEngine = 'facturx' | 'text' | 'render' | 'ocr';

interface Measure {
  engine: string;
  units: number;
  unit: 'pages' | 'documents';
  seconds: number;
  peakRssMiB: number;
  note?: string;
}

const workers = Number(process.env['OCR_WORKERS'] ?? os.availableParallelism());
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 2);
const generatedPerLayout = Number(process.env['GENERATED_PER_LAYOUT'] ?? 1);
const benchDir = path.join(PROJECT_ROOT, 'data', 'bench');

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    const measure = await runChild(process.argv[childAt + 1] as NodeEngine);
    process.stdout.write(`${JSON.stringify(measure)}\n`);
    return;
  }

  const dir = corpusDir();
  const items = loadCorpus(dir);
  if (!items || items.length === 0) {
    console.log(`bench:extraction did not run: CORPUS_DIR ${dir} not found (or holds no item)`);
    return;
  }
  console.log(`Corpus: ${items.length} items in ${dir}; ${os.availableParallelism()} cores; OCR workers: ${workers}`);
  const native = ensureNativeTesseract();

  const measures: Measure[] = [];
  for (const engine of ['facturx', 'text', 'render'] as const) measures.push(await inChild(engine));

  const ocrRounds: { js: Measure; nativeSame?: Measure; nativeDebian?: Measure }[] = [];
  const sameModel = native ? prepareNativeBestInt() : null;
  for (let round = 1; round <= rounds; round += 1) {
    console.log(`OCR round ${round}/${rounds}…`);
    const js = await inChild('ocr');
    const nativeSame = native && sameModel ? await nativeRun(items, sameModel, 'native, same model') : undefined;
    const nativeDebian = native ? await nativeRun(items, null, 'native, Debian model') : undefined;
    ocrRounds.push({ js, nativeSame, nativeDebian });
    measures.push(js, ...(nativeSame ? [nativeSame] : []), ...(nativeDebian ? [nativeDebian] : []));
  }

  console.log('\nThroughput and peak memory (each engine in its own process)\n');
  console.log(formatMeasures(measures));
  if (native) {
    const ratios = (pick: (r: (typeof ocrRounds)[number]) => Measure | undefined) =>
      ocrRounds.map((r) => {
        const other = pick(r);
        return other ? rate(r.js) / rate(other) : Number.NaN;
      });
    const same = ratios((r) => r.nativeSame);
    const debian = ratios((r) => r.nativeDebian);
    console.log(
      `\ntesseract.js pool / native tesseract throughput (${workers} at a time, psm ${DEFAULT_PSM}, OMP_THREAD_LIMIT=1):`,
    );
    console.log(`  same model (best_int fra+eng): ${same.map(fmtRatio).join(', ')} → median ${fmtRatio(median(same))}`);
    console.log(
      `  Debian model (fast fra+eng):   ${debian.map(fmtRatio).join(', ')} → median ${fmtRatio(median(debian))}`,
    );
    console.log(`  aim: ≥ 1.00 ${median(same) >= 1 ? '(met)' : '(not met)'} against the same model`);
  } else {
    console.log('\nnative tesseract unavailable: no ratio (see the message above)');
  }

  const dataDir = path.join(benchDir, 'accuracy');
  const pool = await createOcrPool({ workers, dataDir });
  try {
    await scanReadingSpeed(pool);
    for (const corpus of CORPORA) {
      const corpusItems = corpus === 'corpus' ? items : (loadCorpus(corpusDir(process.env, corpus)) ?? []);
      console.log(
        `\nAccuracy on ${corpus} (${corpusItems.length} items; share read exactly; OCR scored on the values page 1 prints)\n`,
      );
      if (corpusItems.length === 0) continue;
      const refusals = new RefusalCount();
      const table = await measureAccuracy(corpusItems, { ocr: pool, onReading: refusals.checkCorpusReading });
      console.log(table.format());
      const misses = table.formatMisses();
      if (misses.length > 0) console.log(['', 'Misses:', ...misses.map((miss) => `  ${miss}`)].join('\n'));
      console.log(`\n${refusals.format().join('\n')}`);
    }
    const invoices = await generateInvoices({ seed: 1, perLayout: generatedPerLayout });
    const pages = invoices.reduce((sum, invoice) => sum + invoice.truth.pages, 0);
    const accuracy = await measureGeneratedAccuracy(invoices, { ocr: pool });
    const title = `Accuracy on ${invoices.length} generated invoices (seed 1, ${pages} pages; every page read, as deposited)`;
    console.log(`\n${formatGeneratedReport(title, accuracy)}`);
  } finally {
    await pool.terminate();
  }
}

/**
 * The reading of a scanned page (readInvoice on the scans of both corpora, `workers` at a time), as it is against
 * how it was before the layout-aware reading (issue 11): page text only, no word boxes, no rescue pass. Rounds
 * alternate between the two; the ratio is taken round by round. Goal: at most 1.2 × the time before.
 */
async function scanReadingSpeed(pool: OcrEngine & { size: number }): Promise<void> {
  const scans = CORPORA.flatMap((corpus) => loadCorpus(corpusDir(process.env, corpus)) ?? []).map((item) =>
    fs.readFileSync(item.scan),
  );
  const textOnly: OcrEngine = {
    recognize: (image, { words: _words, ...options } = {}) => pool.recognize(image, options),
  };
  const readAll = async (ocr: OcrEngine, rescuePasses: boolean) => {
    const started = performance.now();
    await forEachConcurrently(scans, pool.size, async (scan) => {
      await readInvoice(scan, 'image/jpeg', { ocr, limits: { rescuePasses } });
    });
    return (performance.now() - started) / 1000;
  };
  const ratios: number[] = [];
  console.log(`\nReading of ${scans.length} scanned pages (readInvoice, ${pool.size} at a time), seconds per round:`);
  for (let round = 1; round <= rounds; round += 1) {
    const before = await readAll(textOnly, false);
    const now = await readAll(pool, true);
    ratios.push(now / before);
    console.log(
      `  round ${round}: page text only ${before.toFixed(1)} s; words, rows and rescue passes ${now.toFixed(1)} s`,
    );
  }
  const ratio = median(ratios);
  console.log(`  ratio now / page text only: ${ratios.map(fmtRatio).join(', ')} → median ${fmtRatio(ratio)}`);
  console.log(`  goal: ≤ 1.20 ${ratio <= 1.2 ? '(met)' : '(not met)'}`);
}

/** One engine over the whole corpus, timed after a first document has loaded the modules. */
async function runChild(engine: NodeEngine): Promise<Measure> {
  const items = loadCorpus(corpusDir()) ?? [];
  const pdfs = items.map((item) => fs.readFileSync(item.pdf));
  const first = pdfs[0] ?? Buffer.alloc(0);
  const textRounds = 3;
  let started: number;
  let units = 0;
  let note: string | undefined;
  switch (engine) {
    case 'facturx': {
      await withPdf(first, {}, (doc) => readFacturX(doc));
      started = performance.now();
      for (let r = 0; r < textRounds; r += 1) {
        for (const pdf of pdfs) {
          await withPdf(pdf, {}, (doc) => readFacturX(doc));
          units += 1;
        }
      }
      note = `${textRounds} passes; open PDF + attachments + XML parse`;
      break;
    }
    case 'text': {
      await withPdf(first, {}, (doc) => readTextLayer(doc));
      started = performance.now();
      for (let r = 0; r < textRounds; r += 1) {
        for (const pdf of pdfs) {
          const layer = await withPdf(pdf, {}, (doc) => readTextLayer(doc));
          parseInvoiceFields(layer.text);
          units += layer.pages.length;
        }
      }
      note = `${textRounds} passes; every page, lines rebuilt, fields parsed`;
      break;
    }
    case 'render': {
      await withPdf(first, {}, (doc) => renderPdfPage(doc, 1));
      started = performance.now();
      for (const pdf of pdfs) {
        await withPdf(pdf, {}, (doc) => renderPdfPage(doc, 1));
        units += 1;
      }
      note = 'page 1 to PNG at 200 dpi (pdfjs + @napi-rs/canvas), for scanned PDFs';
      break;
    }
    case 'ocr': {
      const images = items.map((item) => fs.readFileSync(item.png));
      const creating = performance.now();
      const pool = await createOcrPool({ workers, dataDir: path.join(benchDir, 'ocr') });
      const createSeconds = (performance.now() - creating) / 1000;
      started = performance.now();
      await forEachConcurrently(images, pool.size, async (image) => {
        await pool.recognize(image, { words: true });
        units += 1;
      });
      const seconds = (performance.now() - started) / 1000;
      await pool.terminate();
      return {
        engine: 'tesseract.js pool',
        units,
        unit: 'pages',
        seconds,
        peakRssMiB: peakRssMiB(),
        note: `${workers} warm workers, clean PNGs, words with their boxes; pool start-up ${createSeconds.toFixed(1)} s (once per process, not counted)`,
      };
    }
    default:
      throw new Error(`unknown engine ${String(engine)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const names: Record<NodeEngine, string> = {
    facturx: 'Factur-X XML',
    text: 'text layer',
    render: 'page rendering',
    ocr: 'tesseract.js pool',
  };
  return {
    engine: names[engine],
    units,
    unit: engine === 'facturx' ? 'documents' : 'pages',
    seconds,
    peakRssMiB: peakRssMiB(),
    note,
  };
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function inChild(engine: NodeEngine): Promise<Measure> {
  return new Promise((resolve, reject) => {
    // tsx's CommonJS hook only: its ESM loader would also transform pdfjs-dist's 2 MB of .mjs and keep them,
    // which alone adds ~350 MiB of RSS (measured: 447 MiB with `tsx`, 158 MiB with `--require tsx/cjs`).
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), __filename, '--child', engine], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = output.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${engine} child exited with ${code}`));
      try {
        resolve(JSON.parse(line) as Measure);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Debian's tesseract, installed with apt-get when missing (ocr-notes.md §1: tesseract-ocr 5.3.0). */
function ensureNativeTesseract(): boolean {
  const has = () => {
    try {
      execFileSync('tesseract', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return true;
  console.log('Installing tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng with apt-get…');
  const packages = ['tesseract-ocr', 'tesseract-ocr-fra', 'tesseract-ocr-eng'];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    try {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
        stdio: 'inherit',
        env: aptEnv,
      });
    } catch {
      execFileSync('apt-get', ['update'], { stdio: 'inherit', env: aptEnv });
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
        stdio: 'inherit',
        env: aptEnv,
      });
    }
  } catch (error) {
    console.log(`apt-get failed (${error instanceof Error ? error.message : error}); native comparison skipped`);
    return false;
  }
  return has();
}

/**
 * The LSTM models tesseract.js reads (the npm packages' 4.0.0_best_int), unpacked for the native CLI, so one
 * comparison differs by the engine only; Debian's own packages ship the smaller "fast" models.
 */
function prepareNativeBestInt(): string {
  const folder = path.join(benchDir, 'tessdata-best-int');
  fs.mkdirSync(folder, { recursive: true });
  for (const lang of OCR_LANGUAGES) {
    const target = path.join(folder, `${lang}.traineddata`);
    if (fs.existsSync(target)) continue;
    const source = path.join(
      path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)),
      '4.0.0_best_int',
      `${lang}.traineddata.gz`,
    );
    fs.writeFileSync(target, zlib.gunzipSync(fs.readFileSync(source)));
  }
  return folder;
}

/** The same PNGs, `workers` tesseract processes at a time, each with one OpenMP thread (ocr-notes.md §3a). */
async function nativeRun(items: readonly CorpusItem[], tessdataDir: string | null, label: string): Promise<Measure> {
  let peakKiB = 0;
  let pages = 0;
  const started = performance.now();
  await forEachConcurrently(items, workers, async (item) => {
    const args = ['-f', 'MAXRSS_KIB=%M', 'tesseract', item.png, 'stdout', '-l', OCR_LANGUAGES.join('+')];
    args.push('--oem', '1', '--psm', DEFAULT_PSM);
    if (tessdataDir) args.push('--tessdata-dir', tessdataDir);
    // Words with their boxes (TSV), as the pool is asked for them: the layout-aware reading needs them.
    args.push('tsv');
    const stderr = await runQuiet('/usr/bin/time', args, { ...process.env, OMP_THREAD_LIMIT: '1' });
    const kib = Number(/MAXRSS_KIB=(\d+)/.exec(stderr)?.[1] ?? 0);
    peakKiB = Math.max(peakKiB, kib);
    pages += 1;
  });
  return {
    engine: label,
    units: pages,
    unit: 'pages',
    seconds: (performance.now() - started) / 1000,
    peakRssMiB: peakKiB / 1024,
    note: `peak of one process; ${workers} run at once; start-up included (a CLI pays it per page)`,
  };
}

function runQuiet(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stderr) : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
  });
}

function rate(measure: Measure): number {
  return measure.units / measure.seconds;
}

function formatMeasures(measures: readonly Measure[]): string {
  const rows = measures.map((m) => [
    m.engine,
    `${m.units} ${m.unit}`,
    `${m.seconds.toFixed(2)} s`,
    `${rate(m).toFixed(2)} ${m.unit === 'pages' ? 'pages' : 'docs'}/s`,
    `${m.peakRssMiB.toFixed(0)} MiB`,
    m.note ?? '',
  ]);
  const header = ['engine', 'work', 'time', 'throughput', 'peak RSS', 'notes'];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
