import { formatIban, ibanMod97, isLuhnValid, isValidIban, isValidSiret } from '../../domain/identifiers';
import type { Random } from './random';

/**
 * Valid identifiers for synthetic invoices: SIRETs passing Luhn (and their SIREN too), French IBANs with a
 * correct RIB key and ISO 13616 check digits. The checks themselves are the domain's; this only builds numbers
 * that pass them.
 */

/** `body` followed by the digit that makes it pass Luhn. */
function withLuhnDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit += 1) {
    if (isLuhnValid(`${body}${digit}`)) return `${body}${digit}`;
  }
  throw new Error(`no Luhn digit for ${body}`);
}

export function randomSiret(random: Random): string {
  // La Poste's SIREN follows another rule (domain/identifiers.ts): never drawn here, the first digit is 1-9 but 3.
  const siren = withLuhnDigit(`${random.pick(['1', '2', '4', '5', '7', '8', '9'])}${random.digits(7)}`);
  const siret = withLuhnDigit(`${siren}${random.digits(4)}`);
  if (!isValidSiret(siret)) throw new Error(`generated an invalid SIRET ${siret}`);
  return siret;
}

/** `12345678900012` → `123 456 789 00012`, the INSEE print form. */
export function groupSiret(siret: string): string {
  return `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}`;
}

/** French bank codes (code banque) of the banks a CFA may use. */
export const BANKS: readonly { name: string; code: string }[] = [
  { name: 'Société Générale', code: '30003' },
  { name: 'BNP Paribas', code: '30004' },
  { name: 'Crédit Agricole Île-de-France', code: '18206' },
  { name: "Caisse d'Épargne Rhône Alpes", code: '13825' },
  { name: 'La Banque Postale', code: '20041' },
  { name: 'Crédit Mutuel', code: '10278' },
  { name: 'Crédit Coopératif', code: '42559' },
];

/** RIB key: 97 − ((89 × bank + 15 × branch + 3 × account) mod 97), on an all-digit account number. */
function ribKey(bank: string, branch: string, account: string): string {
  const remainder = (89 * Number(bank) + 15 * Number(branch) + 3 * Number(account)) % 97;
  return String(97 - remainder).padStart(2, '0');
}

/** A French IBAN (FR + 2 check digits + 23 characters of RIB), normalized, without spaces. */
export function randomIban(random: Random, bankCode: string): string {
  const branch = random.digits(5);
  const account = `000${random.digits(8)}`;
  const bban = `${bankCode}${branch}${account}${ribKey(bankCode, branch, account)}`;
  const check = String(98 - ibanMod97(`FR00${bban}`)).padStart(2, '0');
  const iban = `FR${check}${bban}`;
  if (!isValidIban(iban)) throw new Error(`generated an invalid IBAN ${iban}`);
  return iban;
}

/** The IBAN grouped by four; `wrapAfterGroups` splits it over two lines after that many groups. */
export function printIban(iban: string, wrapAfterGroups?: number): string[] {
  const grouped = formatIban(iban);
  if (wrapAfterGroups === undefined) return [grouped];
  const groups = grouped.split(' ');
  return [groups.slice(0, wrapAfterGroups).join(' '), groups.slice(wrapAfterGroups).join(' ')];
}

export type InvoiceNumberStyle = 'year-dash' | 'fa' | 'f-compact' | 'cfa-slash';

/** Invoice numbers that trip a naive reader: `2026-6013` looks like a year, `CFA/2026/045` like a date. */
export function invoiceNumber(style: InvoiceNumberStyle, year: number, random: Random): string {
  switch (style) {
    case 'year-dash':
      return `${year}-${random.int(1000, 9999)}`;
    case 'fa':
      return `FA-${year}-${random.digits(4)}`;
    case 'f-compact':
      return `F${year}${random.digits(4)}`;
    case 'cfa-slash':
      return `CFA/${year}/${random.digits(3)}`;
  }
}

/** An apprenticeship contract number as the deposit platform prints it: département, year, month, sequence. */
export function contractNumber(random: Random, year: number, month: number): string {
  return `0${random.int(10, 95)}${year}${String(month).padStart(2, '0')}${random.digits(6)}`;
}
