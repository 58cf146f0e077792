import type { BankLine } from '../domain/reconciliation';
import { createXmlParser } from './facturx';

/**
 * The bank's answer to a payment file (issue 14): a camt.054 debit/credit notification (booked transfers, returned
 * ones, credits received) or a pain.002 payment status report (accepted or rejected transfers), read into lines the
 * reconciliation applies. Pure and strict: a file that is too large, declares a DTD, is not well-formed, is neither
 * of the two messages, or holds an amount that is not one is refused whole (BankFileError), never half read.
 */

export const MAX_BANK_FILE_BYTES = 10 * 1024 * 1024;

export type { BankLine, BankLineStatus } from '../domain/reconciliation';

export interface BankFile {
  kind: 'camt.054' | 'pain.002';
  messageId: string;
  createdAt: string | null;
  lines: BankLine[];
}

/** What a reader process answers for a bank file. */
export type BankFileReading = { ok: true; file: BankFile } | { ok: false; message: string };

export class BankFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BankFileError';
  }
}

type Node = Record<string, unknown>;

const parser = createXmlParser();

function children(node: unknown, name: string): Node[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as Node)[name];
  return Array.isArray(value) ? (value as Node[]) : [];
}

function child(node: unknown, ...path: string[]): Node | undefined {
  let current: unknown = node;
  for (const name of path) current = children(current, name)[0];
  return current as Node | undefined;
}

function text(node: unknown, ...path: string[]): string | null {
  const found = child(node, ...path);
  const value = found?.['#text'];
  return typeof value === 'string' && value !== '' ? value : null;
}

function attribute(node: Node | undefined, name: string): string | null {
  const value = node?.[`@${name}`];
  return typeof value === 'string' ? value : null;
}

/** `1234.5` → 123450; refuses anything but a plain non-negative decimal with at most two decimals. */
function cents(value: string | null, where: string): number {
  const match = value === null ? null : /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(value);
  if (!match) throw new BankFileError(`${where} : montant illisible (${value ?? 'absent'})`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

function endToEnd(value: string | null): string | null {
  return value === null || value === 'NOTPROVIDED' ? null : value;
}

function day(value: string | null): string | null {
  return value === null ? null : value.slice(0, 10);
}

export function parseBankFile(bytes: Uint8Array): BankFile {
  if (bytes.byteLength > MAX_BANK_FILE_BYTES) {
    throw new BankFileError(`Fichier de ${bytes.byteLength} octets : au plus ${MAX_BANK_FILE_BYTES}.`);
  }
  const xml = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  if (/<!DOCTYPE/i.test(xml)) throw new BankFileError('Le fichier déclare une DTD : refusé.');
  let tree: unknown;
  try {
    tree = parser.parse(xml, true);
  } catch (error) {
    throw new BankFileError(`XML mal formé : ${error instanceof Error ? error.message : String(error)}`);
  }
  const document = child(tree, 'Document');
  const camt = child(document, 'BkToCstmrDbtCdtNtfctn');
  if (camt) return readCamt054(camt);
  const pain = child(document, 'CstmrPmtStsRpt');
  if (pain) return readPain002(pain);
  throw new BankFileError('Ni camt.054 (BkToCstmrDbtCdtNtfctn) ni pain.002 (CstmrPmtStsRpt).');
}

function readCamt054(root: Node): BankFile {
  const messageId = text(root, 'GrpHdr', 'MsgId');
  if (!messageId) throw new BankFileError('camt.054 sans identifiant de message (GrpHdr/MsgId).');
  const lines: BankLine[] = [];
  for (const notification of children(root, 'Ntfctn')) {
    for (const [n, entry] of children(notification, 'Ntry').entries()) {
      const where = `Écriture ${n + 1}`;
      const direction = text(entry, 'CdtDbtInd') === 'CRDT' ? 'CREDIT' : 'DEBIT';
      // camt.054 v2 writes the status as <Sts>BOOK</Sts>, later versions as <Sts><Cd>BOOK</Cd></Sts>.
      const status = text(entry, 'Sts', 'Cd') ?? text(entry, 'Sts');
      const date = day(text(entry, 'BookgDt', 'Dt') ?? text(entry, 'BookgDt', 'DtTm'));
      const bankReference = text(entry, 'AcctSvcrRef');
      const details = children(entry, 'NtryDtls').flatMap((d) => children(d, 'TxDtls'));
      const entryAmount = cents(text(entry, 'Amt'), where);
      const transactions = details.length > 0 ? details : [undefined];
      for (const tx of transactions) {
        const returnReason = text(tx, 'RtrInf', 'Rsn', 'Cd');
        const amountNode = child(tx, 'Amt') ?? child(tx, 'AmtDtls', 'TxAmt', 'Amt');
        lines.push({
          endToEndId: endToEnd(text(tx, 'Refs', 'EndToEndId')),
          direction,
          // A returned transfer comes back as a credit naming the return's reason.
          status: returnReason ? 'REJECTED' : status === 'BOOK' ? 'BOOKED' : 'PENDING',
          amountCents: tx && amountNode ? cents(text(amountNode), where) : entryAmount,
          date,
          bankReference: text(tx, 'Refs', 'AcctSvcrRef') ?? bankReference,
          reasonCode: returnReason,
          remittance: text(tx, 'RmtInf', 'Ustrd'),
        });
        if (attribute(amountNode ?? child(entry, 'Amt'), 'Ccy') !== 'EUR') {
          throw new BankFileError(`${where} : devise autre que l’euro.`);
        }
      }
    }
  }
  return { kind: 'camt.054', messageId, createdAt: text(root, 'GrpHdr', 'CreDtTm'), lines };
}

function readPain002(root: Node): BankFile {
  const messageId = text(root, 'GrpHdr', 'MsgId');
  if (!messageId) throw new BankFileError('pain.002 sans identifiant de message (GrpHdr/MsgId).');
  const date = day(text(root, 'GrpHdr', 'CreDtTm'));
  const lines: BankLine[] = [];
  for (const payment of children(root, 'OrgnlPmtInfAndSts')) {
    for (const [n, tx] of children(payment, 'TxInfAndSts').entries()) {
      const status = text(tx, 'TxSts');
      const amount = text(tx, 'OrgnlTxRef', 'Amt', 'InstdAmt');
      lines.push({
        endToEndId: endToEnd(text(tx, 'OrgnlEndToEndId')),
        direction: 'DEBIT',
        status: status === 'RJCT' ? 'REJECTED' : status === 'ACSC' ? 'BOOKED' : 'PENDING',
        amountCents: amount === null ? null : cents(amount, `Transaction ${n + 1}`),
        date,
        bankReference: text(tx, 'AcctSvcrRef') ?? text(tx, 'StsId'),
        reasonCode: text(tx, 'StsRsnInf', 'Rsn', 'Cd'),
        remittance: null,
      });
    }
  }
  return { kind: 'pain.002', messageId, createdAt: text(root, 'GrpHdr', 'CreDtTm'), lines };
}
