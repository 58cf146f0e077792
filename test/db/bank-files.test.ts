import crypto from 'node:crypto';
import {
  applyBankFile,
  findBankFile,
  listBankFiles,
  type BankFile,
  type BankFileInput,
  type BankFileOutcome,
} from '../../db/bank-files';
import { createPaymentRun } from '../../db/payment-runs';
import type { BankLine } from '../../domain/reconciliation';
import { insertCfa } from '../helpers/fixtures';
import { paymentRunFixtures, runRequestWith } from '../helpers/payment-runs';

const fixtures = paymentRunFixtures('bank-files');
const { deps, ordered } = fixtures;
const runRequest = runRequestWith({ grouping: 'PER_INVOICE' });

const bankLine = (overrides: Partial<BankLine>): BankLine => ({
  endToEndId: null,
  direction: 'DEBIT',
  status: 'BOOKED',
  amountCents: null,
  date: '2026-12-03',
  bankReference: null,
  reasonCode: null,
  remittance: null,
  ...overrides,
});

const sha = () => crypto.randomBytes(32).toString('hex');

const input = (lines: BankLine[], overrides: Partial<BankFileInput> = {}): BankFileInput => {
  const file: BankFile = { kind: 'camt.054', messageId: 'CAMT-20261204-1', createdAt: '2026-12-04T07:00:00', lines };
  return {
    sha256: sha(),
    fileName: 'releve.xml',
    source: 'UPLOAD',
    uploadedBy: null,
    file,
    now: new Date('2026-12-04T09:00:00Z'),
    ...overrides,
  };
};

/** The payments of a pro forma: the live one first, then a rejected one (ISSUED, ORDERED < REJECTED). */
async function paymentsOf(number: string) {
  return fixtures
    .db()
    .selectFrom('payments as p')
    .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
    .select([
      'p.kind',
      'p.status',
      'p.amount_cents',
      'p.remaining_cents',
      'p.ordered_at',
      'p.confirmed_at',
      'p.reference',
    ])
    .where('pf.number', '=', number)
    .orderBy('p.status')
    .execute();
}

async function transferOf(number: string) {
  return fixtures
    .db()
    .selectFrom('payment_transfers as t')
    .innerJoin('payment_transfer_items as i', 'i.transfer_id', 't.id')
    .innerJoin('payments as p', 'p.id', 'i.payment_id')
    .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
    .select(['t.end_to_end_id', 't.amount_cents', 't.status', 't.booked_on', 't.bank_reference', 't.reject_reason'])
    .where('pf.number', '=', number)
    .where('i.kind', '=', 'INVOICE')
    .executeTakeFirstOrThrow();
}

/** Everything a bank file may change, to check that a file applied again changes nothing. */
async function snapshot() {
  const db = fixtures.db();
  return {
    payments: await db.selectFrom('payments').selectAll().orderBy('id').execute(),
    transfers: await db.selectFrom('payment_transfers').selectAll().orderBy('id').execute(),
    cfas: await db.selectFrom('cfas').select(['id', 'iban_flag', 'iban_flagged_at']).orderBy('id').execute(),
    files: await db.selectFrom('bank_files').select('id').orderBy('id').execute(),
  };
}

describe('a bank file', () => {
  it('books, rejects and receives what it says, once, and reports the rest', async () => {
    const db = fixtures.db();
    const a = await insertCfa(db);
    const b = await insertCfa(db);
    // CFA a: an invoice less a credit note deducted in full; a reimbursement the CFA owes.
    const dA = await ordered(a.id, -20_000, '2026-11-19T10:00:00Z');
    const iA = await ordered(a.id, 100_000, '2026-11-20T10:00:00Z');
    const refund = await ordered(a.id, -41_350, '2026-11-20T10:00:00Z', 'REMBOURSEMENT');
    // CFA b: a credit note deducted in part from a first invoice (compensated whole), the rest from a second one.
    const dB = await ordered(b.id, -50_000, '2026-11-18T10:00:00Z');
    const iB1 = await ordered(b.id, 30_000, '2026-11-19T10:00:00Z');
    const iB2 = await ordered(b.id, 45_000, '2026-11-20T10:00:00Z');

    const run = await createPaymentRun(db, runRequest(), deps());
    expect(run.transferCount).toBe(2);
    expect(run.totalCents).toBe(80_000 + 25_000);
    const tA = await transferOf(iA);
    const tB1 = await transferOf(iB1);
    const tB2 = await transferOf(iB2);
    expect([tA.amount_cents, tA.status]).toEqual([80_000, 'ISSUED']);
    expect([tB1.amount_cents, tB1.status]).toEqual([0, 'COMPENSATED']);
    expect([tB2.amount_cents, tB2.status]).toEqual([25_000, 'ISSUED']);
    expect((await paymentsOf(dB))[0]).toMatchObject({ status: 'NETTED', remaining_cents: 0 });

    const booked = bankLine({ endToEndId: tA.end_to_end_id, amountCents: 80_000, bankReference: 'BQ-A' });
    const first = input([
      booked,
      bankLine({
        endToEndId: tB2.end_to_end_id,
        direction: 'CREDIT',
        status: 'REJECTED',
        amountCents: 25_000,
        reasonCode: 'AC04',
      }),
      bankLine({
        direction: 'CREDIT',
        amountCents: 41_350,
        date: '2026-12-04',
        bankReference: 'BQ-R',
        remittance: `Remboursement avoir ${refund}`,
      }),
      bankLine({ endToEndId: 'RUN-20991231-01-0001', amountCents: 100 }),
      booked,
    ]);
    const before = await snapshot();
    const outcome = await applyBankFile(db, first);

    // The transfers and the payments.
    expect(await transferOf(iA)).toMatchObject({ status: 'BOOKED', booked_on: '2026-12-03', bank_reference: 'BQ-A' });
    const rejected = await transferOf(iB2);
    expect(rejected).toMatchObject({ status: 'REJECTED', reject_reason: 'AC04 — Compte clôturé' });
    expect((await transferOf(iB1)).status).toBe('COMPENSATED');
    // 12:00 in Paris on 3 December is 11:00 UTC.
    const paidAt = new Date('2026-12-03T11:00:00Z');
    expect(await paymentsOf(iA)).toEqual([
      expect.objectContaining({ status: 'CONFIRMED', confirmed_at: paidAt, reference: 'BQ-A' }),
    ]);
    expect(await paymentsOf(dA)).toEqual([
      expect.objectContaining({ status: 'CONFIRMED', remaining_cents: 0, confirmed_at: paidAt, reference: 'BQ-A' }),
    ]);
    // The rejected invoice keeps its payment (REJECTED) and is ordered again, as it was, for the next run.
    const [again, kept] = await paymentsOf(iB2);
    expect(kept).toMatchObject({ kind: 'TRANSFER', status: 'REJECTED', amount_cents: 45_000 });
    expect(again).toEqual({ ...kept, status: 'ORDERED' });
    // The credit note gets back what the rejected transfer deducted; the compensated part stays deducted.
    expect(await paymentsOf(dB)).toEqual([expect.objectContaining({ status: 'ORDERED', remaining_cents: -20_000 })]);
    expect(await paymentsOf(iB1)).toEqual([expect.objectContaining({ status: 'ISSUED' })]);
    expect(await paymentsOf(refund)).toEqual([
      expect.objectContaining({
        kind: 'REIMBURSEMENT',
        status: 'CONFIRMED',
        confirmed_at: new Date('2026-12-04T11:00:00Z'),
        reference: 'BQ-R',
      }),
    ]);
    // The CFA whose transfer was rejected has its IBAN flagged; the other one does not.
    const flags = await db
      .selectFrom('cfas')
      .select(['id', 'iban_flag', 'iban_flagged_at'])
      .where('id', 'in', [a.id, b.id])
      .execute();
    expect(flags.find((c) => c.id === a.id)).toMatchObject({ iban_flag: null, iban_flagged_at: null });
    expect(flags.find((c) => c.id === b.id)).toEqual({
      id: b.id,
      iban_flag: expect.stringContaining(`${tB2.end_to_end_id}`),
      iban_flagged_at: first.now,
    });
    expect(flags.find((c) => c.id === b.id)?.iban_flag).toContain('AC04 — Compte clôturé');

    // What the workflows are told, and the admins.
    const key = first.sha256.slice(0, 16);
    const expectedNotices = [
      {
        kind: 'CONFIRM',
        number: iA,
        requestId: `bank-${key}-1-${iA}`,
        paidAt: '2026-12-03T11:00:00.000Z',
        reference: 'BQ-A',
      },
      {
        kind: 'CONFIRM',
        number: dA,
        requestId: `bank-${key}-1-${dA}`,
        paidAt: '2026-12-03T11:00:00.000Z',
        reference: 'BQ-A',
      },
      {
        kind: 'REJECT',
        number: iB2,
        requestId: `bank-${key}-2-${iB2}`,
        endToEndId: tB2.end_to_end_id,
        reason: 'AC04 — Compte clôturé',
      },
      {
        kind: 'REJECT',
        number: dB,
        requestId: `bank-${key}-2-${dB}`,
        endToEndId: tB2.end_to_end_id,
        reason: 'AC04 — Compte clôturé',
      },
      {
        kind: 'CONFIRM',
        number: refund,
        requestId: `bank-${key}-3-${refund}`,
        paidAt: '2026-12-04T11:00:00.000Z',
        reference: 'BQ-R',
      },
    ];
    expect(outcome.notices).toEqual(expectedNotices);
    expect(outcome.rejections).toEqual([
      {
        cfaId: b.id,
        cfaName: 'CFA de test',
        endToEndId: tB2.end_to_end_id,
        reason: 'AC04 — Compte clôturé',
        numbers: [iB2, dB],
      },
    ]);
    expect(outcome).toMatchObject({
      sha256: first.sha256,
      fileName: 'releve.xml',
      kind: 'camt.054',
      messageId: 'CAMT-20261204-1',
      receivedAt: '2026-12-04T09:00:00.000Z',
      alreadyReceived: false,
      appliedCount: 3,
      reportedCount: 2,
    });
    expect(
      outcome.lines.map((l) => [l.line, l.action, l.reason, l.endToEndId, l.proFormaNumber, l.amountCents]),
    ).toEqual([
      [1, 'BOOK', null, tA.end_to_end_id, iA, 80_000],
      [2, 'REJECT', null, tB2.end_to_end_id, iB2, 25_000],
      [3, 'RECEIVE', null, null, refund, 41_350],
      [4, null, 'UNKNOWN_TRANSFER', 'RUN-20991231-01-0001', null, 100],
      [5, null, 'DUPLICATE_IN_FILE', tA.end_to_end_id, iA, 80_000],
    ]);
    expect(outcome.lines[1]?.detail).toContain('AC04 — Compte clôturé');
    expect(outcome.lines[2]?.detail).toContain(refund);
    const recorded = await db
      .selectFrom('bank_file_lines')
      .select(['line', 'action', 'reason'])
      .where('file_id', '=', outcome.id)
      .orderBy('line')
      .execute();
    expect(recorded).toEqual(outcome.lines.map((l) => ({ line: l.line, action: l.action, reason: l.reason })));

    // The same file again (same SHA-256): nothing changes, the workflows can be told the same again.
    const applied = await snapshot();
    expect(applied).not.toEqual(before);
    const retried = await applyBankFile(db, { ...first, now: new Date('2026-12-05T09:00:00Z') });
    expect(retried).toEqual({ ...outcome, alreadyReceived: true, rejections: [] });
    expect(await snapshot()).toEqual(applied);
    expect(await findBankFile(db, outcome.id)).toEqual(retried);

    // Another file with the same booking: already applied, nothing applied.
    const other = await applyBankFile(db, input([booked], { now: new Date('2026-12-05T10:00:00Z') }));
    expect(other).toMatchObject({ alreadyReceived: false, appliedCount: 0, reportedCount: 1, notices: [] });
    expect(other.lines.map((l) => [l.reason, l.proFormaNumber])).toEqual([['ALREADY_APPLIED', iA]]);

    // The bank returns the booked transfer: reported for a person to handle, the pro formas stay paid.
    const returned = await applyBankFile(
      db,
      input(
        [
          bankLine({
            endToEndId: tA.end_to_end_id,
            direction: 'CREDIT',
            status: 'REJECTED',
            amountCents: 80_000,
            reasonCode: 'MD07',
          }),
        ],
        { now: new Date('2026-12-06T10:00:00Z') },
      ),
    );
    expect(returned).toMatchObject({ appliedCount: 0, reportedCount: 1, notices: [], rejections: [] });
    expect(returned.lines[0]).toMatchObject({ reason: 'RETURNED_AFTER_BOOKING', endToEndId: tA.end_to_end_id });
    expect(returned.lines[0]?.detail).toContain('MD07 — Titulaire décédé');
    expect(await snapshot()).toEqual({ ...applied, files: expect.any(Array) });

    // The listing, newest first, without the lines.
    const page = await listBankFiles(db, { page: 1, pageSize: 2 });
    expect(page.total).toBe(3);
    expect(page.items.map((f) => f.id)).toEqual([returned.id, other.id]);
    expect(page.items[0]).toEqual({
      id: returned.id,
      sha256: returned.sha256,
      fileName: 'releve.xml',
      kind: 'camt.054',
      messageId: 'CAMT-20261204-1',
      receivedAt: '2026-12-06T10:00:00.000Z',
      appliedCount: 0,
      reportedCount: 1,
    });
    expect((await listBankFiles(db, { page: 2, pageSize: 2 })).items.map((f) => f.id)).toEqual([outcome.id]);
    expect(await findBankFile(db, crypto.randomUUID())).toBeUndefined();
    expect(await findBankFile(db, 'not-a-uuid')).toBeUndefined();

    // Once the IBAN is checked, the next run pays the rejected invoice again, less what the credit note gives back,
    // and pays nothing twice.
    await db.updateTable('cfas').set({ iban_flag: null, iban_flagged_at: null }).where('id', '=', b.id).execute();
    const next = await createPaymentRun(
      db,
      runRequest({ now: new Date('2026-12-07T09:00:00Z'), cutoff: new Date('2026-12-07T08:00:00Z') }),
      deps(),
    );
    expect(next.payments.map((p) => [p.number, p.kind, p.compensated])).toEqual([
      [iB2, 'INVOICE', false],
      [dB, 'DEDUCTION', false],
    ]);
    expect(next.totalCents).toBe(25_000);
    const [reissued, stillRejected] = await paymentsOf(iB2);
    expect(reissued?.status).toBe('ISSUED');
    expect(stillRejected?.status).toBe('REJECTED');
    expect(await paymentsOf(dB)).toEqual([expect.objectContaining({ status: 'NETTED', remaining_cents: 0 })]);
  });

  it('applies nothing at all when recording the file fails (one transaction)', async () => {
    const db = fixtures.db();
    const cfa = await insertCfa(db);
    const invoice = await ordered(cfa.id, 12_300, '2026-11-20T10:00:00Z');
    await createPaymentRun(
      db,
      runRequest({ now: new Date('2026-12-08T09:00:00Z'), cutoff: new Date('2026-12-08T08:00:00Z') }),
      deps(),
    );
    const transfer = await transferOf(invoice);
    const before = await snapshot();
    const rejection = input(
      [bankLine({ endToEndId: transfer.end_to_end_id, status: 'REJECTED', reasonCode: 'AC01' })],
      {
        // No such user: the file's record is refused after the transfer was rejected.
        uploadedBy: crypto.randomUUID(),
      },
    );
    await expect(applyBankFile(db, rejection)).rejects.toThrow(/bank_files_uploaded_by_fkey/);
    expect(await snapshot()).toEqual(before);
    expect((await transferOf(invoice)).status).toBe('ISSUED');
  });

  it('applies a file sent twice at the same time once', async () => {
    const db = fixtures.db();
    const cfa = await insertCfa(db);
    const invoice = await ordered(cfa.id, 9_900, '2026-11-20T10:00:00Z');
    await createPaymentRun(
      db,
      runRequest({ now: new Date('2026-12-09T09:00:00Z'), cutoff: new Date('2026-12-09T08:00:00Z') }),
      deps(),
    );
    const transfer = await transferOf(invoice);
    const file = input([bankLine({ endToEndId: transfer.end_to_end_id, amountCents: 9_900, bankReference: 'BQ-X' })]);
    const both: BankFileOutcome[] = await Promise.all([applyBankFile(db, file), applyBankFile(db, file)]);
    expect(both.map((o) => o.alreadyReceived).sort()).toEqual([false, true]);
    expect(both[0]?.notices).toEqual(both[1]?.notices);
    expect(both[0]?.notices.map((n) => [n.kind, n.number])).toEqual([['CONFIRM', invoice]]);
    expect((await transferOf(invoice)).status).toBe('BOOKED');
  });
});
