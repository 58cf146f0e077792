import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { getProFormaQuery, proFormaWorkflowId } from '../../workflows/pro-forma.messages';
import { TotalCentsKey } from '../../workflows/search-attributes';
import { binary, seedInstallments, startApiStack, waitForProForma, type ApiStack, type TestUser } from '../helpers/api';
import { contractRow } from '../helpers/fixtures';

jest.setTimeout(90_000);

/** 999 999 999,99 €: the SEPA limit, the most one installment may carry. */
const BOUND = 99_999_999_999;
const BOUND_RULE =
  'entre -999\u202f999\u202f999,99\u00a0€ et 999\u202f999\u202f999,99\u00a0€ (plafond d’un virement SEPA)';

/**
 * Amounts past 2^53 cents once made the eligible list and the generation of their cost nature answer 500 for good
 * (issue 8). They are now bounded where they enter (API, import, database), and every sum is exact.
 */
describe('amounts bounded where they enter', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await startApiStack();
  });
  afterAll(() => api.teardown());

  const as = (user: TestUser) => {
    const { agent, auth } = api.http(user);
    return {
      get: (path: string) => agent.get(path).set(auth),
      post: (path: string, body?: object) => agent.post(path).set(auth).send(body),
    };
  };

  function contract(installments: { nature: string; periodStart: string; amountCents: number }[]) {
    return {
      cfaId: api.cfa.id,
      number: `DECA-AMT-${crypto.randomBytes(4).toString('hex')}`,
      label: 'BTS Management commercial opérationnel',
      apprenticeName: 'Léa Martin',
      employerName: 'Boulangerie du Centre',
      employerSiret: '73282932000074',
      startDate: '2025-09-01',
      endDate: '2027-08-31',
      status: 'ENGAGE',
      installments: installments.map((i) => ({ ...i, periodEnd: '2026-11-30' })),
    };
  }

  async function contractsNumbered(number: string) {
    return api.stack.database.db.selectFrom('contracts').select('id').where('number', '=', number).execute();
  }

  it.each([
    ['2^53 − 1 cents', Number.MAX_SAFE_INTEGER],
    ['one cent past the bound', BOUND + 1],
    ['one cent past the bound, negative', -(BOUND + 1)],
  ])('refuses a contract whose installment is %s: 422 in French, nothing created', async (_case, amountCents) => {
    const body = contract([{ nature: 'FRAIS_ANNEXES', periodStart: '2026-09-01', amountCents }]);

    const res = await as(api.users.admin).post('/api/admin/contracts', body);

    expect([res.status, res.body]).toEqual([
      422,
      {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'Données invalides.',
          details: {
            issues: [
              {
                path: 'installments.0.amountCents',
                message: `Montant hors limites : une échéance est comprise ${BOUND_RULE}.`,
              },
            ],
          },
        },
      },
    ]);
    expect(await contractsNumbered(body.number)).toEqual([]);
  });

  it('accepts installments of exactly 999 999 999,99 €, positive and negative', async () => {
    const body = contract([
      { nature: 'FRAIS_ANNEXES', periodStart: '2026-09-01', amountCents: BOUND },
      { nature: 'FRAIS_ANNEXES', periodStart: '2026-10-01', amountCents: -BOUND },
    ]);

    const res = await as(api.users.admin).post('/api/admin/contracts', body);

    expect(res.status).toBe(201);
    expect(res.body.installments.map((i: { amountCents: number }) => i.amountCents)).toEqual([BOUND, -BOUND]);
  });

  it('lists and generates several installments at the bound with exact totals', async () => {
    const months = ['2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01', '2026-07-01'];
    const amounts = [BOUND, BOUND, BOUND, -BOUND, -BOUND];
    const created = await as(api.users.admin).post(
      '/api/admin/contracts',
      contract(amounts.map((amountCents, i) => ({ nature: 'PEDAGOGIE', periodStart: months[i] ?? '', amountCents }))),
    );
    expect(created.status).toBe(201);
    const cfa = as(api.users.cfa);

    const eligible = await cfa.get('/api/installments/eligible?nature=PEDAGOGIE');
    expect(eligible.status).toBe(200);
    expect(eligible.body.items.map((i: { amountCents: number }) => i.amountCents)).toEqual(amounts);
    expect(eligible.body.recap).toEqual({
      count: 5,
      invoiceCents: 299_999_999_997,
      creditCents: -199_999_999_998,
      totalCents: 99_999_999_999,
    });

    const generated = await cfa.post('/api/pro-formas', { nature: 'PEDAGOGIE' });
    expect(generated.status).toBe(201);
    expect(generated.body.proFormas).toMatchObject([
      { kind: 'INVOICE', totalCents: 299_999_999_997, lineCount: 3, status: 'AWAITING_INVOICE' },
      { kind: 'CREDIT_NOTE', totalCents: -199_999_999_998, lineCount: 2, status: 'AWAITING_INVOICE' },
    ]);

    // The workflows carry the totals too (summary in euros, TotalCents search attribute): they must run with them.
    for (const { number, totalCents } of generated.body.proFormas as { number: string; totalCents: number }[]) {
      const detail = await waitForProForma(api, api.users.cfa, number, (p) => p.status === 'AWAITING_INVOICE');
      expect(detail).toMatchObject({ number, totalCents });
      const handle = api.stack.client.workflow.getHandle(proFormaWorkflowId(number));
      expect(await handle.query(getProFormaQuery)).toMatchObject({ number, totalCents });
      expect((await handle.describe()).typedSearchAttributes.get(TotalCentsKey)).toBe(totalCents);
    }
  });

  it('imports the rows within the bound and refuses each row beyond it with the reason, in French', async () => {
    const admin = api.http(api.users.admin);
    const template = await admin.agent
      .get('/api/admin/imports/contracts/template.xlsx')
      .set(admin.auth)
      .buffer(true)
      .parse(binary);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(template.body as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('Contrats');
    if (!sheet) throw new Error('no sheet in the template');
    const number = `DECA-IMP-AMT-${crypto.randomBytes(3).toString('hex')}`;
    const row = (periodStart: string, amount: ExcelJS.CellValue) =>
      sheet.addRow(
        contractRow({ cfaSiret: api.cfa.siret, contractNumber: number, periodStart, periodEnd: '30/11/2026', amount }),
      );
    row('01/01/2026', 90_071_992_547_409.91);
    row('01/02/2026', '90 071 992 547 409,91 €');
    row('01/03/2026', '-1 000 000 000,00');
    row('01/04/2026', 999_999_999.99);
    row('01/05/2026', '-999 999 999,99 €');
    // 678 221 036,17 × 100 is 67 822 103 616,99999 in floating point: read from its digits, it is exact.
    row('01/06/2026', 678_221_036.17);
    row('01/07/2026', { formula: '1000+234.567', result: 1234.567 });

    const res = await admin.agent
      .post('/api/admin/imports/contracts')
      .set(admin.auth)
      .attach('file', Buffer.from(await book.xlsx.writeBuffer()), 'contrats.xlsx');

    const outOfBounds = `Colonne « Montant (€) » : montant hors limites : une échéance est comprise ${BOUND_RULE}.`;
    expect([res.status, res.body]).toEqual([
      200,
      {
        imported: 3,
        unchanged: 0,
        rejected: [
          { row: 2, error: outOfBounds },
          { row: 3, error: outOfBounds },
          { row: 4, error: outOfBounds },
          { row: 8, error: 'Colonne « Montant (€) » : deux décimales au plus.' },
        ],
      },
    ]);
    const stored = await api.stack.database.db
      .selectFrom('installments as i')
      .innerJoin('contracts as c', 'c.id', 'i.contract_id')
      .select(['i.period_start', 'i.amount_cents'])
      .where('c.number', '=', number)
      .orderBy('i.period_start')
      .execute();
    expect(stored).toEqual([
      { period_start: '2026-04-01', amount_cents: BOUND },
      { period_start: '2026-05-01', amount_cents: -BOUND },
      { period_start: '2026-06-01', amount_cents: 67_822_103_617 },
    ]);
  });

  // Last: it leaves this file's database as the migration leaves one that held such amounts (constraint NOT VALID).
  it('answers 422, not 500, when amounts stored before the bound sum past 2^53', async () => {
    const db = api.stack.database.db;
    await sql`alter table installments drop constraint installments_amount_cents_bound_check`.execute(db);
    const legacy = await seedInstallments(api, api.otherCfa.id, [Number.MAX_SAFE_INTEGER, 100]);
    await sql`
      alter table installments add constraint installments_amount_cents_bound_check
      check (amount_cents between -99999999999 and 99999999999) not valid`.execute(db);
    const cfa = as(api.users.otherCfa);
    const tooLarge = {
      error: {
        code: 'AMOUNT_OUT_OF_RANGE',
        message:
          'Le total des 2 échéances dépasse 90\u202f071\u202f992\u202f547\u202f409,91\u00a0€ : réduisez la sélection.',
        details: { count: 2, totalCents: '9007199254741091' },
      },
    };

    const eligible = await cfa.get('/api/installments/eligible?nature=PEDAGOGIE');
    const generated = await cfa.post('/api/pro-formas', { nature: 'PEDAGOGIE' });

    expect([eligible.status, eligible.body]).toEqual([422, tooLarge]);
    expect([generated.status, generated.body]).toEqual([422, tooLarge]);
    expect(
      await db
        .selectFrom('pro_forma_lines')
        .select('id')
        .where('installment_id', 'in', legacy.installmentIds)
        .execute(),
    ).toEqual([]);
  });
});
