/**
 * The reconciliation of the bank's answer with the payment runs (issue 14), pure: each line of a camt.054 or pain.002
 * either applies to one transfer (booked → paid, rejected → back to awaiting payment) or to one expected receipt (a
 * REMBOURSEMENT credit note the CFA pays back, found by its number in the remittance information), or is reported and
 * applied to nothing: unknown, already applied, twice in the file, an amount that differs, still pending, returned
 * after booking.
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
  | 'UNKNOWN_TRANSFER'
  | 'ALREADY_APPLIED'
  | 'DUPLICATE_IN_FILE'
  | 'AMOUNT_MISMATCH'
  | 'PENDING'
  | 'UNMATCHED_CREDIT'
  /** The bank returned a transfer it had booked: its pro formas are paid already, someone handles it by hand. */
  | 'RETURNED_AFTER_BOOKING';

export interface ReconciliationReport {
  actions: { line: number; action: ReconciliationAction }[];
  reported: { line: number; reason: ReportReason; endToEndId: string | null; detail: string }[];
}

const CREDIT_NOTE_NUMBER = /PRO-\d{8}/g;

/** The pro forma numbers a line's remittance information names (a CFA's reimbursement names its credit note). */
export function namedProFormas(line: Pick<BankLine, 'remittance'>): string[] {
  return [...new Set(line.remittance?.match(CREDIT_NOTE_NUMBER) ?? [])];
}

/** The usual ISO 20022 reason codes of a rejected or returned transfer, as the admins read them. */
const REJECT_REASONS: Readonly<Record<string, string>> = {
  AC01: 'Numéro de compte incorrect',
  AC03: 'Numéro de compte du bénéficiaire invalide',
  AC04: 'Compte clôturé',
  AC06: 'Compte bloqué',
  AG01: 'Opération interdite sur ce compte',
  AG02: 'Code d’opération invalide',
  AM04: 'Provision insuffisante',
  AM05: 'Doublon',
  AM09: 'Montant incorrect',
  BE04: 'Adresse du bénéficiaire manquante ou incorrecte',
  CNOR: 'Banque du bénéficiaire non joignable',
  CUST: 'Demande du client',
  DNOR: 'Banque du donneur d’ordre non joignable',
  DUPL: 'Paiement en double',
  ED05: 'Échec du règlement',
  FF01: 'Format de fichier invalide',
  FOCR: 'Retour à la suite d’une demande d’annulation',
  MD07: 'Titulaire décédé',
  MS02: 'Refus du bénéficiaire, raison non précisée',
  MS03: 'Raison non précisée',
  RC01: 'BIC incorrect',
  RR01: 'Compte ou identité du donneur d’ordre manquants',
  RR02: 'Nom ou adresse du donneur d’ordre manquants',
  RR03: 'Nom ou adresse du bénéficiaire manquants',
  RR04: 'Motif réglementaire',
  TM01: 'Reçu après l’heure limite',
};

/** `AC04 — Compte clôturé`; an unknown code is named as such, a missing one says so. */
export function rejectReasonLabel(code: string | null): string {
  if (code === null || code.trim() === '') return 'Motif non précisé';
  const normalized = code.trim().toUpperCase();
  const label = REJECT_REASONS[normalized];
  return label === undefined ? `Motif ${normalized}` : `${normalized} — ${label}`;
}

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
    // Money coming back on one of our transfers is a return, whether or not the bank gave its reason.
    const status = bank.direction === 'CREDIT' && bank.status === 'BOOKED' ? 'REJECTED' : bank.status;
    const key = `${transfer.endToEndId}:${status}`;
    if (seen.has(key)) {
      flag(line, 'DUPLICATE_IN_FILE', id, `${transfer.endToEndId} figure deux fois dans le fichier`);
      continue;
    }
    seen.add(key);
    if (status === 'BOOKED') {
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
    // REJECTED: refused before booking (pain.002), or returned after it (camt.054): the money came back, but the
    // pro formas were told they are paid; that is for a person to sort out, never undone here.
    if (transfer.state === 'REJECTED') {
      flag(line, 'ALREADY_APPLIED', id, `${transfer.endToEndId} est déjà rejeté`);
      continue;
    }
    if (transfer.state === 'BOOKED') {
      flag(
        line,
        'RETURNED_AFTER_BOOKING',
        id,
        `${transfer.endToEndId} retourné par la banque après comptabilisation (${rejectReasonLabel(bank.reasonCode)}) : ` +
          'les pro formas sont déjà payées, à traiter à la main',
      );
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
    const matching = namedProFormas(bank)
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
