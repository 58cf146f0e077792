import crypto from 'node:crypto';
import request from 'supertest';
import type { ExtractionResult } from '../../extraction/types';
import { TEMPORAL_TIMEOUT_MESSAGE } from '../../api/errors';
import { proFormaWorkflowId } from '../../workflows/pro-forma.messages';
import {
  decisionsOf,
  generatedProForma,
  matchingInvoice,
  programReadings,
  startApiStack,
  storedFiles,
  waitForProForma,
  type ApiStack,
} from '../helpers/api';

jest.setTimeout(120_000);

const KEY_REUSED = {
  error: {
    code: 'IDEMPOTENCY_KEY_REUSED',
    message:
      'Cette clé Idempotency-Key a déjà servi pour une autre requête (autre contenu ou autre pro forma) : une nouvelle ' +
      'requête demande une nouvelle clé.',
  },
};

/**
 * An Idempotency-Key names one request: a retry with the same key gets the first outcome, another request with the
 * same key is refused rather than answered with an outcome that is not its own. And a deposit the workflow refuses
 * leaves no file behind.
 */
describe('idempotency keys and refused deposits', () => {
  let api: ApiStack;
  let readings: Map<string, ExtractionResult>;
  beforeAll(async () => {
    api = await startApiStack();
    readings = programReadings(api);
  });
  afterAll(() => api.teardown());

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const cfa = () => as(api.users.cfa.token);
  const validator = () => as(api.users.validator.token);

  function decide(number: string, body: object, key: string, app = api.app) {
    return request(app)
      .post(`/api/pro-formas/${number}/decision`)
      .set(validator())
      .set('Idempotency-Key', key)
      .send(body);
  }

  function deposit(number: string, pdf: Buffer, name = 'facture.pdf', key?: string) {
    const req = request(api.app).post(`/api/pro-formas/${number}/invoice`).set(cfa());
    return (key ? req.set('Idempotency-Key', key) : req).attach('file', pdf, name);
  }

  async function atDecision() {
    const proForma = await generatedProForma(api);
    expect((await deposit(proForma.number, matchingInvoice(api, readings, proForma).pdf)).status).toBe(202);
    await waitForProForma(api, api.users.cfa, proForma.number, (v) => v.stage === 'AWAITING_DECISION');
    return proForma;
  }

  async function decisions(number: string) {
    return (await decisionsOf(api, number)).map(({ decision, reason_code }) => ({ decision, reason_code }));
  }

  async function inFlight(sha256: string) {
    return api.stack.database.db.selectFrom('deposits_in_flight').select('id').where('sha256', '=', sha256).execute();
  }

  const fileOf = (sha256: string) => `${sha256.slice(0, 2)}/${sha256}`;

  it('refuses 422 a key reused with another decision, answering a retry of the first with its outcome', async () => {
    const { number } = await atDecision();
    const key = crypto.randomUUID();
    const refusal = { decision: 'REFUSE', reasonCode: 'OTHER', comment: 'Tampon illisible.' };
    const first = await decide(number, refusal, key);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('REFUSED');

    const other = await decide(number, { decision: 'APPROVE' }, key);
    expect(other.status).toBe(422);
    expect(other.body).toEqual({ error: { ...KEY_REUSED.error, details: { key } } });

    const retry = await decide(number, refusal, key);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'REFUSED', refusal: { reasonCode: 'OTHER' } });
    expect(await decisions(number)).toEqual([{ decision: 'REFUSE', reason_code: 'OTHER' }]);
  });

  it('refuses a key reused on another pro forma, also when another API instance answers', async () => {
    const first = await generatedProForma(api);
    const second = await generatedProForma(api);
    const key = crypto.randomUUID();
    const cancel = (number: string, app = api.app) =>
      request(app).post(`/api/pro-formas/${number}/cancel`).set(cfa()).set('Idempotency-Key', key);

    expect((await cancel(first.number)).status).toBe(200);
    const elsewhere = await cancel(second.number, api.appWith({}));
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body).toEqual({ error: { ...KEY_REUSED.error, details: { key } } });
    const retried = await cancel(first.number, api.appWith({}));
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('CANCELLED');

    const statuses = await api.stack.database.db
      .selectFrom('pro_formas')
      .select(['number', 'status'])
      .where('number', 'in', [first.number, second.number])
      .orderBy('number')
      .execute();
    expect(statuses).toEqual([
      { number: first.number, status: 'CANCELLED' },
      { number: second.number, status: 'AWAITING_INVOICE' },
    ]);
  });

  it('binds a key to one of two different decisions sent at once, and refuses the other', async () => {
    const { number } = await atDecision();
    const key = crypto.randomUUID();
    const answers = await Promise.all([
      decide(number, { decision: 'APPROVE' }, key),
      decide(number, { decision: 'REFUSE', reasonCode: 'OTHER' }, key),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 422]);
    const applied = answers.find((a) => a.status === 200)?.body.status;
    expect(await decisions(number)).toEqual([
      applied === 'VALIDATED'
        ? { decision: 'APPROVE', reason_code: null }
        : { decision: 'REFUSE', reason_code: 'OTHER' },
    ]);
  });

  it('refuses a key reused with another file before storing it, and applies a retry of the first deposit once', async () => {
    const proForma = await generatedProForma(api);
    const key = crypto.randomUUID();
    const invoice = matchingInvoice(api, readings, proForma);
    expect((await deposit(proForma.number, invoice.pdf, 'facture.pdf', key)).status).toBe(202);
    const before = storedFiles(api);

    const otherFile = matchingInvoice(api, readings, proForma);
    const other = await deposit(proForma.number, otherFile.pdf, 'facture.pdf', key);
    expect(other.status).toBe(422);
    expect(other.body).toEqual({ error: { ...KEY_REUSED.error, details: { key } } });
    const renamed = await deposit(proForma.number, invoice.pdf, 'facture-v2.pdf', key);
    expect(renamed.status).toBe(422);
    expect(storedFiles(api)).toEqual(before);

    const retry = await deposit(proForma.number, invoice.pdf, 'facture.pdf', key);
    expect(retry.status).toBe(202);
    expect(retry.body.documents).toHaveLength(1);
  });

  /**
   * The read model trails the workflow by an activity: a pro forma just approved can still read UNDER_VALIDATION in
   * PostgreSQL, so the route lets its deposit through and the workflow's validator refuses it. The test sets that
   * lag for good, by putting the row back.
   */
  async function approvedButReadUnderValidation() {
    const proForma = await atDecision();
    expect((await decide(proForma.number, { decision: 'APPROVE' }, crypto.randomUUID())).status).toBe(200);
    // The payment order is the last write of the approval: after it, nothing moves the row until the payment.
    await waitForProForma(api, api.users.cfa, proForma.number, (v) => (v as { payment?: unknown }).payment !== null);
    await api.stack.database.db
      .updateTable('pro_formas')
      .set({ status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION' })
      .where('number', '=', proForma.number)
      .execute();
    return proForma;
  }

  const REFUSED_AS_VALIDATED = {
    error: {
      code: 'ACTION_NOT_ALLOWED',
      message: 'Action non autorisée : le dépôt de facture est impossible au statut « Validé » (VALIDATED).',
      details: { status: 'VALIDATED', action: 'DEPOSIT_INVOICE' },
    },
  };

  it('removes the stored file of a deposit the workflow refuses', async () => {
    const proForma = await approvedButReadUnderValidation();
    const late = matchingInvoice(api, readings, proForma);
    const put = jest.spyOn(api.store, 'put');
    const removed = jest.spyOn(api.store, 'delete');
    try {
      const res = await deposit(proForma.number, late.pdf, 'tardive.pdf');
      expect(res.status).toBe(409);
      expect(res.body).toEqual(REFUSED_AS_VALIDATED);
      expect(put).toHaveBeenCalledTimes(1);
      expect(removed.mock.calls).toEqual([[late.sha256]]);
    } finally {
      put.mockRestore();
      removed.mockRestore();
    }
    expect(storedFiles(api)).not.toContain(fileOf(late.sha256));
    expect(await inFlight(late.sha256)).toEqual([]);
  });

  it('keeps the file of a refused deposit when a document of another pro forma holds the same bytes', async () => {
    const kept = await generatedProForma(api);
    const shared = matchingInvoice(api, readings, kept);
    expect((await deposit(kept.number, shared.pdf)).status).toBe(202);
    const refused = await approvedButReadUnderValidation();

    const res = await deposit(refused.number, shared.pdf);
    expect(res.status).toBe(409);
    expect(res.body).toEqual(REFUSED_AS_VALIDATED);
    expect(storedFiles(api)).toContain(fileOf(shared.sha256));
    expect(await inFlight(shared.sha256)).toEqual([]);
    const download = await request(api.app).get(`/api/pro-formas/${kept.number}/documents/1`).set(cfa());
    expect(download.status).toBe(200);
  });

  it('keeps the file, and its claim, when the deposit’s outcome is unknown (Temporal missed the deadline)', async () => {
    const proForma = await generatedProForma(api);
    const invoice = matchingInvoice(api, readings, proForma);
    const hurried = api.appWith({ TEMPORAL_CALL_TIMEOUT: '1ms' });
    const res = await request(hurried)
      .post(`/api/pro-formas/${proForma.number}/invoice`)
      .set(cfa())
      .attach('file', invoice.pdf, 'facture.pdf');
    expect(res.status).toBe(503);
    // Past the deadline the deposit may still be applied: the answer says so, and does not call it refused.
    expect(res.body.error).toMatchObject({ code: 'TEMPORAL_UNAVAILABLE', message: TEMPORAL_TIMEOUT_MESSAGE });
    expect(storedFiles(api)).toContain(fileOf(invoice.sha256));
    expect(await inFlight(invoice.sha256)).toHaveLength(1);
    await api.stack.client.workflow.getHandle(proFormaWorkflowId(proForma.number)).terminate('test over');
  });

  it('applies once a deposit sent again without a key after it was applied (its answer lost), a new version otherwise', async () => {
    const proForma = await generatedProForma(api);
    const invoice = matchingInvoice(api, readings, proForma);
    expect((await deposit(proForma.number, invoice.pdf)).status).toBe(202);
    const again = await deposit(proForma.number, invoice.pdf);
    expect(again.status).toBe(202);
    expect(again.body.documents.map((d: { version: number }) => d.version)).toEqual([1]);
    await waitForProForma(api, api.users.cfa, proForma.number, (v) => v.stage === 'AWAITING_DECISION');
    const refused = await decide(proForma.number, { decision: 'REFUSE', reasonCode: 'OTHER' }, crypto.randomUUID());
    expect(refused.status).toBe(200);
    // After a refusal the same file is a new submission of the CFA, not a retry.
    const resubmitted = await deposit(proForma.number, invoice.pdf);
    expect(resubmitted.status).toBe(202);
    expect(resubmitted.body.documents.map((d: { version: number }) => d.version)).toEqual([1, 2]);
  });
});
