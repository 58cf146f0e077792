import crypto from 'node:crypto';
import request from 'supertest';
import type { ExtractionResult } from '../../extraction/types';
import { TEST_IBAN } from '../helpers/fixtures';
import {
  decisionsOf,
  seedInstallments,
  startApiStack,
  storedFiles,
  waitForProForma,
  type ApiStack,
} from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';
import { perfectReading } from '../helpers/stack';
import { proFormaWorkflowId } from '../../workflows/pro-forma.messages';
import { reconcileWorkflowStarts } from '../../api/generation';

jest.setTimeout(90_000);

/**
 * State changes through the API: the workflow's answer is the API's answer (200, or 409 naming the status), the same
 * decision is applied once, and a Temporal that does not answer gives a 503 within the deadline.
 */
describe('decisions and other state changes through the API', () => {
  let api: ApiStack;
  /** What the (stubbed) reading returns, per deposited file. */
  const readings = new Map<string, ExtractionResult>();
  beforeAll(async () => {
    api = await startApiStack();
    api.stack.extract.mockImplementation(async (input) => {
      const reading = readings.get(input.sha256);
      if (!reading) throw new Error(`no reading programmed for ${input.sha256}`);
      return reading;
    });
  });
  afterAll(() => api.teardown());

  const cfa = () => api.http(api.users.cfa);
  const validator = () => api.http(api.users.validator);
  const admin = () => api.http(api.users.admin);

  async function generated(amount = 100_000 + crypto.randomInt(1, 99_999)): Promise<{ number: string; total: number }> {
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [amount]);
    const { agent, auth } = cfa();
    const res = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    expect(res.status).toBe(201);
    return { number: res.body.proFormas[0].number, total: amount };
  }

  async function deposit(number: string, total: number, reading?: (r: ExtractionResult) => ExtractionResult) {
    const invoiceNumber = `FA-${crypto.randomBytes(4).toString('hex')}`;
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber,
      totalCents: total,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    const perfect = perfectReading(number, total, { cfa: api.cfa, installments: [] }, { invoiceNumber });
    readings.set(sha, reading ? reading(perfect) : perfect);
    const { agent, auth } = cfa();
    const res = await agent.post(`/api/pro-formas/${number}/invoice`).set(auth).attach('file', pdf, 'facture.pdf');
    expect(res.status).toBe(202);
    return res;
  }

  async function atDecision() {
    const p = await generated();
    await deposit(p.number, p.total);
    await waitForProForma(api, api.users.cfa, p.number, (v) => v.stage === 'AWAITING_DECISION');
    return p;
  }

  const decisionRows = (number: string) => decisionsOf(api, number);

  const decide = (number: string, body: object, key?: string) => {
    const { agent, auth } = validator();
    const req = agent.post(`/api/pro-formas/${number}/decision`).set(auth);
    return (key ? req.set('Idempotency-Key', key) : req).send(body);
  };

  it('applies the same decision sent twice at once (a double click) once, answering both with the pro forma', async () => {
    const { number } = await atDecision();
    const [first, second] = await Promise.all([
      decide(number, { decision: 'APPROVE' }),
      decide(number, { decision: 'APPROVE' }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.body.status, second.body.status]).toEqual(['VALIDATED', 'VALIDATED']);
    expect(await decisionRows(number)).toEqual([
      { decision: 'APPROVE', reason_code: null, decided_by: api.users.validator.id },
    ]);
  });

  it('applies it once too when the second click arrives after the first was answered', async () => {
    const { number } = await atDecision();
    const body = { decision: 'REFUSE', reasonCode: 'OTHER', comment: 'Tampon illisible.' };
    const first = await decide(number, body);
    const second = await decide(number, body);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toMatchObject({
      status: 'REFUSED',
      refusal: { reasonCode: 'OTHER', comment: 'Tampon illisible.' },
    });
    expect(await decisionRows(number)).toHaveLength(1);
    const history = (second.body.history as { action: string }[]).filter((h) => h.action === 'REFUSE');
    expect(history).toHaveLength(1);
  });

  it('applies a request once per Idempotency-Key, and refuses a different decision afterwards, naming the status', async () => {
    const { number } = await atDecision();
    const key = crypto.randomUUID();
    expect((await decide(number, { decision: 'APPROVE' }, key)).status).toBe(200);
    expect((await decide(number, { decision: 'APPROVE' }, key)).status).toBe(200);
    const other = await decide(number, { decision: 'REFUSE', reasonCode: 'OTHER' });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({
      error: {
        code: 'NO_DECISION_AWAITED',
        message:
          "Aucune décision n'est attendue : la facture pro forma est au statut « Validé » (étape AWAITING_PAYMENT).",
        details: { status: 'VALIDATED', stage: 'AWAITING_PAYMENT' },
      },
    });
    expect(await decisionRows(number)).toHaveLength(1);
  });

  it('refuses a decision while the invoice is still being read, naming the status and the stage', async () => {
    const p = await generated();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const pdf = invoicePdf({
      proFormaNumber: p.number,
      invoiceNumber: 'FA-HOLD',
      totalCents: p.total,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    const reading = perfectReading(p.number, p.total, { cfa: api.cfa, installments: [] });
    api.stack.extract.mockImplementationOnce(async (input) => {
      expect(input.sha256).toBe(sha);
      await held;
      return reading;
    });
    const { agent, auth } = cfa();
    expect(
      (await agent.post(`/api/pro-formas/${p.number}/invoice`).set(auth).attach('file', pdf, 'f.pdf')).status,
    ).toBe(202);
    const early = await decide(p.number, { decision: 'APPROVE' });
    release();
    expect(early.status).toBe(409);
    expect(early.body.error).toEqual({
      code: 'NO_DECISION_AWAITED',
      message:
        "Aucune décision n'est attendue : la facture pro forma est au statut « En cours de validation » (étape READING).",
      details: { status: 'UNDER_VALIDATION', stage: 'READING' },
    });
    await waitForProForma(api, api.users.cfa, p.number, (v) => v.stage === 'AWAITING_DECISION');
  });

  it('answers 422 to a refusal without a known reason, and changes nothing', async () => {
    const { number } = await atDecision();
    const missing = await decide(number, { decision: 'REFUSE' });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({
      error: {
        code: 'UNKNOWN_REFUSAL_REASON',
        message: 'Un refus doit indiquer un motif du catalogue (reasonCode).',
        details: { reasonCode: null },
      },
    });
    const unknown = await decide(number, { decision: 'REFUSE', reasonCode: 'NOPE' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({
      code: 'UNKNOWN_REFUSAL_REASON',
      message: 'Motif de refus inconnu : NOPE.',
    });
    const approveWithReason = await decide(number, { decision: 'APPROVE', reasonCode: 'OTHER' });
    expect(approveWithReason.status).toBe(422);
    expect(await decisionRows(number)).toEqual([]);
    const { agent, auth } = cfa();
    expect((await agent.get(`/api/pro-formas/${number}`).set(auth)).body).toMatchObject({
      status: 'UNDER_VALIDATION',
      stage: 'AWAITING_DECISION',
    });
  });

  it('answers 409 naming the status to any action on a paid pro forma, whose workflow has closed', async () => {
    const { number, total } = await atDecision();
    expect((await decide(number, { decision: 'APPROVE' })).status).toBe(200);
    await waitForProForma(api, api.users.cfa, number, (v) => (v as { payment?: unknown }).payment !== null);
    const { agent, auth } = admin();
    const paid = await agent.post(`/api/pro-formas/${number}/payment-confirmation`).set(auth).send({});
    expect(paid.status).toBe(200);
    await api.stack.client.workflow.getHandle(proFormaWorkflowId(number)).result();

    const again = await agent.post(`/api/pro-formas/${number}/payment-confirmation`).set(auth).send({});
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({
      code: 'ACTION_NOT_ALLOWED',
      message: 'Action non autorisée : la confirmation de paiement est impossible au statut « Payé » (PAID).',
      details: { status: 'PAID', action: 'CONFIRM_PAYMENT' },
    });
    const late = await decide(number, { decision: 'REFUSE', reasonCode: 'OTHER' });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe(
      "Aucune décision n'est attendue : la facture pro forma est au statut « Payé ».",
    );
    const c = cfa();
    const filesBefore = storedFiles(api);
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber: 'FA-LATE',
      totalCents: total,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    const deposit = await c.agent.post(`/api/pro-formas/${number}/invoice`).set(c.auth).attach('file', pdf, 'late.pdf');
    expect(deposit.status).toBe(409);
    expect(deposit.body.error.message).toBe(
      'Action non autorisée : le dépôt de facture est impossible au statut « Payé » (PAID).',
    );
    expect(storedFiles(api)).toEqual(filesBefore);
    const cancel = await c.agent.post(`/api/pro-formas/${number}/cancel`).set(c.auth);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toBe(
      "Action non autorisée : l'annulation est impossible au statut « Payé » (PAID).",
    );
  });

  it('answers 503 TEMPORAL_UNAVAILABLE within the deadline when no worker polls the workflow’s queue, not calling it refused', async () => {
    const stranded = api.appWith({
      TASK_QUEUE: `nobody-polls-${crypto.randomBytes(4).toString('hex')}`,
      TEMPORAL_CALL_TIMEOUT: '1s',
    });
    await seedInstallments(api, api.cfa.id, [55_500]);
    const auth = { Authorization: `Bearer ${api.users.cfa.token}` };
    const made = await request(stranded).post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE' });
    expect(made.status).toBe(201);
    const number = made.body.proFormas[0].number as string;
    try {
      const started = Date.now();
      const res = await request(stranded).post(`/api/pro-formas/${number}/cancel`).set(auth);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({
        error: {
          code: 'TEMPORAL_UNAVAILABLE',
          message:
            'Le moteur de traitement n’a pas répondu dans le délai : l’action a peut-être été prise en compte. ' +
            'Consultez la pro forma, ou renvoyez la même requête avec le même en-tête Idempotency-Key : elle ne sera ' +
            'appliquée qu’une fois.',
        },
      });
      const row = await api.stack.database.db
        .selectFrom('pro_formas')
        .select(['status', 'cancelled_at'])
        .where('number', '=', number)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'AWAITING_INVOICE', cancelled_at: null });
    } finally {
      await api.stack.client.workflow.getHandle(proFormaWorkflowId(number)).terminate('test over');
    }
  });

  it('answers 201 with the pro formas when Temporal misses the start’s deadline, the reconciliation starting them later', async () => {
    const hurried = api.appWith({ TEMPORAL_CALL_TIMEOUT: '1ms' });
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [66_600]);
    const made = await request(hurried)
      .post('/api/pro-formas')
      .set('Authorization', `Bearer ${api.users.cfa.token}`)
      .send({ nature: 'PEDAGOGIE', installmentIds });
    expect(made.status).toBe(201);
    const number = made.body.proFormas[0].number as string;
    const row = () =>
      api.stack.database.db
        .selectFrom('pro_formas')
        .select(['status', 'workflow_started_at'])
        .where('number', '=', number)
        .executeTakeFirstOrThrow();
    expect(await row()).toEqual({ status: 'AWAITING_INVOICE', workflow_started_at: null });
    expect(await reconcileWorkflowStarts(api.stack.deps, 0)).toContain(number);
    const { agent, auth } = cfa();
    const cancelled = await agent.post(`/api/pro-formas/${number}/cancel`).set(auth);
    expect(cancelled.status).toBe(200);
    expect((await row()).status).toBe('CANCELLED');
  });
});
