import { createPaymentRun } from '../../db/payment-runs';
import {
  buildCreditTransferXml,
  PAIN_001_SCHEMA,
  RunFileInvalidError,
  storeValidatedXml,
} from '../../documents/sepa-credit-transfer';
import { validateAgainstSchema } from '../../infra/xml-schema';
import { insertCfa } from '../helpers/fixtures';
import { paymentRunFixtures, runRequestWith } from '../helpers/payment-runs';

/** A Swiss IBAN: SEPA, outside the EEA, so its BIC is required. */
const CH_IBAN = 'CH9300762011623852957';

const fixtures = paymentRunFixtures('runs');
const { deps, ordered } = fixtures;
const request = runRequestWith();

async function paymentOf(number: string) {
  return fixtures
    .db()
    .selectFrom('payments as p')
    .innerJoin('pro_formas as pf', 'pf.id', 'p.pro_forma_id')
    .select(['p.status', 'p.remaining_cents'])
    .where('pf.number', '=', number)
    .executeTakeFirstOrThrow();
}

describe('a payment run', () => {
  it('nets, checks, writes a schema-valid file, records it, and never pays a pro forma twice', async () => {
    const db = fixtures.db();
    const a = await insertCfa(db);
    const c = await insertCfa(db);
    const swiss = await insertCfa(db, { iban: CH_IBAN });
    const i1 = await ordered(a.id, 100_000, '2026-11-20T10:00:00Z');
    const d1 = await ordered(a.id, -20_000, '2026-11-21T10:00:00Z');
    const i2 = await ordered(a.id, 50_000, '2026-11-22T10:00:00Z');
    const d2 = await ordered(a.id, -30_000, '2026-11-23T10:00:00Z');
    const late = await ordered(a.id, 7_000, '2026-12-02T08:30:00Z');
    const reimbursement = await ordered(a.id, -41_350, '2026-11-20T10:00:00Z', 'REMBOURSEMENT');
    const small = await ordered(c.id, 10_000, '2026-11-20T10:00:00Z');
    const large = await ordered(c.id, -25_000, '2026-11-19T10:00:00Z');
    const unpayable = await ordered(swiss.id, 9_900, '2026-11-20T10:00:00Z');

    const run = await createPaymentRun(db, request(), deps());

    expect(run.number).toBe('RUN-20261202-01');
    expect(run.transferCount).toBe(1);
    expect(run.totalCents).toBe(100_000);
    expect(run.excluded).toEqual([
      {
        cfaId: swiss.id,
        reason: 'ACCOUNT',
        detail: 'BIC obligatoire pour un IBAN CH (hors Espace économique européen)',
        numbers: [unpayable],
      },
    ]);
    expect(run.carried).toEqual([{ number: large, remainingCents: -15_000 }]);
    expect(run.payments.map((p) => [p.number, p.kind, p.compensated]).sort()).toEqual(
      [
        [i1, 'INVOICE', false],
        [i2, 'INVOICE', false],
        [d1, 'DEDUCTION', false],
        [d2, 'DEDUCTION', false],
        // CFA c's invoice is covered whole by its credit note: settled by compensation, no line in the file.
        [small, 'INVOICE', true],
      ].sort(),
    );

    // The stored file is the one recorded, valid against the EPC schema, and pays CFA a the net amount.
    const xml = (await fixtures.store.get(run.fileSha256 as string)).toString('utf8');
    expect(await validateAgainstSchema(xml, PAIN_001_SCHEMA)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain('<MsgId>RUN-20261202-01</MsgId>');
    expect(xml).toContain('<InstdAmt Ccy="EUR">1000.00</InstdAmt>');
    expect(xml).toContain(`<Ustrd>Factures ${i1} ${i2} moins avoirs ${d1} ${d2}</Ustrd>`);
    expect(xml).not.toContain(unpayable);

    const transfers = await db
      .selectFrom('payment_transfers')
      .select(['cfa_id', 'amount_cents', 'status', 'end_to_end_id'])
      .where('run_id', '=', run.id)
      .orderBy('amount_cents', 'desc')
      .execute();
    // One transfer per CFA, numbered in the run (the order of CFAs is the planner's, by id).
    expect(transfers).toEqual([
      {
        cfa_id: a.id,
        amount_cents: 100_000,
        status: 'ISSUED',
        end_to_end_id: expect.stringMatching(/^RUN-20261202-01-000[12]$/),
      },
      {
        cfa_id: c.id,
        amount_cents: 0,
        status: 'COMPENSATED',
        end_to_end_id: expect.stringMatching(/^RUN-20261202-01-000[12]$/),
      },
    ]);
    expect(new Set(transfers.map((t) => t.end_to_end_id)).size).toBe(2);
    expect(await paymentOf(i1)).toEqual({ status: 'ISSUED', remaining_cents: null });
    expect(await paymentOf(d2)).toEqual({ status: 'NETTED', remaining_cents: 0 });
    expect(await paymentOf(large)).toEqual({ status: 'ORDERED', remaining_cents: -15_000 });
    expect(await paymentOf(late)).toEqual({ status: 'ORDERED', remaining_cents: null });
    expect(await paymentOf(reimbursement)).toEqual({ status: 'ORDERED', remaining_cents: null });

    // The same day again: nothing issued twice; the late invoice, now before the cut-off, is paid whole (CFA a has no
    // credit note left).
    const again = await createPaymentRun(db, request({ cutoff: new Date('2026-12-02T09:00:00Z') }), deps());
    expect(again.number).toBe('RUN-20261202-02');
    expect(again.payments.map((p) => p.number)).toEqual([late]);
    expect(again.totalCents).toBe(7_000);
    const third = await createPaymentRun(db, request({ cutoff: new Date('2026-12-02T09:00:00Z') }), deps());
    expect(third).toMatchObject({ number: 'RUN-20261202-03', transferCount: 0, fileSha256: null, payments: [] });
  });

  it('pays an IBAN outside the EEA once its CFA has a BIC', async () => {
    const db = fixtures.db();
    const swiss = await insertCfa(db, { iban: CH_IBAN });
    await db.updateTable('cfas').set({ bic: 'UBSWCHZH80A' }).where('id', '=', swiss.id).execute();
    const invoice = await ordered(swiss.id, 9_900, '2026-11-20T10:00:00Z');
    const run = await createPaymentRun(
      db,
      request({ now: new Date('2026-12-04T09:00:00Z'), cutoff: new Date('2026-12-04T08:00:00Z') }),
      deps(),
    );
    expect(run.payments.map((p) => p.number)).toContain(invoice);
    expect(run.excluded.flatMap((e) => e.numbers)).not.toContain(invoice);
    const xml = (await fixtures.store.get(run.fileSha256 as string)).toString('utf8');
    expect(xml).toContain('<BICFI>UBSWCHZH80A</BICFI>');
    expect(xml).toContain(`<IBAN>${CH_IBAN}</IBAN>`);
  });

  it('finds its run again for the same request: a retried activity makes no second run', async () => {
    const db = fixtures.db();
    const cfa = await insertCfa(db);
    const invoice = await ordered(cfa.id, 4_200, '2026-11-20T10:00:00Z');
    const at = { now: new Date('2026-12-06T09:00:00Z'), cutoff: new Date('2026-12-06T08:00:00Z') };
    const first = await createPaymentRun(db, request({ ...at, requestKey: 'payment-run-test-1' }), deps());
    expect(first.payments).toEqual([
      { number: invoice, kind: 'INVOICE', endToEndId: `${first.number}-0001`, compensated: false },
    ]);
    const again = await createPaymentRun(db, request({ ...at, requestKey: 'payment-run-test-1' }), deps());
    expect(again).toEqual({ ...first, carried: [] });
    const runs = await db
      .selectFrom('payment_runs')
      .select('id')
      .where('request_key', '=', 'payment-run-test-1')
      .execute();
    expect(runs).toHaveLength(1);
  });

  it('leaves out a CFA whose IBAN the bank rejected until it is checked', async () => {
    const db = fixtures.db();
    const cfa = await insertCfa(db);
    const invoice = await ordered(cfa.id, 5_100, '2026-11-20T10:00:00Z');
    await db
      .updateTable('cfas')
      .set({ iban_flag: 'virement RUN-X-0001 rejeté : AC04 — Compte clôturé', iban_flagged_at: new Date() })
      .where('id', '=', cfa.id)
      .execute();
    const at = { now: new Date('2026-12-07T09:00:00Z'), cutoff: new Date('2026-12-07T08:00:00Z') };
    const run = await createPaymentRun(db, request(at), deps());
    expect(run.payments.map((p) => p.number)).not.toContain(invoice);
    expect(run.excluded).toContainEqual({
      cfaId: cfa.id,
      reason: 'IBAN_FLAGGED',
      detail: 'IBAN à vérifier : virement RUN-X-0001 rejeté : AC04 — Compte clôturé',
      numbers: [invoice],
    });
    expect(await paymentOf(invoice)).toEqual({ status: 'ORDERED', remaining_cents: null });
  });

  it('records nothing when the file fails the schema (a negative amount forced into it)', async () => {
    const db = fixtures.db();
    const cfa = await insertCfa(db);
    const invoice = await ordered(cfa.id, 12_300, '2026-11-20T10:00:00Z');
    const before = await db.selectFrom('payment_runs').select('id').execute();
    await expect(
      createPaymentRun(
        db,
        request({ now: new Date('2026-12-05T09:00:00Z'), cutoff: new Date('2026-12-05T08:00:00Z') }),
        {
          writeFile: (content) =>
            storeValidatedXml(
              buildCreditTransferXml(content).replace('<InstdAmt Ccy="EUR">', '<InstdAmt Ccy="EUR">-'),
              fixtures.store,
            ),
        },
      ),
    ).rejects.toBeInstanceOf(RunFileInvalidError);
    expect(await db.selectFrom('payment_runs').select('id').execute()).toEqual(before);
    expect(await paymentOf(invoice)).toEqual({ status: 'ORDERED', remaining_cents: null });
  });
});
