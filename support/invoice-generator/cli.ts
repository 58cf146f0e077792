import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateInvoices } from './index';

/**
 * Writes generated invoices to a folder: `<id>.pdf`, `<id>.p<k>.png`, `<id>.scan<k>.jpg`, `<id>.scan.pdf` and
 * `<id>.truth.json` for each.
 *
 *   npm run generate:invoices -- --out data/invoices --per-layout 3 --seed 1
 */

function positiveInteger(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'per-layout': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (!values.out) throw new Error('usage: cli.ts --out <dir> [--per-layout N] [--seed S]');
  const out = values.out;
  mkdirSync(out, { recursive: true });
  const invoices = await generateInvoices({
    seed: positiveInteger(values.seed, 'seed', 1),
    perLayout: positiveInteger(values['per-layout'], 'per-layout', 1),
  });
  for (const invoice of invoices) {
    const file = (suffix: string) => path.join(out, `${invoice.id}${suffix}`);
    writeFileSync(file('.pdf'), invoice.pdf);
    invoice.pageImages.forEach((png, i) => writeFileSync(file(`.p${i + 1}.png`), png));
    invoice.scans.forEach((jpeg, i) => writeFileSync(file(`.scan${i + 1}.jpg`), jpeg));
    writeFileSync(file('.scan.pdf'), invoice.scanPdf);
    writeFileSync(file('.truth.json'), `${JSON.stringify(invoice.truth, null, 2)}\n`);
  }
  console.log(`${invoices.length} invoices written to ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
