import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { createContract, importContractRow, splitApprenticeName } from '../../db/contract-import';
import type { CostNatureCode, NewProFormaRow } from '../../db/schema';
import { nextProFormaNumber } from '../helpers/fixtures';
import { binary, startApiStack, type ApiStack, type TestUser } from '../helpers/api';

jest.setTimeout(120_000);

type Seeded = Pick<NewProFormaRow, 'kind' | 'nature' | 'total_cents' | 'status'> &
  Partial<Pick<NewProFormaRow, 'stage' | 'invoice_number' | 'deposited_at'>> & { createdAt: string };

/**
 * Searches that answer questions (issue 13): the pro forma list's new filters (and its exports), the eligible
 * installments' pages, sorts and advanced filters with the recap of the whole selection, and the recap before
 * generation (preview) — equal to what generation then creates, creating nothing, outdated (409) once the selection
 * changed.
 */
describe('searches', () => {
  let api: ApiStack;
  const db = () => api.stack.database.db;

  function get(user: TestUser, path: string) {
    const { agent, auth } = api.http(user);
    return agent.get(path).set(auth);
  }

  function post(user: TestUser, path: string, body: unknown) {
    const { agent, auth } = api.http(user);
    return agent
      .post(path)
      .set(auth)
      .send(body as object);
  }

  /** A contract of `cfaId` with its installments (nature, period start, amount); their ids, in order. */
  async function contract(
    cfaId: string,
    values: {
      number: string;
      apprenticeName: string;
      status?: 'ENGAGE' | 'RUPTURE';
      trainingSiret?: string;
      installments: [nature: CostNatureCode, periodStart: string, amountCents: number][];
    },
  ): Promise<string[]> {
    const row = await db()
      .insertInto('contracts')
      .values({
        cfa_id: cfaId,
        number: values.number,
        label: 'BTS Management commercial opérationnel',
        apprentice_name: values.apprenticeName,
        employer_name: 'Boulangerie du Centre',
        employer_siret: '73282932000074',
        training_siret: values.trainingSiret ?? null,
        start_date: '2025-09-01',
        end_date: '2027-08-31',
        status: values.status ?? 'ENGAGE',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ids: string[] = [];
    for (const [nature, periodStart, amountCents] of values.installments) {
      const inserted = await db()
        .insertInto('installments')
        .values({
          contract_id: row.id,
          nature,
          period_start: periodStart,
          period_end: periodStart.replace(/-\d\d$/, '-28'),
          amount_cents: amountCents,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(inserted.id);
    }
    return ids;
  }

  async function counts() {
    const { rows } = await sql<{ pro_formas: number; lines: number; audit: number }>`
      select (select count(*)::int from pro_formas) as pro_formas, (select count(*)::int from pro_forma_lines) as lines,
        (select count(*)::int from audit_events) as audit`.execute(db());
    return rows[0];
  }

  beforeAll(async () => {
    api = await startApiStack();
  });
  afterAll(() => api.teardown());

  describe('the pro forma list’s new filters', () => {
    const numbers: Record<string, string> = {};

    /** A pro forma row (as the activities write them) holding one line of a new installment of `contractNumber`. */
    async function seed(cfaId: string, key: string, row: Seeded, line: { contractId: string; periodStart: string }) {
      const number = await nextProFormaNumber(db());
      const { createdAt, ...columns } = row;
      const p = await db()
        .insertInto('pro_formas')
        .values({
          number,
          workflow_id: `pro-forma-${number}-seeded`,
          cfa_id: cfaId,
          settlement_mode: row.kind === 'CREDIT_NOTE' ? 'DEDUCTION' : null,
          created_at: createdAt,
          updated_at: createdAt,
          workflow_started_at: createdAt,
          ...columns,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const installment = await db()
        .insertInto('installments')
        .values({
          contract_id: line.contractId,
          nature: row.nature,
          period_start: line.periodStart,
          period_end: line.periodStart.replace(/-\d\d$/, '-28'),
          amount_cents: row.total_cents,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db()
        .insertInto('pro_forma_lines')
        .values({
          pro_forma_id: p.id,
          installment_id: installment.id,
          nature: row.nature,
          amount_cents: row.total_cents,
        })
        .execute();
      numbers[key] = number;
      return p.id;
    }

    /** A deposited version whose reading recorded `issueDate` (as db/invoices.ts records a reading). */
    async function reading(proFormaId: string, version: number, issueDate: string | null) {
      const sha = crypto.randomBytes(32).toString('hex');
      const document = await db()
        .insertInto('documents')
        .values({
          pro_forma_id: proFormaId,
          version,
          file_name: `facture-v${version}.pdf`,
          mime_type: 'application/pdf',
          size_bytes: 1000,
          sha256: sha,
          storage_key: sha,
          uploaded_by: null,
          request_id: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db()
        .insertInto('extractions')
        .values({ document_id: document.id, engine: 'TEXT_LAYER', fields: JSON.stringify({ issueDate }) })
        .execute();
    }

    async function contractId(cfaId: string, number: string, apprenticeName: string) {
      const row = await db()
        .insertInto('contracts')
        .values({
          cfa_id: cfaId,
          number,
          label: 'CAP Boulanger',
          apprentice_name: apprenticeName,
          employer_name: 'Fournil',
          employer_siret: '73282932000074',
          start_date: '2025-09-01',
          end_date: '2027-08-31',
          status: 'ENGAGE',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    beforeAll(async () => {
      const a = api.cfa.id;
      const b = api.otherCfa.id;
      await db().updateTable('cfas').set({ name: 'Institut Vauban des métiers' }).where('id', '=', b).execute();
      const l1 = await contractId(a, 'LST-001', 'Chloé Bernard');
      const l2 = await contractId(a, 'LST-002', 'Hugo Bernardin');
      const l3 = await contractId(b, 'LST-003', 'Chloé Bernard');
      // 23:30 UTC on 31 October is 00:30 on 1 November in Paris.
      const p1 = await seed(
        a,
        'p1',
        {
          kind: 'INVOICE',
          nature: 'PEDAGOGIE',
          total_cents: 157_501,
          status: 'UNDER_VALIDATION',
          stage: 'AWAITING_DECISION',
          invoice_number: 'FA-2026-001',
          deposited_at: '2026-11-03T10:00:00Z',
          createdAt: '2026-10-31T23:30:00Z',
        },
        { contractId: l1, periodStart: '2026-01-01' },
      );
      const p2 = await seed(
        a,
        'p2',
        {
          kind: 'INVOICE',
          nature: 'FRAIS_ANNEXES',
          total_cents: 35_051,
          status: 'UNDER_VALIDATION',
          stage: 'AWAITING_DECISION',
          invoice_number: 'INV-77',
          // 00:30 on 6 November in Paris.
          deposited_at: '2026-11-05T23:30:00Z',
          createdAt: '2026-10-31T22:30:00Z',
        },
        { contractId: l2, periodStart: '2026-01-01' },
      );
      await seed(
        a,
        'p3',
        {
          kind: 'CREDIT_NOTE',
          nature: 'PEDAGOGIE',
          total_cents: -41_351,
          status: 'AWAITING_INVOICE',
          createdAt: '2026-11-10T09:00:00Z',
        },
        { contractId: l1, periodStart: '2026-02-01' },
      );
      await seed(
        b,
        'q1',
        {
          kind: 'INVOICE',
          nature: 'PEDAGOGIE',
          total_cents: 157_502,
          status: 'UNDER_VALIDATION',
          stage: 'AWAITING_DECISION',
          invoice_number: 'FA-2026-001',
          deposited_at: '2026-11-02T10:00:00Z',
          createdAt: '2026-11-01T09:00:00Z',
        },
        { contractId: l3, periodStart: '2026-01-01' },
      );
      // P1: two versions, the latest read on 4 November; P2: one, read on 2 November.
      await reading(p1, 1, '2026-11-02');
      await reading(p1, 2, '2026-11-04');
      await reading(p2, 1, '2026-11-02');
    });

    async function listed(user: TestUser, query: string) {
      const res = await get(user, `/api/pro-formas?${query}`);
      expect(res.status).toBe(200);
      const found = (res.body.items as { number: string }[]).map((i) => i.number);
      // The total counts the filtered rows, whatever the page.
      expect(res.body.total).toBe(found.length);
      return found;
    }

    const keys = (...names: string[]) => names.map((n) => numbers[n]);

    it.each([
      ['createdFrom=2026-11-01&createdTo=2026-11-01', ['p1'], ['q1', 'p1']],
      ['createdTo=2026-10-31', ['p2'], ['p2']],
      ['createdFrom=2026-11-02', ['p3'], ['p3']],
      ['depositedFrom=2026-11-06', ['p2'], ['p2']],
      ['depositedFrom=2026-11-01&depositedTo=2026-11-05', ['p1'], ['q1', 'p1']],
      ['minAmountCents=100000', ['p1'], ['q1', 'p1']],
      ['maxAmountCents=0', ['p3'], ['p3']],
      ['minAmountCents=30000&maxAmountCents=40000', ['p2'], ['p2']],
      ['contractNumber=LST-001', ['p3', 'p1'], ['p3', 'p1']],
      ['contractNumber=LST-003', [], ['q1']],
      ['apprentice=bern', ['p3', 'p1', 'p2'], ['p3', 'q1', 'p1', 'p2']],
      ['apprentice=CHLOÉ%20Bernard', ['p3', 'p1'], ['p3', 'q1', 'p1']],
      ['apprentice=bernardin', ['p2'], ['p2']],
      ['apprentice=ernard', [], []],
      ['invoiceDate=2026-11-04', ['p1'], ['p1']],
      ['invoiceDate=2026-11-02', ['p2'], ['p2']],
      ['q=fa-2026', ['p1'], ['q1', 'p1']],
      ['q=inv-7', ['p2'], ['p2']],
      ['q=vauban', [], ['q1']],
      ['q=FA-2026&createdTo=2026-10-31', [], []],
      ['apprentice=bern&minAmountCents=0&createdFrom=2026-11-01', ['p1'], ['q1', 'p1']],
    ])('filters by %s (the CFA sees its own, staff every CFA’s)', async (query, own, all) => {
      // Only the seeded pro formas carry these dates, amounts and contracts.
      expect(await listed(api.users.cfa, query)).toEqual(keys(...own));
      expect(await listed(api.users.admin, query)).toEqual(keys(...all));
    });

    it('finds a pro forma by its number in the free text, however typed', async () => {
      const digits = (numbers.p2 as string).slice(4);
      expect(await listed(api.users.cfa, `q=${digits.replace(/^0+/, '')}`)).toEqual(keys('p2'));
      expect(await listed(api.users.validator, `q=${(numbers.p2 as string).toLowerCase()}`)).toEqual(keys('p2'));
      // Another CFA's pro forma is not found by its number either.
      expect(await listed(api.users.otherCfa, `q=${numbers.p2}`)).toEqual([]);
    });

    it('pages a filtered list, the total counting every filtered row', async () => {
      const res = await get(api.users.admin, '/api/pro-formas?apprentice=bern&pageSize=3&page=2');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 4, page: 2, pageSize: 3 });
      expect(res.body.items.map((i: { number: string }) => i.number)).toEqual(keys('p2'));
    });

    it('keeps the issue date of the latest reading, and none for an unreadable date', async () => {
      const row = () =>
        db()
          .selectFrom('pro_formas')
          .select('invoice_issue_date')
          .where('number', '=', numbers.p3 as string);
      const id = (
        await db()
          .selectFrom('pro_formas')
          .select('id')
          .where('number', '=', numbers.p3 as string)
          .executeTakeFirstOrThrow()
      ).id;
      await reading(id, 1, '2026-02-30');
      expect((await row().executeTakeFirstOrThrow()).invoice_issue_date).toBeNull();
      await reading(id, 2, '2026-11-12');
      expect((await row().executeTakeFirstOrThrow()).invoice_issue_date).toBe('2026-11-12');
      expect(await listed(api.users.cfa, 'invoiceDate=2026-11-12')).toEqual(keys('p3'));
    });

    it('exports what the filters select, in Excel and in CSV', async () => {
      const res = await get(api.users.cfa, '/api/pro-formas/export.csv?apprentice=bern&maxAmountCents=100000')
        .buffer(true)
        .parse(binary);
      expect(res.status).toBe(200);
      const lines = (res.body as Buffer).toString('utf8').slice(1).split('\r\n').filter(Boolean);
      expect(lines.slice(1).map((l) => l.split(';')[0])).toEqual(keys('p3', 'p2'));

      const xlsx = await get(api.users.admin, '/api/pro-formas/export.xlsx?q=FA-2026-001&depositedTo=2026-11-02')
        .buffer(true)
        .parse(binary);
      expect(xlsx.status).toBe(200);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(xlsx.body as unknown as ExcelJS.Buffer);
      const sheet = book.getWorksheet('Pro formas');
      if (!sheet) throw new Error('no sheet');
      const exported: unknown[] = [];
      sheet.eachRow((r, i) => {
        if (i > 1) exported.push(r.getCell(1).value);
      });
      expect(exported).toEqual(keys('q1'));
    });

    it.each([
      ['createdFrom=2026-11-02&createdTo=2026-11-01', 'createdTo', 'Dates de génération : la fin précède le début'],
      ['minAmountCents=5&maxAmountCents=4', 'maxAmountCents', 'Montants : la fin précède le début'],
      ['minAmountCents=douze', 'minAmountCents', undefined],
      ['invoiceDate=2026-13-01', 'invoiceDate', undefined],
    ])('refuses %s with a French message naming the parameter', async (query, path, message) => {
      for (const route of ['/api/pro-formas', '/api/pro-formas/export.csv']) {
        const res = await get(api.users.cfa, `${route}?${query}`);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('INVALID_QUERY');
        const issues = res.body.error.details.issues as { path: string; message: string }[];
        expect(JSON.stringify(issues)).toContain(path);
        if (message) expect(JSON.stringify(issues)).toContain(message);
      }
    });
  });

  describe('the eligible installments', () => {
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const a = api.cfa.id;
      const [a1, a2, later] = await contract(a, {
        number: 'ELI-A1',
        apprenticeName: 'Léa Martin',
        trainingSiret: '11111111111111',
        installments: [
          ['PEDAGOGIE', '2026-01-01', 100_000],
          ['PEDAGOGIE', '2026-02-01', 50_000],
          ['PEDAGOGIE', '2027-01-01', 99_999],
        ],
      });
      const [b1, b2] = await contract(a, {
        number: 'ELI-A2',
        apprenticeName: 'Lucas Martinez',
        status: 'RUPTURE',
        trainingSiret: '22222222222222',
        installments: [
          ['PEDAGOGIE', '2026-01-01', -20_000],
          ['PEDAGOGIE', '2026-03-01', 30_000],
        ],
      });
      const [c1] = await contract(a, {
        number: 'ELI-A3',
        apprenticeName: 'Martin Dupont',
        installments: [['PEDAGOGIE', '2026-02-01', 70_000]],
      });
      // Another CFA's: never listed.
      await contract(api.otherCfa.id, {
        number: 'ELI-B1',
        apprenticeName: 'Léa Martin',
        installments: [['PEDAGOGIE', '2026-01-01', 12_345]],
      });
      Object.assign(ids, { a1, a2, later, b1, b2, c1 });
    });

    async function eligible(query: string) {
      const res = await get(api.users.cfa, `/api/installments/eligible?nature=PEDAGOGIE&${query}`);
      expect(res.status).toBe(200);
      return res.body as {
        items: { id: string; contractNumber: string; amountCents: number; apprenticeFirstName: string }[];
        total: number;
        page: number;
        pageSize: number;
        recap: { count: number; invoiceCents: number; creditCents: number; totalCents: number };
      };
    }

    const whole = { count: 5, invoiceCents: 250_000, creditCents: -20_000, totalCents: 230_000 };

    it('pages the selection sorted by amount, the recap over the whole selection on every page', async () => {
      const pages = [];
      for (const page of [1, 2, 3]) pages.push(await eligible(`sort=amount&order=desc&pageSize=2&page=${page}`));
      expect(pages.map((p) => p.items.map((i) => i.amountCents))).toEqual([
        [100_000, 70_000],
        [50_000, 30_000],
        [-20_000],
      ]);
      for (const [n, p] of pages.entries()) {
        expect(p).toMatchObject({ total: 5, page: n + 1, pageSize: 2, recap: whole });
      }
    });

    it.each([
      ['sort=contractNumber', ['a1', 'a2', 'b1', 'b2', 'c1']],
      ['sort=contractNumber&order=desc', ['c1', 'b2', 'b1', 'a2', 'a1']],
      // Dupont (Martin), Martin (Léa), Martinez (Lucas).
      ['sort=apprentice', ['c1', 'a1', 'a2', 'b1', 'b2']],
      ['sort=apprentice&order=desc', ['b2', 'b1', 'a2', 'a1', 'c1']],
      ['sort=periodStart', ['a1', 'b1', 'a2', 'c1', 'b2']],
      ['sort=amount', ['b1', 'b2', 'a2', 'c1', 'a1']],
    ])('sorts by %s', async (query, order) => {
      const found = await eligible(query);
      expect(found.items.map((i) => i.id)).toEqual(order.map((k) => ids[k]));
      expect(found.recap).toEqual(whole);
    });

    it.each([
      // The first name apart from the last name: « Martin » the first name is not « Martin » the last name.
      ['apprenticeFirstName=mar', ['c1'], { count: 1, invoiceCents: 70_000, creditCents: 0, totalCents: 70_000 }],
      [
        'apprenticeLastName=MARTIN',
        ['a1', 'a2', 'b1', 'b2'],
        { count: 4, invoiceCents: 180_000, creditCents: -20_000, totalCents: 160_000 },
      ],
      [
        'apprenticeLastName=martin&apprenticeFirstName=L%C3%A9',
        ['a1', 'a2'],
        { count: 2, invoiceCents: 150_000, creditCents: 0, totalCents: 150_000 },
      ],
      [
        'trainingSiret=22222222222222',
        ['b1', 'b2'],
        { count: 2, invoiceCents: 30_000, creditCents: -20_000, totalCents: 10_000 },
      ],
      [
        'contractStatus=RUPTURE',
        ['b1', 'b2'],
        { count: 2, invoiceCents: 30_000, creditCents: -20_000, totalCents: 10_000 },
      ],
      [
        'contractStatus=ENGAGE&apprenticeLastName=d',
        ['c1'],
        { count: 1, invoiceCents: 70_000, creditCents: 0, totalCents: 70_000 },
      ],
      ['apprenticeFirstName=zo', [], { count: 0, invoiceCents: 0, creditCents: 0, totalCents: 0 }],
    ])('filters by %s, with the recap of that selection', async (query, expected, recap) => {
      const found = await eligible(`${query}&pageSize=1`);
      expect(found.total).toBe(expected.length);
      expect(found.recap).toEqual(recap);
      const all = await eligible(query);
      expect(all.items.map((i) => i.id)).toEqual(expected.map((k) => ids[k]));
    });

    it('answers the parts of the name and the teaching SIRET', async () => {
      const found = await eligible('contractNumber=ELI-A3');
      expect(found.items).toEqual([
        expect.objectContaining({
          apprenticeName: 'Martin Dupont',
          apprenticeFirstName: 'Martin',
          apprenticeLastName: 'Dupont',
          trainingSiret: null,
        }),
      ]);
    });

    it.each(['sort=name', 'order=up', 'trainingSiret=123', 'pageSize=201', 'startFrom=2026-02-01&startTo=2026-01-01'])(
      'refuses %s',
      async (query) => {
        const res = await get(api.users.cfa, `/api/installments/eligible?nature=PEDAGOGIE&${query}`);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('INVALID_QUERY');
      },
    );
  });

  describe('the names of an apprentice', () => {
    it('splits a full name on its first space, unless the parts are given', async () => {
      expect(splitApprenticeName('Jean Pierre Dupont')).toEqual({ firstName: 'Jean', lastName: 'Pierre Dupont' });
      expect(splitApprenticeName('  Madonna ')).toEqual({ firstName: '', lastName: 'Madonna' });
      expect(splitApprenticeName('Jean Pierre Dupont', { firstName: 'Jean Pierre', lastName: 'Dupont' })).toEqual({
        firstName: 'Jean Pierre',
        lastName: 'Dupont',
      });
    });

    async function names(number: string) {
      return db()
        .selectFrom('contracts')
        .select(['apprentice_first_name', 'apprentice_last_name', 'training_siret'])
        .where('number', '=', number)
        .executeTakeFirstOrThrow();
    }

    it('keeps them through creation, import and any write (the trigger splits what is not given)', async () => {
      const base = {
        cfaId: api.cfa.id,
        label: 'CAP Pâtissier',
        employerName: 'Pâtisserie',
        employerSiret: '73282932000074',
        startDate: '2025-09-01',
        endDate: '2027-08-31',
        status: 'ENGAGE' as const,
      };
      await createContract(db(), { ...base, number: 'NAM-1', apprenticeName: 'Jean Pierre Dupont' }, []);
      expect(await names('NAM-1')).toEqual({
        apprentice_first_name: 'Jean',
        apprentice_last_name: 'Pierre Dupont',
        training_siret: null,
      });
      await createContract(
        db(),
        {
          ...base,
          number: 'NAM-2',
          apprenticeName: 'Jean Pierre Dupont',
          apprenticeFirstName: 'Jean Pierre',
          apprenticeLastName: 'Dupont',
          trainingSiret: '33333333333333',
        },
        [],
      );
      expect(await names('NAM-2')).toEqual({
        apprentice_first_name: 'Jean Pierre',
        apprentice_last_name: 'Dupont',
        training_siret: '33333333333333',
      });
      const row = {
        ...base,
        cfaSiret: api.cfa.siret,
        number: 'NAM-3',
        apprenticeName: 'Anne Marie Curie',
        installment: {
          nature: 'PEDAGOGIE' as const,
          periodStart: '2026-01-01',
          periodEnd: '2026-01-31',
          amountCents: 1000,
        },
      };
      // An old workbook's row: neither the parts nor the teaching SIRET.
      expect(await importContractRow(db(), row)).toEqual({ kind: 'created' });
      expect(await names('NAM-3')).toEqual({
        apprentice_first_name: 'Anne',
        apprentice_last_name: 'Marie Curie',
        training_siret: null,
      });
      // A new one gives them; importing again without the teaching SIRET keeps it.
      await importContractRow(db(), {
        ...row,
        apprenticeFirstName: 'Anne Marie',
        apprenticeLastName: 'Curie',
        trainingSiret: '44444444444444',
      });
      await importContractRow(db(), row);
      expect(await names('NAM-3')).toEqual({
        apprentice_first_name: 'Anne',
        apprentice_last_name: 'Marie Curie',
        training_siret: '44444444444444',
      });
      // A direct write of the full name alone splits it again.
      await db()
        .updateTable('contracts')
        .set({ apprentice_name: 'Marie Curie' })
        .where('number', '=', 'NAM-3')
        .execute();
      expect(await names('NAM-3')).toMatchObject({ apprentice_first_name: 'Marie', apprentice_last_name: 'Curie' });
    });
  });

  describe('the recap before generation', () => {
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const [m1, m2, m3, later] = await contract(api.cfa.id, {
        number: 'GEN-A1',
        apprenticeName: 'Inès Roux',
        installments: [
          ['MOBILITE', '2026-01-01', 40_000],
          ['MOBILITE', '2026-02-01', 25_000],
          ['MOBILITE', '2026-03-01', -5_000],
          ['MOBILITE', '2027-03-01', 8_000],
        ],
      });
      const [pedagogy] = await contract(api.cfa.id, {
        number: 'GEN-A2',
        apprenticeName: 'Tom Petit',
        installments: [['PREMIER_EQUIPEMENT', '2026-01-01', 9_000]],
      });
      const [foreign] = await contract(api.otherCfa.id, {
        number: 'GEN-B1',
        apprenticeName: 'Zoé Morel',
        installments: [['MOBILITE', '2026-01-01', 7_000]],
      });
      Object.assign(ids, { m1, m2, m3, later, pedagogy, foreign });
    });

    it('shows what generation then creates, without creating anything', async () => {
      const settlement = (
        await db()
          .selectFrom('cfas')
          .select('credit_note_settlement')
          .where('id', '=', api.cfa.id)
          .executeTakeFirstOrThrow()
      ).credit_note_settlement;
      const before = await counts();
      const preview = await post(api.users.cfa, '/api/pro-formas/preview', { nature: 'MOBILITE' });
      expect(preview.status).toBe(200);
      expect(preview.body).toEqual({
        nature: 'MOBILITE',
        included: { count: 3 },
        excluded: { count: 0, byReason: [], items: [] },
        recap: { count: 3, invoiceCents: 65_000, creditCents: -5_000, totalCents: 60_000 },
        proFormas: [
          { kind: 'INVOICE', nature: 'MOBILITE', totalCents: 65_000, lineCount: 2, settlementMode: null },
          { kind: 'CREDIT_NOTE', nature: 'MOBILITE', totalCents: -5_000, lineCount: 1, settlementMode: settlement },
        ],
        generable: true,
        blocking: null,
        previewToken: expect.stringMatching(/^pv1\.[A-Za-z0-9_-]{43}$/),
      });
      // Asked twice, the same answer and the same token; nothing created.
      const again = await post(api.users.cfa, '/api/pro-formas/preview', { nature: 'MOBILITE' });
      expect(again.body).toEqual(preview.body);
      expect(await counts()).toEqual(before);

      const generated = await post(api.users.cfa, '/api/pro-formas', {
        nature: 'MOBILITE',
        previewToken: preview.body.previewToken,
      });
      expect(generated.status).toBe(201);
      const created = generated.body.proFormas as {
        number: string;
        kind: string;
        nature: string;
        totalCents: number;
        lineCount: number;
        settlementMode: string | null;
      }[];
      expect(
        created.map(({ kind, nature, totalCents, lineCount, settlementMode }) => ({
          kind,
          nature,
          totalCents,
          lineCount,
          settlementMode,
        })),
      ).toEqual(preview.body.proFormas);
      // The database holds exactly that: the pro formas, their lines and amounts.
      const lines = await db()
        .selectFrom('pro_forma_lines as l')
        .innerJoin('pro_formas as p', 'p.id', 'l.pro_forma_id')
        .select(['p.number', 'p.total_cents', 'l.installment_id', 'l.amount_cents'])
        .where(
          'p.number',
          'in',
          created.map((c) => c.number),
        )
        .orderBy('l.amount_cents', 'desc')
        .execute();
      expect(lines.map((l) => [l.installment_id, l.amount_cents])).toEqual([
        [ids.m1, 40_000],
        [ids.m2, 25_000],
        [ids.m3, -5_000],
      ]);
      const after = await counts();
      expect(after?.pro_formas).toBe((before?.pro_formas ?? 0) + 2);
      expect(after?.lines).toBe((before?.lines ?? 0) + 3);
    });

    it('gives the reason of each exclusion, and what generation would answer', async () => {
      const unknown = crypto.randomUUID();
      const [fresh, other] = await contract(api.cfa.id, {
        number: 'GEN-A3',
        apprenticeName: 'Adam Girard',
        installments: [
          ['MOBILITE', '2026-04-01', 11_000],
          ['MOBILITE', '2026-05-01', 12_000],
        ],
      });
      const selection = [fresh, ids.m1, ids.later, ids.pedagogy, ids.foreign, unknown];
      const before = await counts();
      const preview = await post(api.users.cfa, '/api/pro-formas/preview', {
        nature: 'MOBILITE',
        installmentIds: selection,
      });
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({
        included: { count: 1 },
        recap: { count: 1, invoiceCents: 11_000, creditCents: 0, totalCents: 11_000 },
        proFormas: [{ kind: 'INVOICE', nature: 'MOBILITE', totalCents: 11_000, lineCount: 1, settlementMode: null }],
        generable: false,
        blocking: { code: 'INSTALLMENT_NOT_ELIGIBLE' },
      });
      expect(preview.body.excluded.count).toBe(6);
      expect(preview.body.excluded.items).toEqual([
        { installmentId: ids.m1, reason: 'ALREADY_BILLED', label: 'Échéance déjà dans une pro forma' },
        { installmentId: ids.later, reason: 'NOT_STARTED', label: 'Période non commencée' },
        { installmentId: ids.pedagogy, reason: 'OTHER_NATURE', label: 'Échéance d’une autre nature de coûts' },
        { installmentId: ids.foreign, reason: 'OTHER_CFA', label: 'Échéance d’un autre CFA' },
        { installmentId: unknown, reason: 'UNKNOWN', label: 'Échéance inconnue' },
      ]);
      // The eligible installment left out of the selection (`other`) is counted as not selected.
      expect(preview.body.excluded.byReason).toEqual(
        expect.arrayContaining([{ reason: 'NOT_SELECTED', label: 'Échéance éligible non sélectionnée', count: 1 }]),
      );
      expect(other).toBeDefined();
      expect(await counts()).toEqual(before);
      // Generation answers what the preview announced.
      const generated = await post(api.users.cfa, '/api/pro-formas', {
        nature: 'MOBILITE',
        installmentIds: selection,
        previewToken: preview.body.previewToken,
      });
      expect(generated.status).toBe(409);
      expect(generated.body.error.code).toBe('INSTALLMENT_NOT_ELIGIBLE');
      expect(await counts()).toEqual(before);
    });

    it('refuses (409 PREVIEW_OUTDATED) a generation whose selection changed since its preview', async () => {
      const [x, y] = await contract(api.cfa.id, {
        number: 'GEN-A4',
        apprenticeName: 'Emma Leroy',
        installments: [
          ['FRAIS_ANNEXES', '2026-06-01', 10_000],
          ['FRAIS_ANNEXES', '2026-07-01', 20_000],
        ],
      });
      const preview = await post(api.users.cfa, '/api/pro-formas/preview', {
        nature: 'FRAIS_ANNEXES',
        installmentIds: [x, y],
      });
      expect(preview.body).toMatchObject({ generable: true, included: { count: 2 } });
      // Meanwhile, another request bills one of them.
      const other = await post(api.users.cfa, '/api/pro-formas', { nature: 'FRAIS_ANNEXES', installmentIds: [x] });
      expect(other.status).toBe(201);
      const before = await counts();
      const late = await post(api.users.cfa, '/api/pro-formas', {
        nature: 'FRAIS_ANNEXES',
        installmentIds: [x, y],
        previewToken: preview.body.previewToken,
      });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('PREVIEW_OUTDATED');
      expect(late.body.error.message).toMatch(/^La sélection a changé depuis le récapitulatif/);
      expect(await counts()).toEqual(before);
      // A new preview of what is left gives a token that generates.
      const fresh = await post(api.users.cfa, '/api/pro-formas/preview', {
        nature: 'FRAIS_ANNEXES',
        installmentIds: [y],
      });
      const ok = await post(api.users.cfa, '/api/pro-formas', {
        nature: 'FRAIS_ANNEXES',
        installmentIds: [y],
        previewToken: fresh.body.previewToken,
      });
      expect(ok.status).toBe(201);
    });

    it('refuses a token once the whole selection gained an installment, an amount changed, or a token is forged', async () => {
      await contract(api.cfa.id, {
        number: 'GEN-A5',
        apprenticeName: 'Noah Blanc',
        installments: [['PREMIER_EQUIPEMENT', '2026-06-01', 10_000]],
      });
      const preview = await post(api.users.cfa, '/api/pro-formas/preview', { nature: 'PREMIER_EQUIPEMENT' });
      expect(preview.body.included.count).toBe(2);
      const [added] = await contract(api.cfa.id, {
        number: 'GEN-A6',
        apprenticeName: 'Jade Faure',
        installments: [['PREMIER_EQUIPEMENT', '2026-07-01', 3_000]],
      });
      const body = { nature: 'PREMIER_EQUIPEMENT', previewToken: preview.body.previewToken };
      expect((await post(api.users.cfa, '/api/pro-formas', body)).body.error.code).toBe('PREVIEW_OUTDATED');
      const renewed = await post(api.users.cfa, '/api/pro-formas/preview', { nature: 'PREMIER_EQUIPEMENT' });
      await db()
        .updateTable('installments')
        .set({ amount_cents: 3_001 })
        .where('id', '=', added as string)
        .execute();
      const changed = await post(api.users.cfa, '/api/pro-formas', {
        ...body,
        previewToken: renewed.body.previewToken,
      });
      expect(changed.status).toBe(409);
      expect(changed.body.error.code).toBe('PREVIEW_OUTDATED');
      const forged = await post(api.users.cfa, '/api/pro-formas', { ...body, previewToken: 'pv1.forged' });
      expect(forged.body.error.code).toBe('PREVIEW_OUTDATED');
      // Another CFA's preview of the same body is its own: it does not generate for this CFA.
      const theirs = await post(api.users.otherCfa, '/api/pro-formas/preview', { nature: 'PREMIER_EQUIPEMENT' });
      expect(theirs.status).toBe(200);
      expect(theirs.body.included.count).toBe(0);
      expect(
        (await post(api.users.cfa, '/api/pro-formas', { ...body, previewToken: theirs.body.previewToken })).status,
      ).toBe(409);
    });

    it('is the CFA’s own, with the right to generate; the body is checked like generation’s', async () => {
      expect((await post(api.users.admin, '/api/pro-formas/preview', { nature: 'MOBILITE' })).status).toBe(403);
      expect((await post(api.users.validator, '/api/pro-formas/preview', { nature: 'MOBILITE' })).status).toBe(403);
      const bad = await post(api.users.cfa, '/api/pro-formas/preview', { nature: 'MOBILITE', extra: 1 });
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    });
  });
});
