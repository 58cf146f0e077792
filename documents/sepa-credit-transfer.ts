import path from 'node:path';
import { create } from 'xmlbuilder2';
import { isValidIban, normalizeIban } from '../domain/identifiers';
import { isSepaAmount, isSepaId, sepaAmount, toSepaText } from '../domain/sepa';

/**
 * The SEPA credit transfer initiation file (ISO 20022 pain.001.001.09 as the EPC restricts it for SCT, rulebook
 * 2023), built with an XML library: every name, reference and identifier goes through the builder (escaped), never
 * through string concatenation. The rules the schema cannot say (character set, amounts, ids, control sums) are
 * checked here; the schema itself is checked by `validateCreditTransfer` (xmllint) before a file is stored.
 */

export const PAIN_001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';
export const PAIN_001_SCHEMA = path.join(__dirname, 'schemas', 'pain.001.001.09-epc-sct-2023.xsd');

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

const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

export class CreditTransferError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(`${message}: ${problems.join('; ')}`);
    this.name = 'CreditTransferError';
  }
}

/** What is wrong with the file's content, before any XML is written (empty when nothing). */
export function creditTransferProblems(file: CreditTransferFile): string[] {
  const problems: string[] = [];
  if (!isSepaId(file.messageId)) problems.push(`identifiant de message invalide : ${file.messageId}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(file.executionDate))
    problems.push(`date d’exécution invalide : ${file.executionDate}`);
  if (!isValidIban(file.debtor.iban)) problems.push('IBAN du donneur d’ordre invalide');
  if (!BIC.test(file.debtor.bic)) problems.push('BIC du donneur d’ordre invalide');
  if (toSepaText(file.debtor.name, 70) === '') problems.push('nom du donneur d’ordre vide');
  if (file.transfers.length === 0) problems.push('aucun virement');
  const ids = new Set<string>();
  for (const t of file.transfers) {
    const where = `virement ${t.endToEndId}`;
    if (!isSepaId(t.endToEndId)) problems.push(`${where} : référence de bout en bout invalide`);
    if (ids.has(t.endToEndId)) problems.push(`${where} : référence de bout en bout en double`);
    ids.add(t.endToEndId);
    if (!isSepaAmount(t.amountCents))
      problems.push(`${where} : montant hors des limites SEPA (${t.amountCents} centimes)`);
    const account = creditorAccountProblem(t.creditor);
    if (account) problems.push(`${where} : ${account}`);
    if (t.creditor.bic != null && !BIC.test(t.creditor.bic)) problems.push(`${where} : BIC du bénéficiaire invalide`);
    if (toSepaText(t.creditor.name, 70) === '') problems.push(`${where} : nom du bénéficiaire vide`);
  }
  return problems;
}

/** The file's XML (UTF-8); throws CreditTransferError naming every problem of its content. */
export function buildCreditTransferXml(file: CreditTransferFile): string {
  const problems = creditTransferProblems(file);
  if (problems.length > 0) throw new CreditTransferError('Fichier de virements invalide', problems);
  const count = String(file.transfers.length);
  const total = sepaAmount(file.transfers.reduce((sum, t) => sum + t.amountCents, 0));
  const createdAt = file.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z');

  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const initiation = doc.ele(PAIN_001_NAMESPACE, 'Document').ele('CstmrCdtTrfInitn');
  const header = initiation.ele('GrpHdr');
  header.ele('MsgId').txt(file.messageId);
  header.ele('CreDtTm').txt(createdAt);
  header.ele('NbOfTxs').txt(count);
  header.ele('CtrlSum').txt(total);
  header.ele('InitgPty').ele('Nm').txt(toSepaText(file.debtor.name, 70));

  const payment = initiation.ele('PmtInf');
  payment.ele('PmtInfId').txt(file.messageId);
  payment.ele('PmtMtd').txt('TRF');
  payment.ele('BtchBookg').txt('false');
  payment.ele('NbOfTxs').txt(count);
  payment.ele('CtrlSum').txt(total);
  payment.ele('PmtTpInf').ele('SvcLvl').ele('Cd').txt('SEPA');
  payment.ele('ReqdExctnDt').ele('Dt').txt(file.executionDate);
  payment.ele('Dbtr').ele('Nm').txt(toSepaText(file.debtor.name, 70));
  payment.ele('DbtrAcct').ele('Id').ele('IBAN').txt(compact(file.debtor.iban));
  payment.ele('DbtrAgt').ele('FinInstnId').ele('BICFI').txt(file.debtor.bic);
  payment.ele('ChrgBr').txt('SLEV');

  for (const t of file.transfers) {
    const tx = payment.ele('CdtTrfTxInf');
    tx.ele('PmtId').ele('EndToEndId').txt(t.endToEndId);
    tx.ele('Amt').ele('InstdAmt', { Ccy: 'EUR' }).txt(sepaAmount(t.amountCents));
    if (t.creditor.bic) tx.ele('CdtrAgt').ele('FinInstnId').ele('BICFI').txt(t.creditor.bic);
    tx.ele('Cdtr').ele('Nm').txt(toSepaText(t.creditor.name, 70));
    tx.ele('CdtrAcct').ele('Id').ele('IBAN').txt(compact(t.creditor.iban));
    tx.ele('RmtInf').ele('Ustrd').txt(toSepaText(t.remittance));
  }
  return doc.end({ prettyPrint: true });
}

const compact = normalizeIban;

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
  const country = compact(party.iban).slice(0, 2);
  if (EEA.has(country)) return undefined;
  if (!SEPA_OUTSIDE_EEA.has(country)) return `pays ${country} hors de la zone SEPA`;
  return party.bic ? undefined : `BIC obligatoire pour un IBAN ${country} (hors Espace économique européen)`;
}
