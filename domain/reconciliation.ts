/**
 * The reconciliation of the bank's answer with the payment runs (issue 14), pure: each line of a camt.054 or pain.002
 * either applies to one transfer (booked → paid, rejected → back to awaiting payment) or to one expected receipt (a
 * REMBOURSEMENT credit note the CFA pays back, found by its number in the remittance information), or is reported and
 * applied to nothing: unknown, already applied, twice in the file, an amount that differs, still pending.
 */

/** A line of the bank's answer, as extraction/bank-statement.ts reads it. */
export type BankLineStatus = 'BOOKED' | 'REJECTED' | 'PENDING';

export interface BankLine {
  /** The transfer's end-to-end id (ours), or null when the bank gave none (`NOTPROVIDED`). */
  endToEndId: string | null;
  /** DEBIT: money left the funder's account (a transfer); CREDIT: it came in (a reimbursement, a return). */
  direction: 'DEBIT' | 'CREDIT';
  status: BankLineStatus;
  /** Null in a pain.002 (it carries no amounts per line when the bank omits them). */
  amountCents: number | null;
  /** YYYY-MM-DD: the booking date, or the report's date. */
  date: string | null;
  /** The bank's own reference of the entry. */
  bankReference: string | null;
  /** ISO reason code of a rejection or return (AC04 closed account, AM04 insufficient funds…). */
  reasonCode: string | null;
  remittance: string | null;
}

export type TransferState = 'ISSUED' | 'BOOKED' | 'REJECTED';

export interface KnownTransfer {
  endToEndId: string;
  amountCents: number;
  state: TransferState;
}

export interface ExpectedReceipt {
  /** The REMBOURSEMENT credit note's number. */
  number: string;
  /** What the CFA owes, positive. */
  amountCents: number;
  received: boolean;
}

export type ReconciliationAction =
  | { kind: 'BOOK'; endToEndId: string; date: string | null; bankReference: string | null }
  | { kind: 'REJECT'; endToEndId: string; reasonCode: string | null; date: string | null }
  | { kind: 'RECEIVE'; number: string; amountCents: number; date: string | null; bankReference: string | null };

export type ReportReason =
  'UNKNOWN_TRANSFER' | 'ALREADY_APPLIED' | 'DUPLICATE_IN_FILE' | 'AMOUNT_MISMATCH' | 'PENDING' | 'UNMATCHED_CREDIT';

export interface ReconciliationReport {
  actions: { line: number; action: ReconciliationAction }[];
  reported: { line: number; reason: ReportReason; endToEndId: string | null; detail: string }[];
}

const CREDIT_NOTE_NUMBER = /PRO-\d{8}/g;

export function reconcile(
  lines: readonly BankLine[],
  transfers: readonly KnownTransfer[],
  receipts: readonly ExpectedReceipt[],
): ReconciliationReport {
  const byId = new Map(transfers.map((t) => [t.endToEndId, { ...t }]));
  const owed = new Map(receipts.map((r) => [r.number, { ...r }]));
  const report: ReconciliationReport = { actions: [], reported: [] };
  const seen = new Set<string>();
  const flag = (line: number, reason: ReportReason, endToEndId: string | null, detail: string) =>
    report.reported.push({ line, reason, endToEndId, detail });

  for (const [index, bank] of lines.entries()) {
    const line = index + 1;
    const id = bank.endToEndId;
    if (bank.status === 'PENDING') {
      flag(line, 'PENDING', id, 'écriture en attente à la banque : rien n’est appliqué');
      continue;
    }
    const transfer = id === null ? undefined : byId.get(id);
    if (!transfer) {
      if (bank.direction === 'CREDIT' && bank.status === 'BOOKED') {
        receive(line, bank);
        continue;
      }
      flag(line, 'UNKNOWN_TRANSFER', id, id === null ? 'virement sans référence' : `aucun virement ${id}`);
      continue;
    }
    const key = `${transfer.endToEndId}:${bank.status}`;
    if (seen.has(key)) {
      flag(line, 'DUPLICATE_IN_FILE', id, `${transfer.endToEndId} figure deux fois dans le fichier`);
      continue;
    }
    seen.add(key);
    if (bank.status === 'BOOKED') {
      if (transfer.state !== 'ISSUED') {
        flag(line, 'ALREADY_APPLIED', id, `${transfer.endToEndId} est déjà ${stateLabel(transfer.state)}`);
        continue;
      }
      if (bank.amountCents !== null && bank.amountCents !== transfer.amountCents) {
        flag(
          line,
          'AMOUNT_MISMATCH',
          id,
          `${transfer.endToEndId} : ${bank.amountCents} centimes débités pour ${transfer.amountCents} ordonnés`,
        );
        continue;
      }
      transfer.state = 'BOOKED';
      report.actions.push({
        line,
        action: { kind: 'BOOK', endToEndId: transfer.endToEndId, date: bank.date, bankReference: bank.bankReference },
      });
      continue;
    }
    // REJECTED: refused before booking (pain.002) or returned after it (camt.054).
    if (transfer.state === 'REJECTED') {
      flag(line, 'ALREADY_APPLIED', id, `${transfer.endToEndId} est déjà rejeté`);
      continue;
    }
    transfer.state = 'REJECTED';
    report.actions.push({
      line,
      action: { kind: 'REJECT', endToEndId: transfer.endToEndId, reasonCode: bank.reasonCode, date: bank.date },
    });
  }
  return report;

  function receive(line: number, bank: BankLine): void {
    const named = [...new Set(bank.remittance?.match(CREDIT_NOTE_NUMBER) ?? [])];
    const matching = named
      .map((number) => owed.get(number))
      .filter((r): r is ExpectedReceipt => r !== undefined && r.amountCents === bank.amountCents);
    const receipt = matching.find((r) => !r.received);
    if (!receipt) {
      const detail =
        matching.length > 0
          ? `avoir ${matching[0]?.number} déjà encaissé`
          : `crédit de ${bank.amountCents ?? '?'} centimes sans avoir reconnu (${bank.remittance ?? 'sans libellé'})`;
      flag(line, matching.length > 0 ? 'ALREADY_APPLIED' : 'UNMATCHED_CREDIT', null, detail);
      return;
    }
    receipt.received = true;
    report.actions.push({
      line,
      action: {
        kind: 'RECEIVE',
        number: receipt.number,
        amountCents: receipt.amountCents,
        date: bank.date,
        bankReference: bank.bankReference,
      },
    });
  }
}

function stateLabel(state: TransferState): string {
  return state === 'BOOKED' ? 'comptabilisé' : state === 'REJECTED' ? 'rejeté' : 'émis';
}
