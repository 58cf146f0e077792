import crypto from 'node:crypto';
import { parisDate } from '../../domain/dates';
import type { ExtractionResult } from '../../extraction/types';
import {
  matchingInvoice,
  programReadings,
  startApiStack,
  waitForProForma,
  type ApiStack,
  type TestUser,
} from '../helpers/api';

jest.setTimeout(120_000);

interface Seeded {
  id: string;
  number: string;
}

/** GET /api/contracts and GET /api/contracts/:id on the real stack (API_NOW: 22 November 2026). */
describe('contracts and their schedules', () => {
  let api: ApiStack;
  let readings: Map<string, ExtractionResult>;
  const tag = crypto.randomBytes(3).toString('hex').toUpperCase();
  let a: Seeded;
  let b: Seeded;
  let c: Seeded;
  let d: Seeded;

  async function contract(
    cfaId: string,
    number: string,
    values: { name: string; siret: string; start: string; status: 'ENGAGE' | 'RUPTURE' },
  ): Promise<Seeded> {
    const row = await api.stack.database.db
      .insertInto('contracts')
      .values({
        cfa_id: cfaId,
        number,
        label: 'BTS MCO',
        apprentice_name: values.name,
        employer_name: 'Boulangerie du Centre',
        employer_siret: values.siret,
        start_date: values.start,
        end_date: '2028-08-31',
        status: values.status,
      })
      .returning(['id', 'number'])
      .executeTakeFirstOrThrow();
    return row;
  }

  async function installment(contractId: string, periodStart: string, periodEnd: string, amountCents: number) {
    const row = await api.stack.database.db
      .insertInto('installments')
      .values({
        contract_id: contractId,
        nature: 'PEDAGOGIE',
        period_start: periodStart,
        period_end: periodEnd,
        amount_cents: amountCents,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  beforeAll(async () => {
    api = await startApiStack();
    readings = programReadings(api);
    a = await contract(api.cfa.id, `T${tag}-A001`, {
      name: 'Camille Pécresse',
      siret: '73282932000074',
      start: '2025-09-01',
      status: 'ENGAGE',
    });
    b = await contract(api.cfa.id, `T${tag}-A002`, {
      name: 'Noé Lefèvre',
      siret: '44306184100047',
      start: '2026-01-15',
      status: 'RUPTURE',
    });
    c = await contract(api.cfa.id, `T${tag}-B001`, {
      name: 'Bruno Martin',
      siret: '73282932000074',
      start: '2024-09-01',
      status: 'ENGAGE',
    });
    d = await contract(api.otherCfa.id, `T${tag}-A003`, {
      name: 'Camille Autre',
      siret: '73282932000074',
      start: '2025-09-01',
      status: 'ENGAGE',
    });
  });
  afterAll(() => api.teardown());

  async function list(as: TestUser, query: Record<string, string | number>) {
    const { agent, auth } = api.http(as);
    const res = await agent.get('/api/contracts').query(query).set(auth);
    expect(res.status).toBe(200);
    return res.body as {
      items: { id: string; number: string; status: string; statusLabel: string; apprenticeName: string }[];
      total: number;
      page: number;
      pageSize: number;
    };
  }
  const numbers = (body: { items: { number: string }[] }) => body.items.map((i) => i.number);

  it('lists a CFA user’s own contracts only, by number or its beginning', async () => {
    expect(numbers(await list(api.users.cfa, { number: `T${tag}-A` }))).toEqual([a.number, b.number]);
    expect(numbers(await list(api.users.cfa, { number: a.number }))).toEqual([a.number]);
    // The other CFA's user sees its own, never the first CFA's; a cfaId filter on a CFA it does not act for gives
    // nothing (as the pro forma list), on its own CFA its own.
    expect(numbers(await list(api.users.otherCfa, { number: `T${tag}` }))).toEqual([d.number]);
    expect(numbers(await list(api.users.otherCfa, { number: `T${tag}`, cfaId: api.cfa.id }))).toEqual([]);
    expect(numbers(await list(api.users.otherCfa, { number: `T${tag}`, cfaId: api.otherCfa.id }))).toEqual([d.number]);
  });

  it('lists every CFA’s contracts for the staff, or one CFA’s with cfaId', async () => {
    expect(numbers(await list(api.users.validator, { number: `T${tag}-A` }))).toEqual([a.number, b.number, d.number]);
    expect(numbers(await list(api.users.admin, { number: `T${tag}`, cfaId: api.otherCfa.id }))).toEqual([d.number]);
  });

  it('searches by apprentice name (a part, without regard to case), employer SIRET, start dates and status', async () => {
    expect(numbers(await list(api.users.cfa, { number: `T${tag}`, apprenticeName: 'LEF' }))).toEqual([b.number]);
    expect(numbers(await list(api.users.cfa, { number: `T${tag}`, apprenticeName: 'MARTIN' }))).toEqual([c.number]);
    expect(numbers(await list(api.users.cfa, { number: `T${tag}`, employerSiret: '73282932000074' }))).toEqual([
      a.number,
      c.number,
    ]);
    expect(
      numbers(await list(api.users.cfa, { number: `T${tag}`, startFrom: '2025-01-01', startTo: '2025-12-31' })),
    ).toEqual([a.number]);
    const broken = await list(api.users.cfa, { number: `T${tag}`, status: 'RUPTURE' });
    expect(broken.items.map((i) => [i.number, i.status, i.statusLabel])).toEqual([[b.number, 'RUPTURE', 'Rupture']]);
    const engaged = await list(api.users.cfa, { number: `T${tag}`, status: 'ENGAGE' });
    expect(engaged.items.map((i) => i.statusLabel)).toEqual(['Engagé', 'Engagé']);
  });

  it('sorts by number, start date or apprentice name, either way', async () => {
    const q = { number: `T${tag}` };
    expect(numbers(await list(api.users.cfa, { ...q, sort: 'number', order: 'desc' }))).toEqual([
      c.number,
      b.number,
      a.number,
    ]);
    expect(numbers(await list(api.users.cfa, { ...q, sort: 'startDate' }))).toEqual([c.number, a.number, b.number]);
    expect(numbers(await list(api.users.cfa, { ...q, sort: 'startDate', order: 'desc' }))).toEqual([
      b.number,
      a.number,
      c.number,
    ]);
    expect(numbers(await list(api.users.cfa, { ...q, sort: 'apprenticeName' }))).toEqual([
      c.number,
      a.number,
      b.number,
    ]);
  });

  it('pages, with the total of the search', async () => {
    const first = await list(api.users.cfa, { number: `T${tag}`, pageSize: 2, page: 1 });
    const second = await list(api.users.cfa, { number: `T${tag}`, pageSize: 2, page: 2 });
    expect([first.total, first.page, first.pageSize, numbers(first)]).toEqual([3, 1, 2, [a.number, b.number]]);
    expect([second.total, numbers(second)]).toEqual([3, [c.number]]);
  });

  it('refuses a bad query in French with the error shape', async () => {
    const { agent, auth } = api.http(api.users.cfa);
    const res = await agent.get('/api/contracts').query({ sort: 'salary', startFrom: '2026-13-01' }).set(auth);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_QUERY', message: 'Paramètres de requête invalides.' });
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(['sort', 'startFrom']);
  });

  it('answers 404 for another CFA’s contract, and for an unknown one', async () => {
    const { agent, auth } = api.http(api.users.cfa);
    const other = await agent.get(`/api/contracts/${d.id}`).set(auth);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    expect((await agent.get(`/api/contracts/${crypto.randomUUID()}`).set(auth)).status).toBe(404);
    expect((await agent.get('/api/contracts/abc').set(auth)).status).toBe(404);
    const staff = api.http(api.users.validator);
    expect((await staff.agent.get(`/api/contracts/${d.id}`).set(staff.auth)).status).toBe(200);
  });

  describe('a contract’s schedule: « ai-je déjà facturé ce dossier ? »', () => {
    interface Line {
      id: string;
      natureLabel: string;
      periodStart: string;
      amountCents: number;
      standing: string;
      standingLabel: string;
      proForma: { number: string; status: string; statusLabel: string } | null;
      paidOn: string | null;
    }

    async function schedule(contractId: string, as: TestUser = api.users.cfa) {
      const { agent, auth } = api.http(as);
      const res = await agent.get(`/api/contracts/${contractId}`).set(auth);
      expect(res.status).toBe(200);
      return res.body as { contract: { number: string; statusLabel: string }; installments: Line[] };
    }
    const lineOf = async (contractId: string, installmentId: string) => {
      const found = (await schedule(contractId)).installments.find((i) => i.id === installmentId);
      if (!found) throw new Error(`no installment ${installmentId}`);
      return found;
    };

    it('shows an installment eligible, then in a pro forma, then paid; a future one « À venir »', async () => {
      const amount = 100_000 + crypto.randomInt(1, 99_999);
      const started = await installment(a.id, '2026-03-01', '2026-05-31', amount);
      const future = await installment(a.id, '2027-03-01', '2027-05-31', 120_000);

      const before = await schedule(a.id);
      expect(before.contract).toMatchObject({ number: a.number, statusLabel: 'Engagé' });
      expect(
        before.installments.map((i) => [i.id, i.natureLabel, i.periodStart, i.amountCents, i.standingLabel]),
      ).toEqual([
        [started, 'Pédagogie', '2026-03-01', amount, 'Éligible'],
        [future, 'Pédagogie', '2027-03-01', 120_000, 'À venir'],
      ]);
      expect(before.installments[1]).toMatchObject({ standing: 'UPCOMING', proForma: null, paidOn: null });

      const cfa = api.http(api.users.cfa);
      const generated = await cfa.agent
        .post('/api/pro-formas')
        .set(cfa.auth)
        .send({ nature: 'PEDAGOGIE', installmentIds: [started] });
      expect(generated.status).toBe(201);
      const number = generated.body.proFormas[0].number as string;

      expect(await lineOf(a.id, started)).toMatchObject({
        standing: 'IN_PRO_FORMA',
        standingLabel: `Dans la pro forma ${number} (En attente de facture)`,
        proForma: { number, status: 'AWAITING_INVOICE', statusLabel: 'En attente de facture' },
        paidOn: null,
      });

      const { pdf } = matchingInvoice(api, readings, { number, totalCents: amount });
      expect(
        (await cfa.agent.post(`/api/pro-formas/${number}/invoice`).set(cfa.auth).attach('file', pdf, 'facture.pdf'))
          .status,
      ).toBe(202);
      await waitForProForma(api, api.users.cfa, number, (p) => p.stage === 'AWAITING_DECISION');
      expect(await lineOf(a.id, started)).toMatchObject({
        standingLabel: `Dans la pro forma ${number} (En cours de validation)`,
      });

      const validator = api.http(api.users.validator);
      expect(
        (
          await validator.agent
            .post(`/api/pro-formas/${number}/decision`)
            .set(validator.auth)
            .send({ decision: 'APPROVE' })
        ).status,
      ).toBe(200);
      await waitForProForma(api, api.users.cfa, number, (p) => (p as { payment?: unknown }).payment != null);
      expect(await lineOf(a.id, started)).toMatchObject({ standingLabel: `Dans la pro forma ${number} (Validé)` });

      const admin = api.http(api.users.admin);
      expect(
        (
          await admin.agent
            .post(`/api/pro-formas/${number}/payment-confirmation`)
            .set(admin.auth)
            .send({ reference: `VIR-${tag}` })
        ).status,
      ).toBe(200);
      await waitForProForma(api, api.users.cfa, number, (p) => p.status === 'PAID');
      const { paid_at } = await api.stack.database.db
        .selectFrom('pro_formas')
        .select('paid_at')
        .where('number', '=', number)
        .executeTakeFirstOrThrow();
      const paidOn = parisDate(paid_at as Date);
      const [y, m, dd] = paidOn.split('-');
      expect(await lineOf(a.id, started)).toMatchObject({
        standing: 'PAID',
        standingLabel: `Payée le ${dd}/${m}/${y}`,
        proForma: { number, status: 'PAID', statusLabel: 'Payé' },
        paidOn,
      });
      // The future one has not moved.
      expect(await lineOf(a.id, future)).toMatchObject({ standing: 'UPCOMING', standingLabel: 'À venir' });
    });

    it('makes an installment of a cancelled pro forma eligible again', async () => {
      const started = await installment(b.id, '2026-02-01', '2026-04-30', 90_000);
      const cfa = api.http(api.users.cfa);
      const generated = await cfa.agent
        .post('/api/pro-formas')
        .set(cfa.auth)
        .send({ nature: 'PEDAGOGIE', installmentIds: [started] });
      expect(generated.status).toBe(201);
      const number = generated.body.proFormas[0].number as string;
      expect((await lineOf(b.id, started)).standing).toBe('IN_PRO_FORMA');

      expect((await cfa.agent.post(`/api/pro-formas/${number}/cancel`).set(cfa.auth)).status).toBe(200);
      await waitForProForma(api, api.users.cfa, number, (p) => p.status === 'CANCELLED');
      expect(await lineOf(b.id, started)).toMatchObject({
        standing: 'ELIGIBLE',
        standingLabel: 'Éligible',
        proForma: null,
      });
    });
  });
});
