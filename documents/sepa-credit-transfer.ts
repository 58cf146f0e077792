import path from 'node:path';
import { create } from 'xmlbuilder2';
import type { DocumentStore } from '../infra/storage';
import { validateAgainstSchema } from '../infra/xml-schema';
import { isValidIban, normalizeIban } from '../domain/identifiers';
import {
  creditorAccountProblem,
  isSepaAmount,
  isSepaId,
  sepaAmount,
  toSepaText,
  type CreditTransferFile,
} from '../domain/sepa';

export { creditorAccountProblem, type CreditTransfer, type CreditTransferFile, type Party } from '../domain/sepa';

/**
 * The SEPA credit transfer initiation file (ISO 20022 pain.001.001.09 as the EPC restricts it for SCT, rulebook
 * 2023), built with an XML library: every name, reference and identifier goes through the builder (escaped), never
 * through string concatenation. The rules the schema cannot say (character set, amounts, ids, control sums) are
 * checked here; the schema itself is checked by `validateCreditTransfer` (xmllint) before a file is stored.
 */

export const PAIN_001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';
export const PAIN_001_SCHEMA = path.join(__dirname, 'schemas', 'pain.001.001.09-epc-sct-2023.xsd');

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

/** The file the schema refused: the run that wrote it records nothing. */
export class RunFileInvalidError extends Error {
  constructor(readonly errors: string[]) {
    super(`the payment file fails the EPC schema: ${errors.slice(0, 5).join('; ')}`);
    this.name = 'RunFileInvalidError';
  }
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
  payment.ele('DbtrAcct').ele('Id').ele('IBAN').txt(normalizeIban(file.debtor.iban));
  payment.ele('DbtrAgt').ele('FinInstnId').ele('BICFI').txt(file.debtor.bic);
  payment.ele('ChrgBr').txt('SLEV');

  for (const t of file.transfers) {
    const tx = payment.ele('CdtTrfTxInf');
    tx.ele('PmtId').ele('EndToEndId').txt(t.endToEndId);
    tx.ele('Amt').ele('InstdAmt', { Ccy: 'EUR' }).txt(sepaAmount(t.amountCents));
    if (t.creditor.bic) tx.ele('CdtrAgt').ele('FinInstnId').ele('BICFI').txt(t.creditor.bic);
    tx.ele('Cdtr').ele('Nm').txt(toSepaText(t.creditor.name, 70));
    tx.ele('CdtrAcct').ele('Id').ele('IBAN').txt(normalizeIban(t.creditor.iban));
    tx.ele('RmtInf').ele('Ustrd').txt(toSepaText(t.remittance));
  }
  return doc.end({ prettyPrint: true });
}

/** Checks the XML against the EPC schema (xmllint) and stores it; throws RunFileInvalidError when it fails. */
export async function storeValidatedXml(
  xml: string,
  store: Pick<DocumentStore, 'put'>,
): Promise<{ sha256: string; size: number }> {
  const verdict = await validateAgainstSchema(xml, PAIN_001_SCHEMA);
  if (!verdict.valid) throw new RunFileInvalidError(verdict.errors);
  const bytes = Buffer.from(xml, 'utf8');
  const stored = await store.put(bytes);
  return { sha256: stored.sha256, size: bytes.byteLength };
}

/** Writes the file of `content`, checks it against the EPC schema and stores it: a run's `writeFile`. */
export async function writeCreditTransferFile(
  content: CreditTransferFile,
  store: Pick<DocumentStore, 'put'>,
): Promise<{ sha256: string; size: number }> {
  return storeValidatedXml(buildCreditTransferXml(content), store);
}
