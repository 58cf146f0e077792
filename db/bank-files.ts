import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { parisDate, USER_TIME_ZONE } from '../domain/dates';
import { formatEuros } from '../domain/money';
import {
  namedProFormas,
  reconcile,
  rejectReasonLabel,
  type BankLine,
  type ReconciliationAction,
  type TransferState,
} from '../domain/reconciliation';
import type { BankFileLinesTable, BankFilesTable, Database, PaymentTransfersTable } from './schema';

/**
 * The bank's answer to the payment runs, applied in one transaction (issue 14): each line of a camt.054 or pain.002
 * is reconciled (domain/reconciliation.ts) with the transfers it names and the reimbursements expected, then applied:
 * a booked transfer pays its invoices and the credit notes it settles; a rejected one keeps its payments (REJECTED),
 * orders each invoice again for the next run, gives the credit notes their deduction back and flags the CFA's IBAN;
 * a reimbursement received confirms its credit note. The file is recorded with what each line did, so that the same
 * file (same SHA-256) is never applied twice, and the pro formas' workflows are told what happened. Bank files and
 * payment runs take the same lock: a run never sees a transfer half-applied, and a file never a run half-made.
 */

/** A bank file as extraction/bank-statement.ts reads it (the same shape: db/ does not import extraction/). */
export interface BankFile {
  kind: 'camt.054' | 'pain.002';
  messageId: string;
  createdAt: string | null;
  lines: BankLine[];
}

export interface BankFileInput {
  /** Of the file's bytes, lowercase hex: the same file twice is applied once. */
  sha256: string;
  fileName: string;
  source: 'UPLOAD' | 'FOLDER';
  uploadedBy: string | null;
  file: BankFile;
  now: Date;
}

/** What a pro forma's workflow is told (by Temporal Updates, elsewhere); requestId makes each one idempotent. */
export type PaymentNotice =
  | { kind: 'CONFIRM'; number: string; requestId: string; paidAt: string; reference: string | null }
  | { kind: 'REJECT'; number: string; requestId: string; endToEndId: string; reason: string };

export interface BankFileLineView {
  line: number;
  action: 'BOOK' | 'REJECT' | 'RECEIVE' | null;
  /** Why the line was applied to nothing (ReportReason); null when applied. */
  reason: string | null;
  endToEndId: string | null;
  /** The reimbursed credit note, or the first invoice of the transfer the line names. */
  proFormaNumber: string | null;
  amountCents: number | null;
  detail: string;
}

export interface BankFileSummary {
  id: string;
  sha256: string;
  fileName: string;
  kind: 'camt.054' | 'pain.002';
  messageId: string;
  receivedAt: string;
  appliedCount: number;
  reportedCount: number;
}

export interface BankFileOutcome extends BankFileSummary {
  /** The same file (same SHA-256) was applied before: nothing applied now, its recorded lines returned. */
  alreadyReceived: boolean;
  lines: BankFileLineView[];
  notices: PaymentNotice[];
  /** CFAs whose transfer the bank rejected now: admins are alerted, the IBAN is flagged. */
  rejections: { cfaId: string; cfaName: string; endToEndId: string; reason: string; numbers: string[] }[];
}

type Db = Kysely<Database> | Transaction<Database>;

const FILE_COLUMNS = [
  'id',
  'sha256',
  'file_name',
  'kind',
  'message_id',
  'received_at',
  'applied_count',
  'reported_count',
] as const;

function toSummary(row: Pick<Selectable<BankFilesTable>, (typeof FILE_COLUMNS)[number]>): BankFileSummary {
  return {
    id: row.id,
    sha256: row.sha256,
    fileName: row.file_name,
    kind: row.kind,
    messageId: row.message_id,
    receivedAt: row.received_at.toISOString(),
    appliedCount: row.applied_count,
    reportedCount: row.reported_count,
  };
}

const LINE_COLUMNS = [
  'line',
  'action',
  'reason',
  'end_to_end_id',
  'pro_forma_number',
  'amount_cents',
  'detail',
] as const;

type LineRow = Omit<BankFileLinesTable, 'file_id'>;

function toLineView(row: LineRow): BankFileLineView {
  return {
    line: row.line,
    action: row.action,
    reason: row.reason,
    endToEndId: row.end_to_end_id,
    proFormaNumber: row.pro_forma_number,
    amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
    detail: row.detail,
  };
}

function stateOf(status: PaymentTransfersTable['status']): TransferState {
  // A compensated transfer settled its invoices without any money moving: nothing of the bank's applies to it.
  return status === 'ISSUED' ? 'ISSUED' : status === 'REJECTED' ? 'REJECTED' : 'BOOKED';
}

const PARIS_HOUR = new Intl.DateTimeFormat('en-GB', { timeZone: USER_TIME_ZONE, hour: '2-digit', hourCycle: 'h23' });

/** 12:00 in Europe/Paris on `day` (YYYY-MM-DD), the instant a booking dated that day is said to be paid. */
function parisNoon(day: string): Date {
  const utcNoon = new Date(`${day}T12:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(utcNoon.getTime())) {
    throw new Error(`date de comptabilisation illisible : ${day}`);
  }
  // Paris is one or two hours ahead of UTC; at noon UTC no change of time is under way.
  const offsetHours = Number(PARIS_HOUR.format(utcNoon)) - 12;
  return new Date(utcNoon.getTime() - offsetHours * 3_600_000);
}

/** 03/12/2026. */
function frenchDate(day: string): string {
  const [year, month, date] = day.split('-');
  return `${date}/${month}/${year}`;
}

function requestIdOf(sha256: string, line: number, number: string): string {
  return `bank-${sha256.slice(0, 16)}-${line}-${number}`;
}

/** The transfers a file names, with their items (invoices first, then credit notes, each by number). */
async function loadTransfers(trx: Db, endToEndIds: readonly string[], lock: boolean) {
  if (endToEndIds.length === 0) return [];
  let query = trx
    .selectFrom('payment_transfers as t')
    .innerJoin('cfas as c', 'c.id', 't.cfa_id')
    .select([
      't.id',
      't.end_to_end_id',
      't.amount_cents',
      't.status',
      't.iban',
      't.reject_reason',
      'c.id as cfa_id',
      'c.name as cfa_name',
    ])
    .where('t.end_to_end_id', 'in', endToEndIds);
  if (lock) query = query.forUpdate('t');
  const transfers = await query.execute();
  const items =
    transfers.length === 0
      ? []
      : await trx
          .selectFrom('payment_transfer_items as i')
          .innerJoin('payments as p', 'p.id', 'i.payment_id')
          .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
          .select([
            'i.transfer_id',
            'i.payment_id',
            'i.kind',
            'i.amount_cents',
            'i.settled',
            'pf.number',
            'p.pro_forma_id',
            'p.cfa_id',
            'p.amount_cents as payment_amount_cents',
            'p.ordered_at',
            'p.confirmed_at',
            'p.reference',
          ])
          .where(
            'i.transfer_id',
            'in',
            transfers.map((t) => t.id),
          )
          .orderBy('i.kind', 'desc')
          .orderBy('pf.number')
          .execute();
  return transfers.map((t) => {
    const own = items.filter((i) => i.transfer_id === t.id);
    const invoices = own.filter((i) => i.kind === 'INVOICE');
    const deductions = own.filter((i) => i.kind === 'DEDUCTION');
    return {
      ...t,
      amountCents: Number(t.amount_cents),
      invoices,
      deductions,
      /** The pro formas the transfer pays or settles: their workflows hear of it. */
      told: [...invoices, ...deductions.filter((d) => d.settled)].map((i) => i.number),
    };
  });
}

type LoadedTransfer = Awaited<ReturnType<typeof loadTransfers>>[number];

/**
 * What the workflows are told of a file's applied lines, read from what the lines applied: the same whether the file
 * was applied just now or long ago (a retried caller tells them again; each notice is idempotent by its requestId).
 */
async function noticesOf(db: Db, sha256: string, lines: readonly LineRow[]): Promise<PaymentNotice[]> {
  const applied = lines.filter((l) => l.action !== null);
  const endToEndIds = applied.flatMap((l) => (l.action !== 'RECEIVE' && l.end_to_end_id ? [l.end_to_end_id] : []));
  const transfers = new Map((await loadTransfers(db, endToEndIds, false)).map((t) => [t.end_to_end_id, t]));
  const received = applied.flatMap((l) => (l.action === 'RECEIVE' && l.pro_forma_number ? [l.pro_forma_number] : []));
  const receipts =
    received.length === 0
      ? new Map<string, { confirmed_at: Date | null; reference: string | null }>()
      : new Map(
          (
            await db
              .selectFrom('payments as p')
              .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
              .select(['pf.number', 'p.confirmed_at', 'p.reference'])
              .where('p.kind', '=', 'REIMBURSEMENT')
              .where('p.status', '=', 'CONFIRMED')
              .where('pf.number', 'in', received)
              .execute()
          ).map((r) => [r.number, r]),
        );

  const notices: PaymentNotice[] = [];
  for (const l of applied) {
    if (l.action === 'RECEIVE') {
      const receipt = l.pro_forma_number === null ? undefined : receipts.get(l.pro_forma_number);
      if (!receipt?.confirmed_at || l.pro_forma_number === null) continue;
      notices.push({
        kind: 'CONFIRM',
        number: l.pro_forma_number,
        requestId: requestIdOf(sha256, l.line, l.pro_forma_number),
        paidAt: receipt.confirmed_at.toISOString(),
        reference: receipt.reference,
      });
      continue;
    }
    const transfer = l.end_to_end_id === null ? undefined : transfers.get(l.end_to_end_id);
    if (!transfer) continue;
    if (l.action === 'BOOK') {
      // Every item of a booked transfer was confirmed at the same instant, with the same reference.
      const paid = transfer.invoices.find((i) => i.confirmed_at !== null);
      if (!paid?.confirmed_at) continue;
      for (const number of transfer.told) {
        notices.push({
          kind: 'CONFIRM',
          number,
          requestId: requestIdOf(sha256, l.line, number),
          paidAt: paid.confirmed_at.toISOString(),
          reference: paid.reference,
        });
      }
    } else {
      for (const number of transfer.told) {
        notices.push({
          kind: 'REJECT',
          number,
          requestId: requestIdOf(sha256, l.line, number),
          endToEndId: transfer.end_to_end_id,
          reason: transfer.reject_reason ?? rejectReasonLabel(null),
        });
      }
    }
  }
  return notices;
}

async function recordedOutcome(db: Db, file: Parameters<typeof toSummary>[0]) {
  const rows = await db
    .selectFrom('bank_file_lines')
    .select(LINE_COLUMNS)
    .where('file_id', '=', file.id)
    .orderBy('line')
    .execute();
  return {
    ...toSummary(file),
    alreadyReceived: true,
    lines: rows.map(toLineView),
    notices: await noticesOf(db, file.sha256, rows),
    rejections: [],
  } satisfies BankFileOutcome;
}

export async function applyBankFile(db: Kysely<Database>, input: BankFileInput): Promise<BankFileOutcome> {
  return db.transaction().execute(async (trx): Promise<BankFileOutcome> => {
    await sql`select pg_advisory_xact_lock(hashtext('payment-run'))`.execute(trx);
    const known = await trx
      .selectFrom('bank_files')
      .select(FILE_COLUMNS)
      .where('sha256', '=', input.sha256)
      .executeTakeFirst();
    if (known) return recordedOutcome(trx, known);

    const lines = input.file.lines;
    const endToEndIds = [...new Set(lines.flatMap((l) => (l.endToEndId === null ? [] : [l.endToEndId])))];
    const transfers = await loadTransfers(trx, endToEndIds, true);
    const transferById = new Map(transfers.map((t) => [t.end_to_end_id, t]));
    const named = [...new Set(lines.filter((l) => l.direction === 'CREDIT').flatMap((l) => namedProFormas(l)))];
    const receipts =
      named.length === 0
        ? []
        : await trx
            .selectFrom('payments as p')
            .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
            .select(['p.id', 'p.amount_cents', 'p.status', 'pf.number'])
            .where('p.kind', '=', 'REIMBURSEMENT')
            .where('p.status', 'in', ['ORDERED', 'CONFIRMED'])
            .where('pf.number', 'in', named)
            .forUpdate('p')
            .execute();
    const receiptByNumber = new Map(receipts.map((r) => [r.number, r]));

    const report = reconcile(
      lines,
      transfers.map((t) => ({ endToEndId: t.end_to_end_id, amountCents: t.amountCents, state: stateOf(t.status) })),
      // A REMBOURSEMENT credit note's total is negative: the CFA owes its opposite.
      receipts.map((r) => ({ number: r.number, amountCents: -r.amount_cents, received: r.status === 'CONFIRMED' })),
    );

    const rows: LineRow[] = [];
    const rejections: BankFileOutcome['rejections'] = [];
    const transferOf = (endToEndId: string): LoadedTransfer => {
      const transfer = transferById.get(endToEndId);
      if (!transfer) throw new Error(`no transfer ${endToEndId}`);
      return transfer;
    };

    for (const { line, action } of report.actions) {
      const bank = lines[line - 1] as BankLine;
      if (action.kind === 'RECEIVE') {
        const receipt = receiptByNumber.get(action.number);
        if (!receipt) throw new Error(`no reimbursement ${action.number}`);
        await receive(receipt.id, action);
        rows.push({
          line,
          action: 'RECEIVE',
          reason: null,
          end_to_end_id: bank.endToEndId,
          pro_forma_number: action.number,
          amount_cents: action.amountCents,
          detail: `Remboursement de l’avoir ${action.number} reçu (${formatEuros(action.amountCents)})`,
        });
        continue;
      }
      const transfer = transferOf(action.endToEndId);
      const detail = action.kind === 'BOOK' ? await book(transfer, action) : await reject(transfer, action);
      rows.push({
        line,
        action: action.kind,
        reason: null,
        end_to_end_id: transfer.end_to_end_id,
        pro_forma_number: transfer.invoices[0]?.number ?? null,
        amount_cents: bank.amountCents ?? transfer.amountCents,
        detail,
      });
    }
    for (const reported of report.reported) {
      const bank = lines[reported.line - 1] as BankLine;
      const transfer = reported.endToEndId === null ? undefined : transferById.get(reported.endToEndId);
      const creditNote =
        bank.direction === 'CREDIT' ? namedProFormas(bank).find((n) => receiptByNumber.has(n)) : undefined;
      rows.push({
        line: reported.line,
        action: null,
        reason: reported.reason,
        end_to_end_id: bank.endToEndId,
        pro_forma_number: transfer?.invoices[0]?.number ?? creditNote ?? null,
        amount_cents: bank.amountCents,
        detail: reported.detail,
      });
    }
    rows.sort((a, b) => a.line - b.line);

    const file = await trx
      .insertInto('bank_files')
      .values({
        sha256: input.sha256,
        file_name: input.fileName,
        kind: input.file.kind,
        message_id: input.file.messageId,
        source: input.source,
        uploaded_by: input.uploadedBy,
        received_at: input.now,
        applied_count: report.actions.length,
        reported_count: report.reported.length,
      })
      .returning(FILE_COLUMNS)
      .executeTakeFirstOrThrow();
    if (rows.length > 0) {
      await trx
        .insertInto('bank_file_lines')
        .values(rows.map((r) => ({ ...r, file_id: file.id })))
        .execute();
    }
    return {
      ...toSummary(file),
      alreadyReceived: false,
      lines: rows.map(toLineView),
      notices: await noticesOf(trx, file.sha256, rows),
      rejections,
    };

    /** The transfer is paid: its invoices and the credit notes it settles are CONFIRMED. */
    async function book(
      transfer: LoadedTransfer,
      action: Extract<ReconciliationAction, { kind: 'BOOK' }>,
    ): Promise<string> {
      const bookedOn = action.date ?? parisDate(input.now);
      const paidAt = action.date === null ? input.now : parisNoon(action.date);
      const reference = action.bankReference ?? transfer.end_to_end_id;
      await trx
        .updateTable('payment_transfers')
        .set({ status: 'BOOKED', booked_on: bookedOn, bank_reference: action.bankReference })
        .where('id', '=', transfer.id)
        .execute();
      const invoices = transfer.invoices.map((i) => i.payment_id);
      if (invoices.length > 0) {
        await trx
          .updateTable('payments')
          .set({ status: 'CONFIRMED', confirmed_at: paidAt, reference })
          .where('id', 'in', invoices)
          .where('status', '=', 'ISSUED')
          .execute();
      }
      const settled = transfer.deductions.filter((d) => d.settled).map((d) => d.payment_id);
      if (settled.length > 0) {
        await trx
          .updateTable('payments')
          .set({ status: 'CONFIRMED', confirmed_at: paidAt, reference })
          .where('id', 'in', settled)
          .where('status', '=', 'NETTED')
          .execute();
      }
      return (
        `Virement ${transfer.end_to_end_id} de ${formatEuros(transfer.amountCents)} comptabilisé le ` +
        `${frenchDate(bookedOn)} : ${transfer.told.join(', ')} payées`
      );
    }

    /**
     * The bank refused or returned the transfer: its payments are kept (REJECTED) and each invoice is ordered again
     * for the next run; the credit notes it deducted get their deduction back; the CFA's IBAN is flagged.
     */
    async function reject(
      transfer: LoadedTransfer,
      action: Extract<ReconciliationAction, { kind: 'REJECT' }>,
    ): Promise<string> {
      const reason = rejectReasonLabel(action.reasonCode);
      await trx
        .updateTable('payment_transfers')
        .set({ status: 'REJECTED', reject_reason: reason })
        .where('id', '=', transfer.id)
        .execute();
      for (const invoice of transfer.invoices) {
        await trx
          .updateTable('payments')
          .set({ status: 'REJECTED' })
          .where('id', '=', invoice.payment_id)
          .where('status', '=', 'ISSUED')
          .execute();
        const again = await trx
          .insertInto('payments')
          .values({
            pro_forma_id: invoice.pro_forma_id,
            cfa_id: invoice.cfa_id,
            kind: 'TRANSFER',
            amount_cents: invoice.payment_amount_cents,
            status: 'ORDERED',
            ordered_at: invoice.ordered_at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        // Credit notes netted into the payment when it was ordered are netted into the new order.
        await trx
          .updateTable('payments')
          .set({ netted_in_payment_id: again.id })
          .where('netted_in_payment_id', '=', invoice.payment_id)
          .execute();
      }
      for (const deduction of transfer.deductions) {
        // What this transfer deducted is to deduct again, by the next run: a credit note deducted in full (NETTED by
        // this transfer, or CONFIRMED since by a later one already booked) waits for it again.
        await trx
          .updateTable('payments')
          .set((eb) => ({ remaining_cents: eb('remaining_cents', '+', deduction.amount_cents) }))
          .where('id', '=', deduction.payment_id)
          .execute();
        await trx
          .updateTable('payments')
          .set({ status: 'ORDERED', confirmed_at: null, reference: null })
          .where('id', '=', deduction.payment_id)
          .where('status', 'in', ['NETTED', 'CONFIRMED'])
          .execute();
      }
      const flag =
        `La banque a rejeté le virement ${transfer.end_to_end_id} vers l’IBAN ${transfer.iban} ` +
        `(${reason}) : vérifiez les coordonnées bancaires du CFA.`;
      await trx
        .updateTable('cfas')
        .set({ iban_flag: flag, iban_flagged_at: input.now })
        .where('id', '=', transfer.cfa_id)
        .execute();
      rejections.push({
        cfaId: transfer.cfa_id,
        cfaName: transfer.cfa_name,
        endToEndId: transfer.end_to_end_id,
        reason,
        numbers: transfer.told,
      });
      const invoices = transfer.invoices.map((i) => i.number);
      const creditNotes = transfer.deductions.map((d) => d.number);
      return (
        `Virement ${transfer.end_to_end_id} rejeté par la banque (${reason}) : ${invoices.join(', ')} à payer de ` +
        `nouveau${creditNotes.length > 0 ? `, déduction de ${creditNotes.join(', ')} rendue` : ''}`
      );
    }

    /** The CFA paid its REMBOURSEMENT credit note back. */
    async function receive(paymentId: string, action: Extract<ReconciliationAction, { kind: 'RECEIVE' }>) {
      await trx
        .updateTable('payments')
        .set({
          status: 'CONFIRMED',
          confirmed_at: action.date === null ? input.now : parisNoon(action.date),
          reference: action.bankReference,
        })
        .where('id', '=', paymentId)
        .where('status', '=', 'ORDERED')
        .execute();
    }
  });
}

// ---- Reads: the files received, newest first, and what each line did ---------------------------------------------

/** The bank files, newest first, a page of them and their total. */
export async function listBankFiles(
  db: Kysely<Database>,
  page: { page: number; pageSize: number },
): Promise<{ items: BankFileSummary[]; total: number }> {
  const [rows, total] = await Promise.all([
    db
      .selectFrom('bank_files')
      .select(FILE_COLUMNS)
      .orderBy('received_at', 'desc')
      .orderBy('id')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute(),
    db
      .selectFrom('bank_files')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toSummary), total: Number(total.n) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One file with its recorded lines and the notices its applied lines gave (to tell the workflows again). */
export async function findBankFile(db: Kysely<Database>, id: string): Promise<BankFileOutcome | undefined> {
  if (!UUID.test(id)) return undefined;
  const file = await db.selectFrom('bank_files').select(FILE_COLUMNS).where('id', '=', id).executeTakeFirst();
  return file && recordedOutcome(db, file);
}
