import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { measureDecodedSize } from '../extraction/pdf-streams';
import { readInvoice, DEFAULT_EXTRACTION_LIMITS } from '../extraction/read-invoice';
import { createReaderPool } from '../extraction/readers';
import { corpusDir, loadCorpus } from '../support/extraction-accuracy';

/**
 * `npm run bench:readers`: what isolating the reading costs. The corpus PDFs (Factur-X and text layers, no OCR) are
 * read in this process (the baseline, as before reader processes) and through one warm reader process, alternating
 * round by round in the same run; the ratio is documents per second through the reader over in-process. Also the
 * share of the decoded-size scan (extraction/pdf-streams.ts) in an in-process read, and the reader's peak RSS.
 *
 * Environment: CORPUS_DIR; BENCH_ROUNDS (default 5).
 */

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);

async function main(): Promise<void> {
  const dir = corpusDir();
  const items = loadCorpus(dir);
  if (!items || items.length === 0) {
    console.log(`bench:readers did not run: CORPUS_DIR ${dir} not found (or holds no item)`);
    return;
  }
  const pdfs = items.map((item) => fs.readFileSync(item.pdf));
  const readers = createReaderPool({ size: 1, deadlineMs: 60_000, memoryLimitMb: 1024 });
  await readers.warm();
  const inProcess: number[] = [];
  const isolated: number[] = [];
  const scans: number[] = [];
  let peakRss = 0;
  try {
    // One untimed round each way: pdfjs is loaded, the reader's caches are warm, as in a running worker.
    for (const pdf of pdfs) {
      await readInvoice(pdf, 'application/pdf', { ocr: null });
      await readers.run('readInvoice', { bytes: pdf, mimeType: 'application/pdf', ocr: false });
    }
    for (let round = 1; round <= rounds; round += 1) {
      let started = performance.now();
      for (const pdf of pdfs) await readInvoice(pdf, 'application/pdf', { ocr: null });
      inProcess.push(pdfs.length / ((performance.now() - started) / 1000));

      started = performance.now();
      for (const pdf of pdfs) {
        const run = await readers.run('readInvoice', { bytes: pdf, mimeType: 'application/pdf', ocr: false });
        peakRss = Math.max(peakRss, run.peakRssBytes ?? 0);
      }
      isolated.push(pdfs.length / ((performance.now() - started) / 1000));

      started = performance.now();
      for (const pdf of pdfs) await measureDecodedSize(pdf, DEFAULT_EXTRACTION_LIMITS.maxPdfDecodedBytes);
      scans.push(pdfs.length / ((performance.now() - started) / 1000));
      console.log(`round ${round}/${rounds}`);
    }
  } finally {
    await readers.close();
  }
  const ratios = isolated.map((rate, i) => rate / (inProcess[i] as number));
  const scanShare = inProcess.map((rate, i) => rate / (scans[i] as number));
  console.log(`\n${pdfs.length} corpus PDFs, ${rounds} rounds (documents per second, median)`);
  console.log(`  in process (baseline):   ${median(inProcess).toFixed(1)}`);
  console.log(`  through a reader:        ${median(isolated).toFixed(1)}`);
  console.log(
    `  ratio reader / baseline: ${ratios.map((r) => r.toFixed(2)).join(', ')} → median ${median(ratios).toFixed(2)}`,
  );
  console.log(`  decoded-size scan, share of an in-process read: ${(median(scanShare) * 100).toFixed(1)} %`);
  console.log(`  reader peak RSS: ${Math.round(peakRss / 1048576)} MiB`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

// A rejection ends the process with its stack (Node's unhandled rejection), which is all a bench needs.
void main();
