/**
 * The invoice currency (ISO 4217): the code after a « Devise / Currency / Währung » label, else the currency
 * whose signs or codes the document prints most.
 */
import { CONFIDENCE, type FieldValue } from './confidence';
import { evidenceOf, toLines, type Line } from './lines';

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'CAD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'XPF'] as const;
const CURRENCY_LABEL = /\b(?:devise|currency|(?:rechnungs)?wahrung|monnaie)\s*:?\s*(?:[a-z ]{0,12}\()?\s*([a-z]{3})\b/g;
const CURRENCY_SIGNS: readonly [RegExp, string][] = [
  [/€|\beur\b|\beuros?\b/g, 'EUR'],
  [/£|\bgbp\b/g, 'GBP'],
  [/\$|\busd\b/g, 'USD'],
  [/\bchf\b/g, 'CHF'],
];

/** The invoice currency (ISO 4217): a « Devise / Currency / Währung » label, else the most printed sign. */
export function findCurrency(text: string): FieldValue<string> | null {
  return currencyIn(toLines(text));
}

export function currencyIn(lines: readonly Line[]): FieldValue<string> | null {
  for (const line of lines) {
    for (const match of line.folded.matchAll(CURRENCY_LABEL)) {
      const code = (match[1] ?? '').toUpperCase();
      if ((CURRENCIES as readonly string[]).includes(code)) {
        return { value: code, confidence: CONFIDENCE.LABELLED, evidence: evidenceOf(line) };
      }
    }
  }
  let best: { code: string; count: number; line?: Line } = { code: '', count: 0 };
  for (const [pattern, code] of CURRENCY_SIGNS) {
    const counts = lines.map((line) => line.folded.match(pattern)?.length ?? 0);
    const count = counts.reduce((sum, n) => sum + n, 0);
    if (count > best.count) best = { code, count, line: lines[counts.findIndex((n) => n > 0)] };
  }
  return best.count > 0 ? { value: best.code, confidence: CONFIDENCE.WEAK_CUE, evidence: evidenceOf(best.line) } : null;
}
