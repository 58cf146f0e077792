import crypto from 'node:crypto';
import { PAIN_001_SCHEMA } from '../../documents/sepa-credit-transfer';
import { validateAgainstSchema } from '../../infra/xml-schema';
import { ensurePaymentRunSchedule } from '../../worker/schedules';
import type { ProFormaView } from '../../workflows/pro-forma.messages';
import { binary, startApiStack, type ApiStack, type TestUser } from '../helpers/api';
import { recordHistory } from '../helpers/histories';
import { bookedDebit as debit, camt054, deleteSchedule } from '../helpers/payment-runs';
import {
  deposit,
  generate,
  handle,
  perfectReading,
  randomSha,
  seedCfa,
  waitFor,
  type Scenario,
} from '../helpers/stack';

jest.setTimeout(300_000);

/**
 * The payment runs on the real stack (PostgreSQL, Temporal dev server, workers, Express): a run started by its
 * Schedule over three CFAs — an invoice less a smaller credit note, an invoice covered by a larger one (the rest
 * carried), an invoice and a REMBOURSEMENT credit note — then the bank's camt.054 (booked, rejected, a reimbursement
 * received, an unknown line, a duplicate), the same file again, runs the same day that pay nothing twice, the rejected
 * CFA's IBAN checked and its invoice paid by the next run, an admin's manual confirmation.
 */
describe('payment runs, from the schedule to the bank’s answer', () => {
  const scheduleId = `payment-runs-test-${crypto.randomBytes(4).toString('hex')}`;
  let api: ApiStack;
  const readings = new Map<string, ReturnType<typeof perfectReading>>();

  /** What each CFA has validated: `a` an invoice and a smaller credit note, `b` a larger one, `c` a reimbursement. */
  const pf: Record<'iA' | 'dA' | 'iB' | 'dB' | 'iC' | 'rC', string> = {} as never;
  const cfas: Record<'a' | 'b' | 'c', Scenario> = {} as never;
  let userA: TestUser;
  let scheduledRun: { number: string; workflowId: string };

  const admin = () => {
    const { agent, auth } = api.http(api.users.admin);
    return {
      get: (path: string) => agent.get(path).set(auth),
      post: (path: string, body: object = {}) => agent.post(path).set(auth).send(body),
      patch: (path: string, body: object) => agent.patch(path).set(auth).send(body),
      upload: (xml: string, name = 'camt054.xml') =>
        agent.post('/api/admin/bank-files').set(auth).attach('file', Buffer.from(xml, 'utf8'), name),
    };
  };
  const view = (number: string) => handle(api.stack, number).query('getProForma') as Promise<ProFormaView>;
  const db = () => api.stack.database.db;

  /** Generates the CFA's pro formas and validates each (trusted CFA, perfect readings), credit notes first. */
  async function validated(amounts: number[], settlement: 'DEDUCTION' | 'REMBOURSEMENT') {
    const scenario = await seedCfa(api.stack, amounts, { trusted: true, settlement });
    const generated = await generate(api.stack, scenario);
    const ordered = [...generated].sort((x, y) => x.totalCents - y.totalCents);
    for (const p of ordered) {
      const sha = randomSha();
      readings.set(sha, perfectReading(p.number, Math.abs(p.totalCents), scenario));
      await deposit(api.stack, p.number, sha);
      await waitFor(api.stack, p.number, (v) => v.payment !== null);
    }
    const invoice = generated.find((p) => p.kind === 'INVOICE');
    const credit = generated.find((p) => p.kind === 'CREDIT_NOTE');
    if (!invoice || !credit) throw new Error('expected an invoice and a credit note');
    return { scenario, invoice: invoice.number, credit: credit.number };
  }

  async function transferOf(runNumber: string, cfaId: string) {
    return db()
      .selectFrom('payment_transfers as t')
      .innerJoin('payment_runs as r', 'r.id', 't.run_id')
      .select(['t.end_to_end_id', 't.amount_cents', 't.status'])
      .where('r.number', '=', runNumber)
      .where('t.cfa_id', '=', cfaId)
      .executeTakeFirstOrThrow();
  }

  async function remainingOf(number: string) {
    const row = await db()
      .selectFrom('payments as p')
      .innerJoin('pro_formas as f', 'f.id', 'p.pro_forma_id')
      .select(['p.remaining_cents'])
      .where('f.number', '=', number)
      .where('p.status', 'not in', ['WITHDRAWN', 'REJECTED'])
      .executeTakeFirstOrThrow();
    return row.remaining_cents;
  }

  async function mailsOf(number: string, template: string) {
    return db()
      .selectFrom('notifications as n')
      .innerJoin('pro_formas as f', 'f.id', 'n.pro_forma_id')
      .select(['n.recipient', 'n.status'])
      .where('f.number', '=', number)
      .where('n.template', '=', template)
      .execute();
  }

  beforeAll(async () => {
    api = await startApiStack({ paymentRunScheduleId: scheduleId, timings: { repaymentReminderAfterMs: 1_500 } });
    api.stack.extract.mockImplementation(async ({ sha256 }) => {
      const reading = readings.get(sha256);
      if (!reading) throw new Error(`no reading for ${sha256}`);
      return reading;
    });
    const a = await validated([-41_350, 300_000], 'DEDUCTION');
    const b = await validated([-80_000, 50_000], 'DEDUCTION');
    const c = await validated([-15_000, 120_000], 'REMBOURSEMENT');
    Object.assign(cfas, { a: a.scenario, b: b.scenario, c: c.scenario });
    Object.assign(pf, { iA: a.invoice, dA: a.credit, iB: b.invoice, dB: b.credit, iC: c.invoice, rC: c.credit });
    userA = await api.createUser('cfa', a.scenario.cfa.id);
  });

  afterAll(async () => {
    await deleteSchedule(api.stack.client, scheduleId);
    await api.teardown();
  });

  it('validates invoices and credit notes without netting them: the run will', async () => {
    expect((await view(pf.iA)).payment).toMatchObject({ kind: 'TRANSFER', amountCents: 300_000, netted: [] });
    expect((await view(pf.dA)).payment).toMatchObject({ kind: 'DEDUCTION', amountCents: -41_350 });
    expect((await view(pf.rC)).payment).toMatchObject({ kind: 'REIMBURSEMENT', amountCents: -15_000 });
    expect(await remainingOf(pf.dB)).toBe(-80_000);
  });

  it('reminds the CFA that owes a REMBOURSEMENT credit note, until it is received', async () => {
    const deadline = Date.now() + 30_000;
    while ((await mailsOf(pf.rC, 'REPAYMENT_REMINDER')).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await mailsOf(pf.rC, 'REPAYMENT_REMINDER')).length).toBeGreaterThan(0);
    // An invoice's payment or a DEDUCTION credit note's reminds no one.
    expect(await mailsOf(pf.iA, 'REPAYMENT_REMINDER')).toEqual([]);
    expect(await mailsOf(pf.dA, 'REPAYMENT_REMINDER')).toEqual([]);
  });

  it('runs on its schedule: one transfer per CFA, credit notes netted oldest first, the rest carried', async () => {
    await ensurePaymentRunSchedule(api.stack.client, {
      taskQueue: api.stack.deps.config.temporal.taskQueue,
      cron: '0 10 * * 1-5',
      scheduleId,
      spec: { intervals: [{ every: '2s' }] },
    });
    const deadline = Date.now() + 60_000;
    let first: { number: string; request_key: string | null } | undefined;
    while (!first && Date.now() < deadline) {
      first = await db()
        .selectFrom('payment_runs')
        .select(['number', 'request_key'])
        .where('trigger', '=', 'SCHEDULE')
        .orderBy('created_at')
        .executeTakeFirst();
      if (!first) await new Promise((r) => setTimeout(r, 200));
    }
    if (!first?.request_key) throw new Error('no scheduled run');
    // Paused through the API: the later ticks find the schedule paused.
    const paused = await admin().post('/api/admin/payment-runs/schedule/pause', { reason: 'fin du test' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ scheduleId, paused: true, note: expect.stringContaining('fin du test') });
    scheduledRun = { number: first.number, workflowId: first.request_key };
    expect(scheduledRun.workflowId.startsWith(`${scheduleId}-run`)).toBe(true);
    await api.stack.client.workflow.getHandle(scheduledRun.workflowId).result();

    const detail = await admin().get(`/api/admin/payment-runs/${scheduledRun.number}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ trigger: 'SCHEDULE', grouping: 'PER_CFA', transferCount: 2 });
    expect(detail.body.totalCents).toBe(258_650 + 120_000);
    const byCfa = (id: string) => detail.body.transfers.find((t: { cfa: { id: string } }) => t.cfa.id === id);
    expect(byCfa(cfas.a.cfa.id)).toMatchObject({
      amountCents: 258_650,
      status: 'ISSUED',
      invoices: [{ number: pf.iA, amountCents: 300_000 }],
      deductions: [{ number: pf.dA, amountCents: -41_350, settled: true }],
      remittance: `Factures ${pf.iA} moins avoirs ${pf.dA}`,
    });
    // CFA b's invoice is covered by its larger credit note: nothing transferred, 300 € left to deduct next time.
    expect(byCfa(cfas.b.cfa.id)).toMatchObject({
      amountCents: 0,
      status: 'COMPENSATED',
      invoices: [{ number: pf.iB, amountCents: 50_000 }],
      deductions: [{ number: pf.dB, amountCents: -50_000, settled: false }],
    });
    expect(byCfa(cfas.c.cfa.id)).toMatchObject({ amountCents: 120_000, status: 'ISSUED', deductions: [] });
    expect(await remainingOf(pf.dB)).toBe(-30_000);

    const file = await admin().get(`/api/admin/payment-runs/${scheduledRun.number}/file`).buffer(true).parse(binary);
    const xml = (file.body as Buffer).toString('utf8');
    expect(await validateAgainstSchema(xml, PAIN_001_SCHEMA)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain('<CtrlSum>3786.50</CtrlSum>');
    expect(xml).toContain('<NbOfTxs>2</NbOfTxs>');
  });

  it('tells each pro forma: « Paiement émis », paid at once when compensated, the credit note left to deduct waits', async () => {
    const issued = await waitFor(api.stack, pf.iA, (v) => v.stage === 'PAYMENT_ISSUED');
    expect(issued).toMatchObject({ status: 'VALIDATED', statusLabel: 'Paiement émis' });
    expect(issued.payment?.issued).toMatchObject({ runNumber: scheduledRun.number });
    expect(await waitFor(api.stack, pf.dA, (v) => v.stage === 'PAYMENT_ISSUED')).toMatchObject({
      statusLabel: 'Déduit d’un virement émis',
    });
    expect(await waitFor(api.stack, pf.iB, (v) => v.status === 'PAID')).toMatchObject({ status: 'PAID' });
    expect(await view(pf.dB)).toMatchObject({ status: 'VALIDATED', stage: 'AWAITING_PAYMENT' });
    await waitFor(api.stack, pf.iC, (v) => v.stage === 'PAYMENT_ISSUED');

    // The CFA sees it: the label in its list, and its dashboard counts what is paid or paid by a transfer sent.
    const { agent, auth } = api.http(userA);
    const detail = await agent.get(`/api/pro-formas/${pf.iA}`).set(auth);
    expect(detail.body).toMatchObject({ status: 'VALIDATED', stage: 'PAYMENT_ISSUED', statusLabel: 'Paiement émis' });
    const dashboard = await agent.get('/api/dashboard').set(auth);
    const taken = dashboard.body.counters.find((c: { category: string }) => c.category === 'PRISES_EN_CHARGE');
    expect(taken.count).toBe(2);
    // Once in a file, it can be neither cancelled nor returned to validation: the detail says so, the API refuses.
    expect([...detail.body.allowedActions].sort()).toEqual(['CONFIRM_PAYMENT', 'EXPORT_CONTRACTS', 'REJECT_PAYMENT']);
    const back = await admin().post(`/api/pro-formas/${pf.iA}/return-to-validation`, { reason: 'vérification' });
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('ACTION_NOT_ALLOWED');
  });

  it('a second run the same day pays nothing twice', async () => {
    const again = await admin().post('/api/admin/payment-runs');
    expect(again.status).toBe(201);
    expect(again.body.run).toMatchObject({ trigger: 'MANUAL', transferCount: 0, fileSha256: null, transfers: [] });
    expect(again.body.run.number.slice(0, 12)).toBe(scheduledRun.number.slice(0, 12));
    expect(again.body.told).toBe(0);
  });

  const returned = (e2e: string, euros: string) => `
    <Ntry><Amt Ccy="EUR">${euros}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>2026-12-04</Dt></BookgDt>
      <NtryDtls><TxDtls><Refs><EndToEndId>${e2e}</EndToEndId></Refs><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>`;
  const credit = (euros: string, text: string) => `
    <Ntry><Amt Ccy="EUR">${euros}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>2026-12-04</Dt></BookgDt><AcctSvcrRef>BQ-REMB</AcctSvcrRef>
      <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><RmtInf><Ustrd>${text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`;

  let camt: string;

  it('applies the bank’s camt.054 once: booked → paid, rejected → awaiting payment again, a reimbursement received', async () => {
    const tA = await transferOf(scheduledRun.number, cfas.a.cfa.id);
    const tC = await transferOf(scheduledRun.number, cfas.c.cfa.id);
    camt = camt054(
      debit(tA.end_to_end_id, '2586.50', 'BQ-A-1') +
        returned(tC.end_to_end_id, '1200.00') +
        credit('150.00', `Remboursement avoir ${pf.rC}`) +
        debit('RUN-19990101-01-0001', '10.00', 'BQ-X') +
        debit(tA.end_to_end_id, '2586.50', 'BQ-A-1'),
    );
    const res = await admin().upload(camt);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'camt.054', alreadyReceived: false, appliedCount: 3, reportedCount: 2 });
    expect(res.body.lines.map((l: { action: string | null; reason: string | null }) => l.action ?? l.reason)).toEqual([
      'BOOK',
      'REJECT',
      'RECEIVE',
      'UNKNOWN_TRANSFER',
      'DUPLICATE_IN_FILE',
    ]);

    const paid = await waitFor(api.stack, pf.iA, (v) => v.status === 'PAID');
    expect(paid.payment).toMatchObject({ reference: 'BQ-A-1' });
    expect(await waitFor(api.stack, pf.dA, (v) => v.status === 'PAID')).toMatchObject({ status: 'PAID' });
    expect(await waitFor(api.stack, pf.rC, (v) => v.status === 'PAID')).toMatchObject({ status: 'PAID' });
    const rejected = await waitFor(api.stack, pf.iC, (v) => v.stage === 'AWAITING_PAYMENT');
    expect(rejected.payment?.rejected).toMatchObject({ endToEndId: tC.end_to_end_id, reason: 'AC04 — Compte clôturé' });
    expect(await transferOf(scheduledRun.number, cfas.a.cfa.id)).toMatchObject({ status: 'BOOKED' });
    expect(await transferOf(scheduledRun.number, cfas.c.cfa.id)).toMatchObject({ status: 'REJECTED' });

    // The CFA is told why, the admins who run the payments are alerted, the CFA's IBAN is flagged.
    const deadline = Date.now() + 20_000;
    while ((await mailsOf(pf.iC, 'PAYMENT_REJECTED')).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await mailsOf(pf.iC, 'PAYMENT_REJECTED')).toHaveLength(1);
    const alerts = await db()
      .selectFrom('notifications')
      .select(['recipient'])
      .where('template', '=', 'TRANSFERS_REJECTED')
      .execute();
    expect(alerts.map((a) => a.recipient)).toContain(
      (await db().selectFrom('users').select('email').where('id', '=', api.users.admin.id).executeTakeFirstOrThrow())
        .email,
    );
    const cfaC = await admin().get('/api/admin/cfas');
    const flagged = cfaC.body.items.find((c: { id: string }) => c.id === cfas.c.cfa.id);
    expect(flagged.ibanFlag.reason).toContain('AC04 — Compte clôturé');
  });

  it('the same file again applies nothing more; a file that does not parse is refused whole', async () => {
    const again = await admin().upload(camt);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyReceived: true, appliedCount: 3, reportedCount: 2 });
    expect(await view(pf.iC)).toMatchObject({ status: 'VALIDATED', stage: 'AWAITING_PAYMENT' });

    const files = await db().selectFrom('bank_files').select('id').execute();
    const broken = await admin().upload('<Document><BkToCstmrDbtCdtNtfctn>', 'broken.xml');
    expect(broken.status).toBe(422);
    expect(broken.body.error.code).toBe('BANK_FILE_INVALID');
    expect(await db().selectFrom('bank_files').select('id').execute()).toHaveLength(files.length);
    const list = await admin().get('/api/admin/bank-files');
    expect(list.body.items).toHaveLength(1);
  });

  it('leaves the flagged CFA out until an admin checks its IBAN, then pays the rejected invoice again', async () => {
    const left = await admin().post('/api/admin/payment-runs');
    expect(left.status).toBe(201);
    expect(left.body.run.transfers).toEqual([]);
    expect(left.body.run.excluded).toEqual([expect.objectContaining({ reason: 'IBAN_FLAGGED', numbers: [pf.iC] })]);

    const checked = await admin().patch(`/api/admin/cfas/${cfas.c.cfa.id}`, { ibanChecked: true });
    expect(checked.status).toBe(200);
    expect(checked.body.ibanFlag).toBeNull();
    const paid = await admin().post('/api/admin/payment-runs');
    expect(paid.status).toBe(201);
    expect(paid.body.run.transfers).toEqual([
      expect.objectContaining({
        amountCents: 120_000,
        status: 'ISSUED',
        invoices: [{ number: pf.iC, amountCents: 120_000 }],
      }),
    ]);
    expect(paid.body.told).toBe(1);
    await waitFor(api.stack, pf.iC, (v) => v.stage === 'PAYMENT_ISSUED');
  });

  it('lets an admin confirm a payment by hand, audited', async () => {
    const res = await admin().post(`/api/pro-formas/${pf.iC}/payment-confirmation`, { reference: 'VIR-MANUEL-1' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('PAID');
    const last = res.body.history.at(-1);
    expect(last).toMatchObject({ action: 'CONFIRM_PAYMENT', actor: api.users.admin.id, to: 'PAID' });
    const actions = res.body.history.map((h: { action: string }) => h.action);
    expect(actions).toEqual(expect.arrayContaining(['ISSUE_PAYMENT', 'REJECT_PAYMENT']));

    await recordHistory(handle(api.stack, pf.iA), 'payment-issued-then-booked');
    await recordHistory(handle(api.stack, pf.iB), 'payment-compensated-by-credit-note');
    await recordHistory(handle(api.stack, pf.iC), 'payment-rejected-reissued-confirmed');
    await recordHistory(handle(api.stack, pf.rC), 'repayment-reminded-then-received');
    await recordHistory(api.stack.client.workflow.getHandle(scheduledRun.workflowId), 'payment-run');
    const file = (await db().selectFrom('bank_files').select('sha256').executeTakeFirstOrThrow()).sha256;
    await recordHistory(api.stack.client.workflow.getHandle(`bank-file-${file}`), 'bank-file');
  });
});
