import { isValidIban, normalizeIban } from './identifiers';

/**
 * SEPA credit transfer rules a payment file must keep (EPC SCT customer-to-PSP guidelines, rulebook 2023): the
 * character set of names and references, the lengths, the amount range, the format of amounts.
 */

/** The largest amount of one SEPA credit transfer: 999,999,999.99 €. */
export const EPC_MAX_AMOUNT_CENTS = 99_999_999_999;

/** The lengths the schema allows: names and remittance information 140, identifiers 35. */
export const SEPA_TEXT_MAX = 140;
export const SEPA_ID_MAX = 35;

/** The Latin character set every SEPA party must accept. */
const SEPA_CHAR = /[A-Za-z0-9/\-?:().,'+ ]/;

/** Letters the Unicode decomposition does not reduce to a basic Latin one. */
const SPECIAL: Record<string, string> = {
  œ: 'oe',
  Œ: 'OE',
  æ: 'ae',
  Æ: 'AE',
  ß: 'ss',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  '’': "'",
  '‘': "'",
  ʼ: "'",
  '«': '',
  '»': '',
  '"': '',
  '–': '-',
  '—': '-',
  '&': '+',
  _: '-',
  '\u00a0': ' ',
  '\u202f': ' ',
};

/**
 * Text in the SEPA character set: accents removed (« Évry » → « Evry »), ligatures spelt out, quotes dropped, any
 * other character a space; spaces collapsed; cut to `max` characters.
 */
export function toSepaText(text: string, max = SEPA_TEXT_MAX): string {
  const latin = [...text.normalize('NFC')]
    .map((c) => SPECIAL[c] ?? c)
    .join('')
    .normalize('NFD')
    .replace(/\p{M}/gu, '');
  const kept = [...latin].map((c) => (SEPA_CHAR.test(c) ? c : ' ')).join('');
  return kept.replace(/\s+/g, ' ').trim().slice(0, max).trim();
}

/** Whether `text` may be a SEPA identifier (message, payment information, end-to-end id): 1–35 SEPA characters, no
 * leading or trailing slash, no double slash. */
export function isSepaId(text: string): boolean {
  return (
    text.length >= 1 &&
    text.length <= SEPA_ID_MAX &&
    [...text].every((c) => SEPA_CHAR.test(c) && c !== ' ') &&
    !text.startsWith('/') &&
    !text.endsWith('/') &&
    !text.includes('//')
  );
}

/** Cents as the file writes them: `123456` → `1234.56`. */
export function sepaAmount(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not an amount in cents: ${cents}`);
  const euros = Math.floor(cents / 100);
  return `${euros}.${String(cents % 100).padStart(2, '0')}`;
}

/** Whether a transfer of `cents` can go in a SEPA file: 0.01 € to 999,999,999.99 €. */
export function isSepaAmount(cents: number): boolean {
  return Number.isSafeInteger(cents) && cents >= 1 && cents <= EPC_MAX_AMOUNT_CENTS;
}

/**
 * The remittance information of a transfer: the invoices it pays and the credit notes it deducts, in at most 140 SEPA
 * characters; numbers that do not fit are counted (« +3 »), never cut in the middle.
 */
export function remittanceInformation(invoices: readonly string[], creditNotes: readonly string[]): string {
  const parts: [string, readonly string[]][] = [['Factures', invoices]];
  if (creditNotes.length > 0) parts.push(['moins avoirs', creditNotes]);
  const render = (shown: number): string => {
    let left = shown;
    const pieces: string[] = [];
    let hidden = 0;
    for (const [label, numbers] of parts) {
      const visible = numbers.slice(0, Math.max(0, left));
      left -= visible.length;
      hidden += numbers.length - visible.length;
      if (visible.length > 0) pieces.push(`${label} ${visible.join(' ')}`);
    }
    return toSepaText(`${pieces.join(' ')}${hidden > 0 ? ` +${hidden}` : ''}`, Number.MAX_SAFE_INTEGER);
  };
  const total = invoices.length + creditNotes.length;
  for (let shown = total; shown > 0; shown -= 1) {
    const text = render(shown);
    if (text.length <= SEPA_TEXT_MAX) return text;
  }
  return toSepaText(`Factures +${total}`);
}

// ---- The content of a credit transfer file (documents/sepa-credit-transfer.ts writes it) --------------------

export interface Party {
  name: string;
  iban: string;
  /** Optional for an IBAN of the EEA (IBAN only); the debtor's is given. */
  bic?: string | null;
}

export interface CreditTransfer {
  /** Unique per transfer and traceable (the run and the pro formas): at most 35 SEPA characters. */
  endToEndId: string;
  amountCents: number;
  creditor: Party;
  /** At most 140 characters; transliterated to the SEPA set. */
  remittance: string;
}

export interface CreditTransferFile {
  /** Unique per file: at most 35 SEPA characters. */
  messageId: string;
  createdAt: Date;
  /** Requested execution date, YYYY-MM-DD. */
  executionDate: string;
  debtor: Party & { bic: string };
  transfers: readonly CreditTransfer[];
}

/** The SEPA countries of the European Economic Area (and French overseas ones): IBAN only, no BIC needed. */
const EEA = new Set(
  (
    'AT BE BG HR CY CZ DK EE FI FR DE GR HU IS IE IT LV LI LT LU MT NL NO PL PT RO SK SI ES SE ' +
    'GF GP MQ YT RE PM BL MF AX'
  ).split(' '),
);
/** The other SEPA countries and territories: the beneficiary's BIC is required. */
const SEPA_OUTSIDE_EEA = new Set('CH GB MC SM VA AD AL MD ME MK RS GI JE GG IM'.split(' '));

/** What a beneficiary account lacks to receive a SEPA transfer, or undefined. */
export function creditorAccountProblem(party: Pick<Party, 'iban' | 'bic'>): string | undefined {
  if (!isValidIban(party.iban)) return 'IBAN invalide';
  const country = normalizeIban(party.iban).slice(0, 2);
  if (EEA.has(country)) return undefined;
  if (!SEPA_OUTSIDE_EEA.has(country)) return `pays ${country} hors de la zone SEPA`;
  return party.bic ? undefined : `BIC obligatoire pour un IBAN ${country} (hors Espace économique européen)`;
}
