import crypto from 'node:crypto';
import type { Test } from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { apiEndpoints } from '../../api/app';
import { GRANTABLE_RIGHTS, mayHold, OWN_ACCOUNT_RIGHT, type Right } from '../../domain/rights';
import type { ExtractionResult } from '../../extraction/types';
import { createPaymentRun } from '../../db/payment-runs';
import { writeCreditTransferFile } from '../../documents/sepa-credit-transfer';
import { insertCfa, insertOrderedPayment, TEST_IBAN, uniqueSiret } from '../helpers/fixtures';
import { binary, seedInstallments, startApiStack, waitForProForma, type ApiStack, type TestUser } from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';
import { deleteSchedule } from '../helpers/payment-runs';
import { perfectReading } from '../helpers/stack';
import { ensurePaymentRunSchedule } from '../../worker/schedules';

jest.setTimeout(120_000);

const ACTORS = ['none', 'bad token', 'revoked', 'admin', 'validator', 'cfa', 'other CFA'] as const;
type Actor = (typeof ACTORS)[number];
type Expected = Record<Actor, number>;

/** The usual answers of an endpoint that needs a token: 401 for every request without a valid one. */
const unauthenticated = { none: 401, 'bad token': 401, revoked: 401 } as const;
const adminOnly = (admin: number): Expected => ({
  ...unauthenticated,
  admin,
  validator: 403,
  cfa: 403,
  'other CFA': 403,
});

interface Row {
  name: string;
  expected: Expected;
  /** Acts on `target`: a pro forma of the first CFA, or what `shared` names; `fresh` gives a new one to each actor expected to succeed. */
  send(agent: TestAgent<Test>, target: string): Test;
  shared?: () => string;
  fresh?: () => Promise<string>;
  /** The caller's token, when the request spends it (a rotation): a new user like the actor's, each time. */
  spendsToken?: boolean;
  /**
   * A browser session's endpoint: it answers 401 to any bearer token by design (the session's cookie is what it
   * reads), so the per-right check below cannot see its right; test/api/session.test.ts drives it with cookies.
   */
  browserSession?: boolean;
}

/**
 * Every endpoint × (no token, bad token, revoked token, each role, another CFA's user) against the expected code.
 * Denials happen before anything is read or written; a CFA user never learns that another CFA's pro forma exists.
 */
describe('rights matrix', () => {
  let api: ApiStack;
  let revoked: TestUser;
  /** A pro forma of the first CFA awaiting a decision (version 1 deposited), and one refused automatically. */
  let awaiting: string;
  let refused: string;
  let template: Buffer;
  let sharedContract: string;
  let sharedMandate: string;
  const mandatePdf = invoicePdf({
    proFormaNumber: 'PRO-00000000',
    invoiceNumber: 'MANDAT-1',
    totalCents: 100,
    siret: '73282932000074',
    iban: TEST_IBAN,
  });
  let sharedInstallment: string;
  /** A payment run with a file, of a CFA of its own. */
  let sharedRun: string;
  const readings = new Map<string, ExtractionResult>();

  const tokenOf = (actor: Actor): string | undefined => {
    switch (actor) {
      case 'none':
        return undefined;
      case 'bad token':
        return crypto.randomBytes(32).toString('base64url');
      case 'revoked':
        return revoked.token;
      case 'admin':
        return api.users.admin.token;
      case 'validator':
        return api.users.validator.token;
      case 'cfa':
        return api.users.cfa.token;
      case 'other CFA':
        return api.users.otherCfa.token;
    }
  };

  async function generate(): Promise<{ number: string; total: number }> {
    const total = 100_000 + crypto.randomInt(1, 99_999);
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [total]);
    const { agent, auth } = api.http(api.users.cfa);
    const res = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    expect(res.status).toBe(201);
    return { number: res.body.proFormas[0].number, total };
  }

  async function deposited(totalRead?: number): Promise<string> {
    const { number, total } = await generate();
    const invoiceNumber = `FA-${crypto.randomBytes(4).toString('hex')}`;
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber,
      totalCents: total,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    readings.set(
      crypto.createHash('sha256').update(pdf).digest('hex'),
      perfectReading(
        number,
        total,
        { cfa: api.cfa, installments: [] },
        { invoiceNumber, totalCents: totalRead ?? total },
      ),
    );
    const { agent, auth } = api.http(api.users.cfa);
    expect((await agent.post(`/api/pro-formas/${number}/invoice`).set(auth).attach('file', pdf, 'f.pdf')).status).toBe(
      202,
    );
    await waitForProForma(api, api.users.cfa, number, (p) => p.stage === 'AWAITING_DECISION' || p.status === 'REFUSED');
    return number;
  }

  async function validated(): Promise<string> {
    const number = await deposited();
    const { agent, auth } = api.http(api.users.validator);
    expect(
      (await agent.post(`/api/pro-formas/${number}/decision`).set(auth).send({ decision: 'APPROVE' })).status,
    ).toBe(200);
    await waitForProForma(api, api.users.cfa, number, (p) => (p as { payment?: unknown }).payment !== null);
    return number;
  }

  async function paid(): Promise<string> {
    const number = await validated();
    const { agent, auth } = api.http(api.users.admin);
    expect(
      (await agent.post(`/api/pro-formas/${number}/payment-confirmation`).set(auth).send({ reference: 'VIR-DROITS' }))
        .status,
    ).toBe(200);
    return number;
  }

  async function throwawayUser(): Promise<string> {
    return (await api.createUser('validator')).id;
  }

  /** A user of the first CFA, for its user managers to change. */
  async function cfaColleague(): Promise<string> {
    return (await api.createUser('cfa', api.cfa.id, { rights: ['pro-formas:read'] })).id;
  }

  const scheduleId = `payment-runs-rights-${crypto.randomBytes(4).toString('hex')}`;
  let sharedBankFile: string;
  /** A camt.054 naming a transfer nobody made: applied to nothing, reported. */
  const bankFile = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>CAMT-RIGHTS</MsgId><CreDtTm>2026-12-04T07:30:00+01:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id><Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <NtryDtls><TxDtls><Refs><EndToEndId>RUN-19990101-01-0001</EndToEndId></Refs></TxDtls></NtryDtls></Ntry></Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>`,
    'utf8',
  );
  const newEmail = () => `u-${crypto.randomBytes(5).toString('hex')}@cfa.example`;

  /** A token like the actor's (same role, rights and CFA) that a request may spend. */
  async function tokenLike(actor: Actor): Promise<string | undefined> {
    const users = {
      admin: api.users.admin,
      validator: api.users.validator,
      cfa: api.users.cfa,
      'other CFA': api.users.otherCfa,
    };
    if (!(actor in users)) return tokenOf(actor);
    const like = users[actor as keyof typeof users];
    return (await api.createUser(like.role, like.cfaId)).token;
  }

  async function freshRefusalReason(): Promise<string> {
    const code = `MOTIF_${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
    const { agent, auth } = api.http(api.users.admin);
    const res = await agent
      .post('/api/admin/refusal-reasons')
      .set(auth)
      .send({ code, label: 'Motif', letter: 'Madame, monsieur, …' });
    expect(res.status).toBe(201);
    return code;
  }

  beforeAll(async () => {
    api = await startApiStack({ paymentRunScheduleId: scheduleId });
    // The payment runs' schedule this test manages: never due while it runs.
    await ensurePaymentRunSchedule(api.stack.client, {
      taskQueue: api.stack.deps.config.temporal.taskQueue,
      cron: null,
      scheduleId,
      spec: { intervals: [{ every: '3650d' }] },
    });
    api.stack.extract.mockImplementation(async (input) => {
      const reading = readings.get(input.sha256);
      if (!reading) throw new Error(`no reading for ${input.sha256}`);
      return reading;
    });
    revoked = await api.createUser('cfa', api.cfa.id);
    const { agent, auth } = api.http(api.users.admin);
    expect((await agent.post(`/api/admin/users/${revoked.id}/revoke`).set(auth)).status).toBe(200);
    sharedInstallment = (await seedInstallments(api, api.cfa.id, [45_600])).installmentIds[0] as string;
    awaiting = await deposited();
    refused = await deposited(1);
    await waitForProForma(api, api.users.cfa, refused, (p) => p.status === 'REFUSED');
    const { contractNumber } = await seedInstallments(api, api.cfa.id, [50_000]);
    sharedContract = (
      await api.stack.database.db
        .selectFrom('contracts')
        .select('id')
        .where('number', '=', contractNumber)
        .executeTakeFirstOrThrow()
    ).id;
    const mandate = await agent
      .post(`/api/admin/cfas/${api.cfa.id}/mandates/document`)
      .set(auth)
      .field('validFrom', '2020-01-01')
      .attach('file', mandatePdf, 'mandat.pdf');
    expect(mandate.status).toBe(201);
    sharedMandate = mandate.body.id;
    template = (await agent.get('/api/admin/imports/contracts/template.xlsx').set(auth).buffer(true).parse(binary))
      .body as Buffer;
    const paid = await insertCfa(api.stack.database.db);
    await insertOrderedPayment(api.stack.database.db, paid.id, 33_300, '2026-11-20T10:00:00Z');
    const at = new Date('2026-11-30T09:00:00Z');
    sharedRun = (
      await createPaymentRun(
        api.stack.database.db,
        {
          trigger: 'MANUAL',
          requestedBy: null,
          grouping: 'PER_CFA',
          cutoff: at,
          now: at,
          executionDate: '2026-11-30',
          debtor: { name: 'Opco', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' },
        },
        { writeFile: (content) => writeCreditTransferFile(content, api.store) },
      )
    ).number;
    const bank = await agent.post('/api/admin/bank-files').set(auth).attach('file', bankFile, 'camt054.xml');
    expect(bank.status).toBe(200);
    sharedBankFile = bank.body.id;
  });
  afterAll(async () => {
    await deleteSchedule(api.stack.client, scheduleId);
    await api.teardown();
  });

  const pdf = () =>
    invoicePdf({
      proFormaNumber: 'PRO-00000000',
      invoiceNumber: 'X',
      totalCents: 1,
      siret: '73282932000074',
      iban: TEST_IBAN,
    });

  const rows = (): Row[] => [
    {
      name: 'GET /api/me',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/me'),
    },
    {
      name: 'GET /api/my-cfa',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/my-cfa'),
    },
    {
      name: 'PATCH /api/my-cfa',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 200 },
      send: (a) => a.patch('/api/my-cfa').send({ creditNoteSettlement: 'DEDUCTION' }),
    },
    {
      name: 'GET /api/installments/eligible',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/installments/eligible?nature=PEDAGOGIE'),
    },
    {
      name: 'POST /api/pro-formas',
      // The other CFA names the first CFA's installment: not eligible for it, whatever exists elsewhere.
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 201, 'other CFA': 409 },
      send: (a, id) => a.post('/api/pro-formas').send({ nature: 'PEDAGOGIE', installmentIds: [id] }),
      shared: () => sharedInstallment,
      fresh: async () => (await seedInstallments(api, api.cfa.id, [12_300])).installmentIds[0] as string,
    },
    {
      name: 'POST /api/pro-formas/preview',
      // Creates nothing; the other CFA's preview answers the first CFA's installment excluded (OTHER_CFA).
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 200 },
      send: (a, id) => a.post('/api/pro-formas/preview').send({ nature: 'PEDAGOGIE', installmentIds: [id] }),
      shared: () => sharedInstallment,
    },
    {
      name: 'GET /api/contracts',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/contracts'),
    },
    {
      name: 'GET /api/contracts/:id',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, id) => a.get(`/api/contracts/${id}`),
      shared: () => sharedContract,
    },
    {
      name: 'GET /api/mandates',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/mandates'),
    },
    {
      name: 'GET /api/mandates/:id/document',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, id) => a.get(`/api/mandates/${id}/document`),
      shared: () => sharedMandate,
    },
    {
      name: 'POST /api/admin/cfas/:cfaId/mandates/document',
      expected: adminOnly(201),
      send: (a) =>
        a
          .post(`/api/admin/cfas/${api.cfa.id}/mandates/document`)
          .field('validFrom', '2020-01-01')
          .attach('file', mandatePdf, 'mandat.pdf'),
    },
    {
      name: 'GET /api/pro-formas',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/pro-formas'),
    },
    {
      name: 'GET /api/pro-formas/export.xlsx',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/pro-formas/export.xlsx'),
    },
    {
      name: 'GET /api/pro-formas/export.csv',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/pro-formas/export.csv'),
    },
    {
      name: 'GET /api/dashboard',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/dashboard'),
    },
    {
      name: 'GET /api/pro-formas/:number',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, n) => a.get(`/api/pro-formas/${n}`),
    },
    {
      name: 'POST /api/pro-formas/:number/invoice',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 202, 'other CFA': 404 },
      send: (a, n) => a.post(`/api/pro-formas/${n}/invoice`).attach('file', pdf(), 'facture.pdf'),
      fresh: async () => (await generate()).number,
    },
    {
      name: 'POST /api/pro-formas/:number/cancel',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 404 },
      send: (a, n) => a.post(`/api/pro-formas/${n}/cancel`),
      fresh: async () => (await generate()).number,
    },
    {
      name: 'GET /api/pro-formas/:number/refusal',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a) => a.get(`/api/pro-formas/${refused}/refusal`),
    },
    {
      name: 'GET /api/pro-formas/:number/documents/:version',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, n) => a.get(`/api/pro-formas/${n}/documents/1`),
    },
    {
      name: 'GET /api/pro-formas/:number/contracts.xlsx',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, n) => a.get(`/api/pro-formas/${n}/contracts.xlsx`),
    },
    {
      name: 'GET /api/pro-formas/:number/document.pdf',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, n) => a.get(`/api/pro-formas/${n}/document.pdf`),
    },
    {
      name: 'GET /api/pro-formas/:number/refusal.pdf',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a) => a.get(`/api/pro-formas/${refused}/refusal.pdf`),
    },
    {
      name: 'GET /api/pro-formas/:number/payment-advice.pdf',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 404 },
      send: (a, n) => a.get(`/api/pro-formas/${n}/payment-advice.pdf`),
      fresh: paid,
    },
    {
      name: 'GET /api/validation/queue',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a) => a.get('/api/validation/queue'),
    },
    {
      name: 'POST /api/pro-formas/:number/decision',
      expected: { ...unauthenticated, admin: 403, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a, n) => a.post(`/api/pro-formas/${n}/decision`).send({ decision: 'APPROVE' }),
      fresh: deposited,
    },
    {
      name: 'POST /api/pro-formas/:number/claim',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a, n) => a.post(`/api/pro-formas/${n}/claim`).send({}),
      fresh: deposited,
    },
    {
      name: 'POST /api/pro-formas/:number/claim/release',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a, n) => a.post(`/api/pro-formas/${n}/claim/release`).send({}),
      fresh: deposited,
    },
    {
      name: 'POST /api/pro-formas/:number/corrections',
      expected: { ...unauthenticated, admin: 403, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a, n) =>
        a
          .post(`/api/pro-formas/${n}/corrections`)
          .send({ fields: { invoiceNumber: 'FA-DROITS-1' }, justification: 'Contrôle des droits.' }),
      fresh: deposited,
    },
    {
      name: 'POST /api/pro-formas/:number/staff-cancellation',
      expected: adminOnly(200),
      send: (a, n) => a.post(`/api/pro-formas/${n}/staff-cancellation`).send({ reason: 'Contrôle des droits.' }),
      fresh: async () => (await generate()).number,
    },
    {
      name: 'POST /api/pro-formas/:number/return-to-validation',
      expected: adminOnly(200),
      send: (a, n) => a.post(`/api/pro-formas/${n}/return-to-validation`).send({ reason: 'Contrôle des droits.' }),
      fresh: validated,
    },
    {
      name: 'POST /api/pro-formas/:number/payment-confirmation',
      expected: adminOnly(200),
      send: (a, n) => a.post(`/api/pro-formas/${n}/payment-confirmation`).send({ reference: 'VIR-1' }),
      fresh: validated,
    },
    {
      name: 'GET /api/admin/metrics',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/metrics'),
    },
    {
      name: 'GET /api/admin/metrics/export.xlsx',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/metrics/export.xlsx'),
    },
    {
      name: 'GET /api/admin/metrics/export.csv',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/metrics/export.csv'),
    },
    {
      name: 'POST /api/admin/cfas',
      expected: adminOnly(201),
      send: (a) =>
        a.post('/api/admin/cfas').send({ siret: uniqueSiret(), name: 'CFA', email: 'a@b.example', iban: TEST_IBAN }),
    },
    { name: 'GET /api/admin/cfas', expected: adminOnly(200), send: (a) => a.get('/api/admin/cfas') },
    {
      name: 'PATCH /api/admin/cfas/:cfaId',
      expected: adminOnly(200),
      send: (a) => a.patch(`/api/admin/cfas/${api.cfa.id}`).send({ trusted: false }),
    },
    {
      name: 'POST /api/admin/cfas/:cfaId/mandates',
      expected: adminOnly(201),
      send: (a) => a.post(`/api/admin/cfas/${api.cfa.id}/mandates`).send({ validFrom: '2020-01-01' }),
    },
    {
      name: 'POST /api/admin/users',
      expected: adminOnly(201),
      send: (a) =>
        a.post('/api/admin/users').send({
          role: 'validator',
          name: 'Valideur',
          email: `v-${crypto.randomBytes(4).toString('hex')}@opco.example`,
        }),
    },
    { name: 'GET /api/admin/users', expected: adminOnly(200), send: (a) => a.get('/api/admin/users') },
    {
      name: 'POST /api/admin/users/:userId/revoke',
      expected: adminOnly(200),
      send: (a, id) => a.post(`/api/admin/users/${id}/revoke`),
      fresh: throwawayUser,
    },
    {
      name: 'POST /api/admin/users/:userId/token',
      expected: adminOnly(200),
      send: (a, id) => a.post(`/api/admin/users/${id}/token`),
      fresh: throwawayUser,
    },
    {
      name: 'POST /api/admin/contracts',
      expected: adminOnly(201),
      send: (a) =>
        a.post('/api/admin/contracts').send({
          cfaId: api.cfa.id,
          number: `DECA-${crypto.randomBytes(4).toString('hex')}`,
          label: 'CAP',
          apprenticeName: 'Hugo Bernard',
          employerName: 'Restaurant',
          employerSiret: '73282932000074',
          startDate: '2026-09-01',
          endDate: '2027-08-31',
          status: 'ENGAGE',
        }),
    },
    {
      name: 'POST /api/admin/imports/contracts',
      expected: adminOnly(200),
      send: (a) => a.post('/api/admin/imports/contracts').attach('file', template, 'modele.xlsx'),
    },
    {
      name: 'GET /api/admin/imports/contracts/template.xlsx',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/imports/contracts/template.xlsx'),
    },
    {
      name: 'GET /api/admin/refusal-reasons',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a) => a.get('/api/admin/refusal-reasons'),
    },
    {
      name: 'POST /api/admin/refusal-reasons',
      expected: adminOnly(201),
      send: (a) =>
        a.post('/api/admin/refusal-reasons').send({
          code: `MOTIF_${crypto.randomBytes(3).toString('hex').toUpperCase()}`,
          label: 'Motif',
          letter: 'Madame, monsieur, …',
        }),
    },
    { name: 'GET /api/admin/audit', expected: adminOnly(200), send: (a) => a.get('/api/admin/audit') },
    {
      name: 'GET /api/admin/audit/export.xlsx',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/audit/export.xlsx'),
    },
    {
      name: 'GET /api/admin/audit/export.csv',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/audit/export.csv'),
    },
    {
      name: 'PATCH /api/admin/users/:userId',
      expected: adminOnly(200),
      send: (a, id) => a.patch(`/api/admin/users/${id}`).send({ name: 'Nouveau nom' }),
      fresh: throwawayUser,
    },
    {
      name: 'PUT /api/admin/validators/:userId/portfolio',
      expected: adminOnly(200),
      // An empty portfolio: the queues of the other rows stay as they are.
      send: (a, id) => a.put(`/api/admin/validators/${id}/portfolio`).send({ cfaIds: [] }),
      fresh: throwawayUser,
    },
    { name: 'GET /api/admin/portfolios', expected: adminOnly(200), send: (a) => a.get('/api/admin/portfolios') },
    {
      name: 'GET /api/admin/refusal-reasons/:code',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 403, 'other CFA': 403 },
      send: (a) => a.get('/api/admin/refusal-reasons/OTHER'),
    },
    {
      name: 'PATCH /api/admin/refusal-reasons/:code',
      expected: adminOnly(200),
      send: (a, code) => a.patch(`/api/admin/refusal-reasons/${code}`).send({ label: 'Motif modifié' }),
      fresh: freshRefusalReason,
    },
    {
      name: 'POST /api/admin/refusal-reasons/:code/retire',
      expected: adminOnly(200),
      send: (a, code) => a.post(`/api/admin/refusal-reasons/${code}/retire`),
      fresh: freshRefusalReason,
    },
    {
      name: 'POST /api/admin/users/:userId/invitation',
      expected: adminOnly(201),
      send: (a, id) => a.post(`/api/admin/users/${id}/invitation`),
      fresh: throwawayUser,
    },
    {
      name: 'POST /api/me/token',
      expected: { ...unauthenticated, admin: 200, validator: 200, cfa: 200, 'other CFA': 200 },
      send: (a) => a.post('/api/me/token'),
      spendsToken: true,
    },
    {
      name: 'POST /api/invitations/accept',
      // Public: no token needed (nor read); an unknown link is unknown to everyone.
      expected: { none: 404, 'bad token': 404, revoked: 404, admin: 404, validator: 404, cfa: 404, 'other CFA': 404 },
      send: (a) => a.post('/api/invitations/accept').send({ token: crypto.randomBytes(32).toString('base64url') }),
    },
    // Browser sessions: opened with a token in the body (public), read and closed with the session's cookie only —
    // a bearer token is no browser session (401 for every caller here; test/api/session.test.ts drives cookies).
    {
      name: 'POST /api/session',
      browserSession: true,
      expected: { none: 401, 'bad token': 401, revoked: 401, admin: 401, validator: 401, cfa: 401, 'other CFA': 401 },
      send: (a) => a.post('/api/session').send({ token: crypto.randomBytes(32).toString('base64url') }),
    },
    {
      name: 'GET /api/session',
      browserSession: true,
      expected: { none: 401, 'bad token': 401, revoked: 401, admin: 401, validator: 401, cfa: 401, 'other CFA': 401 },
      send: (a) => a.get('/api/session'),
    },
    {
      name: 'POST /api/session/logout',
      browserSession: true,
      expected: { none: 401, 'bad token': 401, revoked: 401, admin: 401, validator: 401, cfa: 401, 'other CFA': 401 },
      send: (a) => a.post('/api/session/logout'),
    },
    { name: 'GET /api/admin/payment-runs', expected: adminOnly(200), send: (a) => a.get('/api/admin/payment-runs') },
    {
      name: 'GET /api/admin/payment-runs/:number',
      expected: adminOnly(200),
      send: (a, n) => a.get(`/api/admin/payment-runs/${n}`),
      shared: () => sharedRun,
    },
    {
      name: 'GET /api/admin/payment-runs/:number/file',
      expected: adminOnly(200),
      send: (a, n) => a.get(`/api/admin/payment-runs/${n}/file`),
      shared: () => sharedRun,
    },
    {
      name: 'GET /api/admin/payment-runs/:number/export.xlsx',
      expected: adminOnly(200),
      send: (a, n) => a.get(`/api/admin/payment-runs/${n}/export.xlsx`),
      shared: () => sharedRun,
    },
    {
      name: 'GET /api/admin/payment-runs/:number/export.csv',
      expected: adminOnly(200),
      send: (a, n) => a.get(`/api/admin/payment-runs/${n}/export.csv`),
      shared: () => sharedRun,
    },
    {
      name: 'POST /api/admin/payment-runs',
      expected: adminOnly(201),
      send: (a) => a.post('/api/admin/payment-runs').send({}),
    },
    {
      name: 'GET /api/admin/payment-runs/schedule',
      expected: adminOnly(200),
      send: (a) => a.get('/api/admin/payment-runs/schedule'),
    },
    {
      name: 'POST /api/admin/payment-runs/schedule/pause',
      expected: adminOnly(200),
      send: (a) => a.post('/api/admin/payment-runs/schedule/pause').send({ reason: 'test des droits' }),
    },
    {
      name: 'POST /api/admin/payment-runs/schedule/resume',
      expected: adminOnly(200),
      send: (a) => a.post('/api/admin/payment-runs/schedule/resume'),
    },
    {
      name: 'POST /api/admin/bank-files',
      expected: adminOnly(200),
      send: (a) => a.post('/api/admin/bank-files').attach('file', bankFile, 'camt054.xml'),
    },
    { name: 'GET /api/admin/bank-files', expected: adminOnly(200), send: (a) => a.get('/api/admin/bank-files') },
    {
      name: 'GET /api/admin/bank-files/:id',
      expected: adminOnly(200),
      send: (a, id) => a.get(`/api/admin/bank-files/${id}`),
      shared: () => sharedBankFile,
    },
    {
      name: 'GET /api/my-cfa/users',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 200 },
      send: (a) => a.get('/api/my-cfa/users'),
    },
    {
      name: 'POST /api/my-cfa/users',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 201, 'other CFA': 201 },
      send: (a) => a.post('/api/my-cfa/users').send({ name: 'Collègue', email: newEmail(), rights: [] }),
    },
    {
      name: 'PATCH /api/my-cfa/users/:userId',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 404 },
      send: (a, id) => a.patch(`/api/my-cfa/users/${id}`).send({ name: 'Collègue renommé' }),
      fresh: cfaColleague,
    },
    {
      name: 'POST /api/my-cfa/users/:userId/revoke',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 200, 'other CFA': 404 },
      send: (a, id) => a.post(`/api/my-cfa/users/${id}/revoke`),
      fresh: cfaColleague,
    },
    {
      name: 'POST /api/my-cfa/users/:userId/invitation',
      expected: { ...unauthenticated, admin: 403, validator: 403, cfa: 201, 'other CFA': 404 },
      send: (a, id) => a.post(`/api/my-cfa/users/${id}/invitation`),
      fresh: cfaColleague,
    },
  ];

  it('covers every endpoint of the API', () => {
    const covered = rows()
      .map((r) => r.name)
      .sort();
    const served = apiEndpoints(api.deps)
      .map((e) => `${e.method.toUpperCase()} ${e.path}`)
      .sort();
    expect(covered).toEqual(served);
  });

  it.each(rows().map((row) => [row.name, row] as const))(
    '%s answers each caller with its expected code',
    async (_name, row) => {
      const got: Partial<Expected> = {};
      // The error codes answered, so that an unexpected status shows its cause in the failure's diff.
      const codes: Record<string, unknown> = {};
      for (const actor of ACTORS) {
        const expected = row.expected[actor];
        const target = row.fresh && expected < 300 ? await row.fresh() : (row.shared?.() ?? awaiting);
        const { agent } = api.http();
        const token = row.spendsToken ? await tokenLike(actor) : tokenOf(actor);
        const req = row.send(agent, target);
        if (token) req.set('Authorization', `Bearer ${token}`);
        const res = await req;
        got[actor] = res.status;
        if (res.status >= 400) {
          codes[actor] = res.body.error?.code;
          expect(res.headers['content-type']).toMatch(/^application\/json/);
          expect(Object.keys(res.body.error).sort()).toEqual(
            res.body.error.details === undefined ? ['code', 'message'] : ['code', 'details', 'message'],
          );
        }
      }
      expect({ statuses: got, codes }).toEqual({ statuses: row.expected, codes: expect.any(Object) });
    },
  );

  /**
   * Every endpoint × every right: a user holding that one right alone (a CFA user of the first CFA when a CFA user may
   * hold it, else staff) is refused with 403 naming the endpoint's right, unless it is that right; the right alone is
   * enough to get past the check (any answer but 401 and 403).
   */
  describe('every endpoint × every right', () => {
    const holders = new Map<Right, TestUser>();
    const rightOf = new Map<string, Right | null>();

    beforeAll(async () => {
      for (const right of GRANTABLE_RIGHTS) {
        const role = mayHold('cfa', right) ? 'cfa' : mayHold('validator', right) ? 'validator' : 'admin';
        holders.set(right, await api.createUser(role, role === 'cfa' ? api.cfa.id : null, { rights: [right] }));
      }
      for (const e of apiEndpoints(api.deps)) rightOf.set(`${e.method.toUpperCase()} ${e.path}`, e.right);
    });

    const perRight = rows().filter((row) => !row.browserSession);
    it.each(perRight.map((row) => [row.name, row] as const))('%s needs exactly its right', async (name, row) => {
      const needed = rightOf.get(name);
      expect(needed).not.toBeUndefined();
      const got: Record<string, number | string> = {};
      const expected: Record<string, number | string> = {};
      for (const right of GRANTABLE_RIGHTS) {
        const holder = holders.get(right) as TestUser;
        const allowed = needed === null || needed === OWN_ACCOUNT_RIGHT || needed === right;
        const target = allowed && row.fresh ? await row.fresh() : (row.shared?.() ?? awaiting);
        const token = row.spendsToken
          ? (await api.createUser(holder.role, holder.cfaId, { rights: [right] })).token
          : holder.token;
        const res = await row.send(api.http().agent, target).set('Authorization', `Bearer ${token}`);
        expected[right] = allowed ? 'allowed' : `403 ${needed}`;
        got[right] =
          res.status === 403 ? `403 ${res.body.error?.details?.right}` : res.status === 401 ? 401 : 'allowed';
      }
      expect(got).toEqual(expected);
    });
  });

  it('answers a request without a token with 401 and a Bearer challenge', async () => {
    const res = await api.http().agent.get('/api/pro-formas');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.body).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        message: 'Authentification requise : en-tête « Authorization: Bearer <jeton> ».',
      },
    });
  });

  it('answers a revoked token with 401 naming the revocation, and a token of another scheme as invalid', async () => {
    const gone = await api.http().agent.get('/api/me').set('Authorization', `Bearer ${revoked.token}`);
    expect(gone.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Jeton révoqué.' } });
    const basic = await api.http().agent.get('/api/me').set('Authorization', 'Basic dXNlcjpwYXNz');
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toBe('En-tête Authorization invalide : « Bearer <jeton> » attendu.');
  });

  it('stores tokens only as their SHA-256, and replaces a token on demand', async () => {
    const rowsStored = await api.stack.database.db.selectFrom('users').select('token_hash').execute();
    const tokens = Object.values(api.users).map((u) => u.token);
    expect(rowsStored.some((r) => r.token_hash !== null && tokens.includes(r.token_hash))).toBe(false);
    const { agent, auth } = api.http(api.users.admin);
    const user = await api.createUser('validator');
    const replaced = await agent.post(`/api/admin/users/${user.id}/token`).set(auth);
    expect(replaced.body.token).not.toBe(user.token);
    expect((await api.http().agent.get('/api/me').set('Authorization', `Bearer ${user.token}`)).status).toBe(401);
    const me = await api.http().agent.get('/api/me').set('Authorization', `Bearer ${replaced.body.token}`);
    expect(me.body).toMatchObject({ id: user.id, role: 'validator' });
  });

  it('lists, exports and counts only a CFA user’s own pro formas', async () => {
    const mine = api.http(api.users.cfa);
    const theirs = api.http(api.users.otherCfa);
    const ownList = await mine.agent.get('/api/pro-formas').set(mine.auth);
    expect(ownList.body.items.map((p: { number: string }) => p.number)).toContain(awaiting);
    const otherList = await theirs.agent.get('/api/pro-formas').set(theirs.auth);
    expect(otherList.body).toEqual({ items: [], total: 0, page: 1, pageSize: 50 });
    const byNumber = await theirs.agent.get(`/api/pro-formas?number=${awaiting}`).set(theirs.auth);
    expect(byNumber.body.total).toBe(0);
    const byCfa = await theirs.agent.get(`/api/pro-formas?cfaId=${api.cfa.id}`).set(theirs.auth);
    expect(byCfa.body.total).toBe(0);
    const csv = await theirs.agent.get('/api/pro-formas/export.csv').set(theirs.auth);
    expect(csv.text).not.toContain(awaiting);
    const counters = await theirs.agent.get('/api/dashboard').set(theirs.auth);
    expect(counters.body.counters.map((c: { count: number }) => c.count)).toEqual([0, 0, 0, 0, 0]);
  });
});
