import type { Cents } from '../domain/money';
import { CONFIDENCE, type FieldValue, type ParsedFields } from './fields';
import { fold } from './fields/lines';
import type { Word } from './layout';
import type { ImageRegion } from './page-images';

/**
 * Rescue passes for images: a field the first reading of a page missed or read without its checks (a total that
 * no other amount confirms, an IBAN failing mod 97, a number found by a layout guess) is read again from the region
 * that labels it, cut out of the page, enlarged, turned level and read as one column of text (PSM 4) — then the two
 * reads are compared. Only those regions are read again: a page costs little more than its first reading.
 *
 * Pure: which regions, and how the two reads are reconciled. Reading the crops is extraction/read-invoice.ts's.
 */

/** The fields a rescue pass reads again. */
export const RESCUED_FIELDS = ['invoiceNumber', 'totalCents', 'iban', 'siret', 'issueDate'] as const;
export type RescuedField = (typeof RESCUED_FIELDS)[number];

/** Words that label a field on a page, folded (lower case, no accents). */
const ANCHORS: Record<RescuedField, RegExp> = {
  invoiceNumber: /^(?:facture|invoice|rechnung\w*|avoir)\b/,
  totalCents: /^(?:total|ttc|net|payer|solde|summe|brutto|betrag|amount|due|zahlbetrag|gesamtbetrag|montant)\b/,
  iban: /^iban\b/,
  siret: /^siret\b/,
  issueDate: /^(?:date|datum|rechnungsdatum|emise?)\b/,
};

/**
 * A region: from a row above its label to four rows under it (a table row is taller than its text), from the label
 * to the page's right edge.
 */
const ROWS_ABOVE = 1;
const ROWS_BELOW = 4;
/** Totals labels further apart than this many rows belong to different blocks; the last block is the totals'. */
const TOTALS_BLOCK_ROWS = 15;
/** The part of the first page where the number and the date stand; a garbled word there may be their label. */
const HEADER_SHARE = 0.35;
/** Below this confidence a header word may be a garbled label (« EACIURENE. » for « FACTURE N° : »). */
const GARBLED = 0.6;
/**
 * All regions together cover at most this share of the pages read (the rescue stays a fraction of a page), or this
 * many pixels on a small image (a fifth of an A4 page at 200 dpi), whose whole reading is cheap anyway.
 */
const MAX_AREA_SHARE = 0.2;
const MIN_BUDGET_PIXELS = 770_000;
/** Enlargement of a region before its second reading. */
export const RESCUE_SCALE = 2;

export interface RescueRegion extends ImageRegion {
  page: number;
  fields: RescuedField[];
}

type PageSizes = ReadonlyMap<number, { width: number; height: number }>;

/** The fields of a first reading that deserve a second one. */
export function fieldsToRescue(parsed: ParsedFields, words: readonly Word[]): RescuedField[] {
  const labelled = (field: RescuedField) => words.some((word) => ANCHORS[field].test(fold(word.text)));
  const weak = (value: FieldValue<unknown> | null, below: number) => value === null || value.confidence < below;
  const unchecked = (value: FieldValue<unknown> | null) => value?.valid === false;
  return RESCUED_FIELDS.filter((field) => {
    switch (field) {
      case 'invoiceNumber':
        return weak(parsed.invoiceNumber, CONFIDENCE.WEAK_CUE) || doubtfulInk(parsed.invoiceNumber, words);
      case 'totalCents':
        return weak(parsed.totalCents, CONFIDENCE.CHECKED);
      case 'issueDate':
        return weak(parsed.issueDate, CONFIDENCE.WEAK_CUE);
      case 'iban':
        return (
          (parsed.iban === null && (labelled('iban') || ibanFragments(words).length > 0)) || unchecked(parsed.iban)
        );
      case 'siret':
        return (parsed.siret === null && labelled('siret')) || unchecked(parsed.siret);
    }
  });
}

/** Groups of four digits on one of tesseract's lines from which an IBAN is grouped (« 3973 1400 0616 0378 »). */
const IBAN_GROUPS = 3;

/**
 * The first word of each line that holds IBAN_GROUPS groups of four digits or more: the tail of an IBAN whose label
 * and country code tesseract garbled (« oa es 3973 1400 0616 0378 424 » for « IBAN : FR76 3000 3973 … »).
 */
function ibanFragments(words: readonly Word[]): Word[] {
  const lines = new Map<string, Word[]>();
  for (const word of words) {
    if (word.line === undefined || !/^\d{4}$/.test(word.text)) continue;
    const key = `${word.page}:${word.line}`;
    lines.set(key, [...(lines.get(key) ?? []), word]);
  }
  return [...lines.values()].filter((groups) => groups.length >= IBAN_GROUPS).map((groups) => groups[0] as Word);
}

/**
 * Whether tesseract was unsure of the characters of a value it read (« UC1_2023025 » at 0.5, its « _F » a word
 * apart): a word of the value (three characters at least) read below GARBLED.
 */
function doubtfulInk(value: FieldValue<string> | null, words: readonly Word[]): boolean {
  if (!value) return false;
  return words.some((word) => word.text.length >= 3 && value.value.includes(word.text) && word.confidence < GARBLED);
}

/**
 * The regions to read again for `fields`, from the words of the first reading (straightened: extraction/layout.ts)
 * and each page's size: the rows around the words that label them (for the total, the last block of totals labels;
 * for the number and the date, also the first page's header words tesseract was unsure of), merged where they
 * overlap, in the order of the fields, until they cover MAX_AREA_SHARE of the pages.
 */
export function rescueRegions(
  fields: readonly RescuedField[],
  words: readonly Word[],
  sizes: PageSizes,
): RescueRegion[] {
  const candidates = fields.flatMap((field) => regionsFor(field, words, sizes));
  const pages = [...sizes.values()].reduce((sum, size) => sum + size.width * size.height, 0);
  const budget = Math.max(MAX_AREA_SHARE * pages, MIN_BUDGET_PIXELS);
  const kept: RescueRegion[] = [];
  for (const candidate of candidates) {
    const next = merged([...kept, candidate]);
    if (next.reduce((sum, region) => sum + area(region), 0) <= budget) kept.splice(0, kept.length, ...next);
  }
  return kept.sort((a, b) => a.page - b.page || a.y0 - b.y0);
}

function regionsFor(field: RescuedField, words: readonly Word[], sizes: PageSizes): RescueRegion[] {
  let anchors = words.filter((word) => ANCHORS[field].test(fold(word.text)));
  if (field === 'totalCents') anchors = lastBlock(anchors);
  // An IBAN's garbled start stands left of its digit groups: the whole row is read again.
  if (field === 'iban') anchors.push(...ibanFragments(words).map((word) => ({ ...word, x0: 0 })));
  if (field === 'invoiceNumber' || field === 'issueDate') {
    const header = (sizes.get(1)?.height ?? 0) * HEADER_SHARE;
    const garbled = words.filter(
      (w) => w.page === 1 && w.y1 <= header && w.confidence < GARBLED && /\w{3}/.test(w.text),
    );
    anchors = [...anchors.filter((word) => word.page === 1 && word.y1 <= header), ...garbled];
  }
  return anchors.flatMap((anchor) => {
    const size = sizes.get(anchor.page);
    if (!size) return [];
    const height = Math.max(1, anchor.y1 - anchor.y0);
    return [
      {
        page: anchor.page,
        x0: Math.max(0, anchor.x0 - 2 * height),
        x1: size.width,
        y0: Math.max(0, anchor.y0 - ROWS_ABOVE * height),
        y1: Math.min(size.height, anchor.y1 + ROWS_BELOW * height),
        fields: [field],
      },
    ];
  });
}

/** The last block of totals labels: those of the last page that has any, within TOTALS_BLOCK_ROWS rows of the last. */
function lastBlock(anchors: readonly Word[]): Word[] {
  const last = [...anchors].sort((a, b) => a.page - b.page || a.y0 - b.y0).at(-1);
  if (!last) return [];
  const height = Math.max(1, last.y1 - last.y0);
  return anchors.filter((word) => word.page === last.page && last.y0 - word.y0 <= TOTALS_BLOCK_ROWS * height);
}

function merged(regions: readonly RescueRegion[]): RescueRegion[] {
  const result: RescueRegion[] = [];
  for (const region of [...regions].sort((a, b) => a.page - b.page || a.y0 - b.y0)) {
    const overlapping = result.find(
      (kept) =>
        kept.page === region.page &&
        kept.y0 <= region.y1 &&
        region.y0 <= kept.y1 &&
        kept.x0 <= region.x1 &&
        region.x0 <= kept.x1,
    );
    if (!overlapping) {
      result.push({ ...region, fields: [...region.fields] });
      continue;
    }
    overlapping.x0 = Math.min(overlapping.x0, region.x0);
    overlapping.x1 = Math.max(overlapping.x1, region.x1);
    overlapping.y0 = Math.min(overlapping.y0, region.y0);
    overlapping.y1 = Math.max(overlapping.y1, region.y1);
    for (const field of region.fields) if (!overlapping.fields.includes(field)) overlapping.fields.push(field);
  }
  // Growing a region may have made it reach the next one.
  return result.length < regions.length ? merged(result) : result;
}

function area(region: ImageRegion): number {
  return (region.x1 - region.x0) * (region.y1 - region.y0);
}

/**
 * The first and the second reading of a field, compared: the same value keeps the surer confidence; two different
 * values keep the one that passed its check (checksum, a total confirmed by the other amounts) when only one did,
 * else the surer (the second on a tie) — at a confidence below what an automatic refusal needs, since the two reads
 * disagree and a validator must look. A value only the second reading found is taken at that confidence too: read from a cut-out
 * region, away from what surrounds it on the page (whose block it stands in), it is not certain enough to refuse on.
 */
export function compareReads<F extends FieldValue<unknown>>(first: F | null, second: F | null): F | null {
  if (!second) return first;
  const rescued = asSecondRead(second);
  if (!first) return { ...rescued, confidence: Math.min(rescued.confidence, CONFIDENCE.UNCONFIRMED) };
  if (first.value === second.value) return second.confidence > first.confidence ? rescued : first;
  const checked = (value: F) => value.valid === true || value.confidence >= CONFIDENCE.CHECKED;
  if (checked(second) && !checked(first)) return rescued;
  if (checked(first) && !checked(second)) return first;
  // On a tie, the second read: its pixels were larger and its region the field's own.
  const surer = second.confidence >= first.confidence ? rescued : first;
  return { ...surer, confidence: Math.min(surer.confidence, CONFIDENCE.UNCONFIRMED) };
}

/** The first reading with the rescued fields compared to their second reading. */
export function withRescue(first: ParsedFields, second: ParsedFields, fields: readonly RescuedField[]): ParsedFields {
  const result = { ...first };
  for (const field of fields) {
    if (field === 'totalCents') result.totalCents = compareTotals(first.totalCents, second.totalCents);
    else result[field] = compareReads(first[field], second[field]);
  }
  return result;
}

/**
 * Two reads of the total: as compareReads, except that when one is exactly 100 times the other, OCR lost a decimal
 * comma in it (« 6 130,86 » read « 613086 »: commas are lost, never made up) and the smaller is kept — still below
 * what a refusal needs, unless its own checks confirmed it.
 */
function compareTotals(first: FieldValue<Cents> | null, second: FieldValue<Cents> | null): FieldValue<Cents> | null {
  const compared = compareReads(first, second);
  if (!first || !second || compared === null) return compared;
  const smaller = [first, second].find((read) => read.value * 100 === (read === first ? second : first).value);
  if (!smaller || smaller.value === compared.value) return compared;
  const kept = smaller === second ? asSecondRead(second) : first;
  return { ...kept, confidence: Math.min(kept.confidence, CONFIDENCE.UNCONFIRMED) };
}

/** A value of the second reading, its evidence marked as such for the validator. */
function asSecondRead<F extends FieldValue<unknown>>(value: F): F {
  return { ...value, evidence: `relecture : ${value.evidence}` };
}
