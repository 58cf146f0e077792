import { sql, type Kysely, type Transaction } from 'kysely';
import { parisDate } from '../domain/dates';
import { planRun, type RunCfa, type RunGrouping } from '../domain/payment-run';
import { creditorAccountProblem, remittanceInformation, type CreditTransferFile } from '../domain/sepa';
import type { Database } from './schema';

/**
 * A payment run, in one transaction (issue 14): the payments awaiting a transfer up to the cut-off and the CFAs'
 * credit notes still to deduct are locked, netted (domain/payment-run.ts), checked (accounts, EPC limits), written
 * as a pain.001 file that must pass the EPC schema before it is stored, and recorded: the run, its transfers and their
 * items, each invoice's payment ISSUED, each credit note's remainder. Anything wrong with the file aborts the whole
 * run (nothing half-done); a CFA whose account cannot be paid, or a transfer over the EPC limit, is left out with its
 * reason and the rest goes on. Runs are serialized: a second run never sees what the first one issued.
 */

export interface RunRequest {
  /** The id of the workflow asking (a retried activity finds its run again instead of making a second one). */
  requestKey?: string;
  trigger: 'SCHEDULE' | 'MANUAL';
  requestedBy: string | null;
  grouping: RunGrouping;
  /** Payments ordered up to this instant are collected. */
  cutoff: Date;
  now: Date;
  /** YYYY-MM-DD. */
  executionDate: string;
  debtor: { name: string; iban: string; bic: string };
}

export interface RunFileDeps {
  /**
   * Writes the pain.001 file of the content, checks it against the EPC schema and stores it (content-addressed);
   * throws when the file is refused (the run is then rolled back whole).
   */
  writeFile(content: CreditTransferFile): Promise<{ sha256: string; size: number }>;
}

/** A pro forma a run settled or put in a transfer: its workflow is told. */
export interface RunPayment {
  number: string;
  kind: 'INVOICE' | 'DEDUCTION';
  endToEndId: string;
  /** The transfer is 0: the credit notes cover the invoices whole (settled at once, no line in the file). */
  compensated: boolean;
}

export interface RunOutcome {
  id: string;
  number: string;
  transferCount: number;
  totalCents: number;
  fileSha256: string | null;
  payments: RunPayment[];
  excluded: { cfaId: string; reason: string; detail: string; numbers: string[] }[];
  carried: { number: string; remainingCents: number }[];
}

async function nextRunNumber(trx: Transaction<Database>, now: Date): Promise<string> {
  const day = parisDate(now).replaceAll('-', '');
  const { count } = await trx
    .selectFrom('payment_runs')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('number', 'like', `RUN-${day}-%`)
    .executeTakeFirstOrThrow();
  return `RUN-${day}-${String(Number(count) + 1).padStart(2, '0')}`;
}

export async function createPaymentRun(db: Kysely<Database>, request: RunRequest, deps: RunFileDeps) {
  return db.transaction().execute(async (trx): Promise<RunOutcome> => {
    await sql`select pg_advisory_xact_lock(hashtext('payment-run'))`.execute(trx);
    if (request.requestKey !== undefined) {
      const done = await trx
        .selectFrom('payment_runs')
        .select('id')
        .where('request_key', '=', request.requestKey)
        .executeTakeFirst();
      if (done) return recordedOutcome(trx, done.id);
    }
    const number = await nextRunNumber(trx, request.now);

    const invoices = await trx
      .selectFrom('payments as p')
      .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
      .select(['p.id', 'p.cfa_id', 'p.amount_cents', 'p.ordered_at', 'pf.number'])
      .where('p.kind', '=', 'TRANSFER')
      .where('p.status', '=', 'ORDERED')
      .where('pf.status', '=', 'VALIDATED')
      .where('p.ordered_at', '<=', request.cutoff)
      .orderBy('p.ordered_at')
      .forUpdate('p')
      .execute();
    const cfaIds = [...new Set(invoices.map((i) => i.cfa_id))];
    const deductions =
      cfaIds.length === 0
        ? []
        : await trx
            .selectFrom('payments as p')
            .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
            .select(['p.id', 'p.cfa_id', 'p.remaining_cents', 'p.ordered_at', 'pf.number'])
            .where('p.kind', '=', 'DEDUCTION')
            .where('p.status', '=', 'ORDERED')
            .where('p.remaining_cents', '<', 0)
            .where('p.cfa_id', 'in', cfaIds)
            .forUpdate('p')
            .execute();
    const cfas =
      cfaIds.length === 0
        ? []
        : await trx
            .selectFrom('cfas')
            .select(['id', 'name', 'iban', 'bic', 'iban_flag'])
            .where('id', 'in', cfaIds)
            .execute();

    const excluded: RunOutcome['excluded'] = [];
    const payable: RunCfa[] = [];
    for (const cfa of cfas) {
      const own = invoices.filter((i) => i.cfa_id === cfa.id);
      const problem = creditorAccountProblem({ iban: cfa.iban, bic: cfa.bic });
      if (problem) {
        excluded.push({ cfaId: cfa.id, reason: 'ACCOUNT', detail: problem, numbers: own.map((i) => i.number) });
        continue;
      }
      // The bank rejected a transfer to this IBAN: nothing more is sent to it until an admin has checked it.
      if (cfa.iban_flag !== null) {
        const detail = `IBAN à vérifier : ${cfa.iban_flag}`;
        excluded.push({ cfaId: cfa.id, reason: 'IBAN_FLAGGED', detail, numbers: own.map((i) => i.number) });
        continue;
      }
      payable.push({
        cfaId: cfa.id,
        invoices: own.map((i) => ({
          number: i.number,
          amountCents: i.amount_cents,
          validatedAt: i.ordered_at.toISOString(),
        })),
        deductions: deductions
          .filter((d) => d.cfa_id === cfa.id)
          .map((d) => ({
            number: d.number,
            remainingCents: -(d.remaining_cents ?? 0),
            validatedAt: d.ordered_at.toISOString(),
          })),
      });
    }
    const plan = planRun(payable, request.grouping);
    for (const refused of plan.refused) {
      excluded.push({
        cfaId: refused.cfaId,
        reason: refused.reason,
        detail: `virement de ${refused.amountCents} centimes au-delà du plafond SEPA`,
        numbers: refused.invoices,
      });
    }

    const cfaById = new Map(cfas.map((c) => [c.id, c]));
    const transfers = plan.transfers.map((t, index) => {
      const cfa = cfaById.get(t.cfaId);
      if (!cfa) throw new Error(`no CFA ${t.cfaId}`);
      return {
        ...t,
        endToEndId: `${number}-${String(index + 1).padStart(4, '0')}`,
        cfa,
        remittance: remittanceInformation(
          t.invoices.map((i) => i.number),
          t.deductions.map((d) => d.number),
        ),
      };
    });
    const inFile = transfers.filter((t) => t.amountCents > 0);
    const totalCents = inFile.reduce((sum, t) => sum + t.amountCents, 0);

    let file: { sha256: string; size: number } | null = null;
    if (inFile.length > 0) {
      const content: CreditTransferFile = {
        messageId: number,
        createdAt: request.now,
        executionDate: request.executionDate,
        debtor: request.debtor,
        transfers: inFile.map((t) => ({
          endToEndId: t.endToEndId,
          amountCents: t.amountCents,
          creditor: { name: t.cfa.name, iban: t.cfa.iban, bic: t.cfa.bic },
          remittance: t.remittance,
        })),
      };
      file = await deps.writeFile(content);
    }

    const run = await trx
      .insertInto('payment_runs')
      .values({
        number,
        trigger: request.trigger,
        requested_by: request.requestedBy,
        grouping: request.grouping,
        cutoff: request.cutoff,
        execution_date: request.executionDate,
        transfer_count: inFile.length,
        total_cents: totalCents,
        file_sha256: file?.sha256 ?? null,
        file_size: file?.size ?? null,
        created_at: request.now,
        request_key: request.requestKey ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    const paymentIdOf = new Map([...invoices, ...deductions].map((p) => [p.number, p.id]));
    const payments: RunPayment[] = [];
    for (const t of transfers) {
      const transfer = await trx
        .insertInto('payment_transfers')
        .values({
          run_id: run.id,
          cfa_id: t.cfaId,
          end_to_end_id: t.endToEndId,
          amount_cents: t.amountCents,
          creditor_name: t.cfa.name,
          iban: t.cfa.iban,
          bic: t.cfa.bic,
          remittance: t.remittance,
          status: t.amountCents > 0 ? 'ISSUED' : 'COMPENSATED',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('payment_transfer_items')
        .values([
          ...t.invoices.map((i) => ({
            transfer_id: transfer.id,
            payment_id: paymentIdOf.get(i.number) as string,
            kind: 'INVOICE' as const,
            amount_cents: i.amountCents,
            settled: true,
          })),
          ...t.deductions.map((d) => ({
            transfer_id: transfer.id,
            payment_id: paymentIdOf.get(d.number) as string,
            kind: 'DEDUCTION' as const,
            amount_cents: -d.appliedCents,
            settled: d.settled,
          })),
        ])
        .execute();
      for (const i of t.invoices) {
        await trx
          .updateTable('payments')
          .set({ status: 'ISSUED' })
          .where('id', '=', paymentIdOf.get(i.number) as string)
          .execute();
        payments.push({
          number: i.number,
          kind: 'INVOICE',
          endToEndId: t.endToEndId,
          compensated: t.amountCents === 0,
        });
      }
      for (const d of t.deductions) {
        await trx
          .updateTable('payments')
          .set((eb) => ({
            remaining_cents: eb('remaining_cents', '+', d.appliedCents),
            ...(d.settled && { status: 'NETTED' as const }),
          }))
          .where('id', '=', paymentIdOf.get(d.number) as string)
          .execute();
        if (d.settled) {
          payments.push({
            number: d.number,
            kind: 'DEDUCTION',
            endToEndId: t.endToEndId,
            compensated: t.amountCents === 0,
          });
        }
      }
    }
    for (const e of excluded) {
      await trx
        .insertInto('payment_run_exclusions')
        .values({ run_id: run.id, cfa_id: e.cfaId, reason: e.reason, detail: e.detail, pro_forma_numbers: e.numbers })
        .execute();
    }
    return {
      id: run.id,
      number,
      transferCount: inFile.length,
      totalCents,
      fileSha256: file?.sha256 ?? null,
      payments,
      excluded,
      carried: plan.carried.map((c) => ({ number: c.number, remainingCents: -c.remainingCents })),
    };
  });
}

/**
 * A run already made, as its request found it again: its transfers' pro formas (to tell their workflows again,
 * which is idempotent) and its exclusions; what it carried is not kept apart (the credit notes' remainders say it).
 */
async function recordedOutcome(trx: Transaction<Database>, runId: string): Promise<RunOutcome> {
  const run = await trx
    .selectFrom('payment_runs')
    .select(['id', 'number', 'transfer_count', 'total_cents', 'file_sha256'])
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
  const items = await trx
    .selectFrom('payment_transfer_items as i')
    .innerJoin('payment_transfers as t', 't.id', 'i.transfer_id')
    .innerJoin('payments as p', 'p.id', 'i.payment_id')
    .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
    .select(['i.kind', 'i.settled', 't.end_to_end_id', 't.amount_cents', 'pf.number'])
    .where('t.run_id', '=', runId)
    .orderBy('t.end_to_end_id')
    .orderBy('i.kind', 'desc')
    .execute();
  const excluded = await trx
    .selectFrom('payment_run_exclusions')
    .select(['cfa_id', 'reason', 'detail', 'pro_forma_numbers'])
    .where('run_id', '=', runId)
    .execute();
  return {
    id: run.id,
    number: run.number,
    transferCount: run.transfer_count,
    totalCents: Number(run.total_cents),
    fileSha256: run.file_sha256,
    payments: items
      .filter((i) => i.kind === 'INVOICE' || i.settled)
      .map((i) => ({
        number: i.number,
        kind: i.kind,
        endToEndId: i.end_to_end_id,
        compensated: Number(i.amount_cents) === 0,
      })),
    excluded: excluded.map((e) => ({
      cfaId: e.cfa_id,
      reason: e.reason,
      detail: e.detail,
      numbers: e.pro_forma_numbers,
    })),
    carried: [],
  };
}

// ---- Reads: the runs, their transfers and what each pays or deducts ----------------------------------------------

export interface PaymentRunSummary {
  id: string;
  number: string;
  trigger: 'SCHEDULE' | 'MANUAL';
  grouping: RunGrouping;
  cutoff: string;
  executionDate: string;
  transferCount: number;
  totalCents: number;
  fileSha256: string | null;
  createdAt: string;
}

export interface PaymentTransferView {
  endToEndId: string;
  cfa: { id: string; siret: string; name: string };
  iban: string;
  bic: string | null;
  amountCents: number;
  status: 'ISSUED' | 'COMPENSATED' | 'BOOKED' | 'REJECTED';
  remittance: string;
  bankReference: string | null;
  bookedOn: string | null;
  rejectReason: string | null;
  invoices: { number: string; amountCents: number }[];
  deductions: { number: string; amountCents: number; settled: boolean }[];
}

export interface PaymentRunDetail extends PaymentRunSummary {
  transfers: PaymentTransferView[];
  excluded: { cfa: { id: string; siret: string; name: string }; reason: string; detail: string; numbers: string[] }[];
}

const RUN_COLUMNS = [
  'id',
  'number',
  'trigger',
  'grouping',
  'cutoff',
  'execution_date',
  'transfer_count',
  'total_cents',
  'file_sha256',
  'created_at',
] as const;

function toRun(row: {
  id: string;
  number: string;
  trigger: 'SCHEDULE' | 'MANUAL';
  grouping: RunGrouping;
  cutoff: Date;
  execution_date: string;
  transfer_count: number;
  total_cents: number;
  file_sha256: string | null;
  created_at: Date;
}): PaymentRunSummary {
  return {
    id: row.id,
    number: row.number,
    trigger: row.trigger,
    grouping: row.grouping,
    cutoff: row.cutoff.toISOString(),
    executionDate: row.execution_date,
    transferCount: row.transfer_count,
    totalCents: Number(row.total_cents),
    fileSha256: row.file_sha256,
    createdAt: row.created_at.toISOString(),
  };
}

/** The runs, newest first, a page of them and their total. */
export async function listPaymentRuns(
  db: Kysely<Database>,
  page: { page: number; pageSize: number },
): Promise<{ items: PaymentRunSummary[]; total: number }> {
  const [rows, total] = await Promise.all([
    db
      .selectFrom('payment_runs')
      .select(RUN_COLUMNS)
      .orderBy('created_at', 'desc')
      .orderBy('number', 'desc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute(),
    db
      .selectFrom('payment_runs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toRun), total: Number(total.n) };
}

/** One run by its number, with its transfers (in end-to-end order) and the CFAs it left out. */
export async function findPaymentRun(db: Kysely<Database>, number: string): Promise<PaymentRunDetail | undefined> {
  const run = await db.selectFrom('payment_runs').select(RUN_COLUMNS).where('number', '=', number).executeTakeFirst();
  if (!run) return undefined;
  const [transfers, items, excluded] = await Promise.all([
    db
      .selectFrom('payment_transfers as t')
      .innerJoin('cfas as c', 'c.id', 't.cfa_id')
      .select([
        't.id',
        't.end_to_end_id',
        't.iban',
        't.bic',
        't.amount_cents',
        't.status',
        't.remittance',
        't.bank_reference',
        't.booked_on',
        't.reject_reason',
        'c.id as cfa_id',
        'c.siret',
        'c.name',
      ])
      .where('t.run_id', '=', run.id)
      .orderBy('t.end_to_end_id')
      .execute(),
    db
      .selectFrom('payment_transfer_items as i')
      .innerJoin('payment_transfers as t', 't.id', 'i.transfer_id')
      .innerJoin('payments as p', 'p.id', 'i.payment_id')
      .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
      .select(['i.transfer_id', 'i.kind', 'i.amount_cents', 'i.settled', 'pf.number'])
      .where('t.run_id', '=', run.id)
      .orderBy('pf.number')
      .execute(),
    db
      .selectFrom('payment_run_exclusions as e')
      .innerJoin('cfas as c', 'c.id', 'e.cfa_id')
      .select(['e.reason', 'e.detail', 'e.pro_forma_numbers', 'c.id', 'c.siret', 'c.name'])
      .where('e.run_id', '=', run.id)
      .orderBy('c.name')
      .execute(),
  ]);
  return {
    ...toRun(run),
    transfers: transfers.map((t) => {
      const own = items.filter((i) => i.transfer_id === t.id);
      return {
        endToEndId: t.end_to_end_id,
        cfa: { id: t.cfa_id, siret: t.siret, name: t.name },
        iban: t.iban,
        bic: t.bic,
        amountCents: Number(t.amount_cents),
        status: t.status,
        remittance: t.remittance,
        bankReference: t.bank_reference,
        bookedOn: t.booked_on,
        rejectReason: t.reject_reason,
        invoices: own
          .filter((i) => i.kind === 'INVOICE')
          .map((i) => ({ number: i.number, amountCents: Number(i.amount_cents) })),
        deductions: own
          .filter((i) => i.kind === 'DEDUCTION')
          .map((i) => ({ number: i.number, amountCents: Number(i.amount_cents), settled: i.settled })),
      };
    }),
    excluded: excluded.map((e) => ({
      cfa: { id: e.id, siret: e.siret, name: e.name },
      reason: e.reason,
      detail: e.detail,
      numbers: e.pro_forma_numbers,
    })),
  };
}
