import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import type { NewProFormaRow } from '../../db/schema';
import { TEMPLATE_COLUMNS } from '../../extraction/contracts-workbook';
import { nextProFormaNumber } from '../helpers/fixtures';
import { binary, seedInstallments, startApiStack, type ApiStack, type TestUser } from '../helpers/api';

jest.setTimeout(90_000);

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

type Seeded = Pick<NewProFormaRow, 'kind' | 'nature' | 'total_cents' | 'status'> &
  Partial<
    Pick<
      NewProFormaRow,
      'stage' | 'invoice_number' | 'refusal_origin' | 'deposited_at' | 'validated_at' | 'refused_at' | 'paid_at'
    >
  > & {
    createdAt: string;
  };

/**
 * Lists, dashboard and exports read the PostgreSQL read model: rows written here directly (as the workflows'
 * activities would) are enough, and the answers are checked exactly, the workbooks cell by cell.
 */
describe('lists, dashboard and exports', () => {
  let api: ApiStack;
  const numbers: Record<string, string> = {};

  async function seed(cfaId: string, key: string, row: Seeded): Promise<string> {
    const db = api.stack.database.db;
    const number = await nextProFormaNumber(db);
    const { createdAt, ...columns } = row;
    await db
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
      .execute();
    numbers[key] = number;
    return number;
  }

  beforeAll(async () => {
    api = await startApiStack();
    const a = api.cfa.id;
    const b = api.otherCfa.id;
    await api.stack.database.db
      .updateTable('cfas')
      .set({ name: '=HYPERLINK("http://x")' })
      .where('id', '=', b)
      .execute();
    await seed(a, 'awaiting', {
      kind: 'INVOICE',
      nature: 'PEDAGOGIE',
      total_cents: 157_500,
      status: 'AWAITING_INVOICE',
      createdAt: '2026-11-01T09:00:00Z',
    });
    await seed(a, 'credit', {
      kind: 'CREDIT_NOTE',
      nature: 'PEDAGOGIE',
      total_cents: -41_350,
      status: 'AWAITING_INVOICE',
      createdAt: '2026-11-01T09:00:00Z',
    });
    await seed(a, 'deciding', {
      kind: 'INVOICE',
      nature: 'MOBILITE',
      total_cents: 35_050,
      status: 'UNDER_VALIDATION',
      stage: 'AWAITING_DECISION',
      invoice_number: 'FA-0003',
      deposited_at: '2026-11-05T10:00:00Z',
      createdAt: '2026-11-02T09:00:00Z',
    });
    await seed(a, 'autoRefused', {
      kind: 'INVOICE',
      nature: 'PEDAGOGIE',
      total_cents: 100_000,
      status: 'REFUSED',
      refusal_origin: 'AUTOMATIC',
      invoice_number: 'FA-0004',
      deposited_at: '2026-11-06T10:00:00Z',
      refused_at: '2026-11-06T10:05:00Z',
      createdAt: '2026-11-03T09:00:00Z',
    });
    await seed(a, 'rejected', {
      kind: 'INVOICE',
      nature: 'FRAIS_ANNEXES',
      total_cents: 48_000,
      status: 'REFUSED',
      refusal_origin: 'MANUAL',
      invoice_number: 'FA-0005',
      deposited_at: '2026-11-07T10:00:00Z',
      refused_at: '2026-11-08T15:30:00Z',
      createdAt: '2026-11-04T09:00:00Z',
    });
    await seed(a, 'validated', {
      kind: 'INVOICE',
      nature: 'PEDAGOGIE',
      total_cents: 257_500,
      status: 'VALIDATED',
      stage: 'AWAITING_PAYMENT',
      invoice_number: 'FA-0006',
      deposited_at: '2026-11-09T10:00:00Z',
      validated_at: '2026-11-10T08:00:00Z',
      createdAt: '2026-11-05T09:00:00Z',
    });
    await seed(a, 'paid', {
      kind: 'INVOICE',
      nature: 'PREMIER_EQUIPEMENT',
      total_cents: 50_000,
      status: 'PAID',
      invoice_number: 'FA-0007',
      deposited_at: '2026-11-11T10:00:00Z',
      validated_at: '2026-11-12T08:00:00Z',
      paid_at: '2026-11-20T23:30:00Z',
      createdAt: '2026-11-06T09:00:00Z',
    });
    await seed(b, 'otherDeciding', {
      kind: 'INVOICE',
      nature: 'PEDAGOGIE',
      total_cents: 99_900,
      status: 'UNDER_VALIDATION',
      stage: 'AWAITING_DECISION',
      invoice_number: 'FA-0003',
      deposited_at: '2026-11-04T10:00:00Z',
      createdAt: '2026-11-07T09:00:00Z',
    });
    await seed(b, 'otherCancelled', {
      kind: 'INVOICE',
      nature: 'PEDAGOGIE',
      total_cents: 12_300,
      status: 'CANCELLED',
      deposited_at: '2026-11-08T10:00:00Z',
      createdAt: '2026-11-08T09:00:00Z',
    });
  });
  afterAll(() => api.teardown());

  const get = (user: TestUser, path: string) => {
    const { agent, auth } = api.http(user);
    return agent.get(path).set(auth);
  };
  const listed = async (user: TestUser, query: string) =>
    ((await get(user, `/api/pro-formas${query}`)).body.items as { number: string }[]).map((p) => p.number);
  const n = (...keys: string[]) => keys.map((k) => numbers[k]);

  describe('lists', () => {
    it('lists newest first, the number breaking ties, with pages and the total', async () => {
      const all = await get(api.users.admin, '/api/pro-formas');
      expect(all.body.total).toBe(9);
      expect(all.body.items.map((p: { number: string }) => p.number)).toEqual(
        n(
          'otherCancelled',
          'otherDeciding',
          'paid',
          'validated',
          'rejected',
          'autoRefused',
          'deciding',
          'credit',
          'awaiting',
        ),
      );
      const page = await get(api.users.admin, '/api/pro-formas?page=2&pageSize=3');
      expect(page.body).toMatchObject({ total: 9, page: 2, pageSize: 3 });
      expect(page.body.items.map((p: { number: string }) => p.number)).toEqual(
        n('validated', 'rejected', 'autoRefused'),
      );
    });

    it('describes each pro forma with its status label and its CFA', async () => {
      const res = await get(api.users.cfa, `/api/pro-formas?number=${numbers.credit?.toLowerCase()}`);
      expect(res.body).toEqual({
        items: [
          {
            number: numbers.credit,
            kind: 'CREDIT_NOTE',
            nature: 'PEDAGOGIE',
            natureLabel: 'Pédagogie',
            totalCents: -41_350,
            status: 'AWAITING_INVOICE',
            statusLabel: "En attente d'avoir",
            stage: null,
            settlementMode: 'DEDUCTION',
            invoiceNumber: null,
            refusalOrigin: null,
            lineCount: 0,
            cfa: { id: api.cfa.id, siret: api.cfa.siret, name: 'CFA de test' },
            createdAt: '2026-11-01T09:00:00.000Z',
            updatedAt: '2026-11-01T09:00:00.000Z',
            depositedAt: null,
            decidedAt: null,
            validatedAt: null,
            refusedAt: null,
            paidAt: null,
            cancelledAt: null,
          },
        ],
        total: 1,
        page: 1,
        pageSize: 50,
      });
    });

    it.each([
      ['?status=REFUSED', ['rejected', 'autoRefused']],
      ['?nature=MOBILITE', ['deciding']],
      ['?kind=CREDIT_NOTE', ['credit']],
      ['?invoiceNumber=FA-0005', ['rejected']],
      ['?stage=AWAITING_PAYMENT', ['validated']],
      ['?category=EMISES', ['paid', 'validated', 'rejected', 'autoRefused', 'deciding']],
      ['?category=TRANSMISES', ['paid', 'validated']],
      ['?category=REFUSEES', ['autoRefused']],
      ['?category=REJETEES', ['rejected']],
      ['?category=PRISES_EN_CHARGE', ['paid']],
      ['?status=REFUSED&nature=FRAIS_ANNEXES', ['rejected']],
    ])('filters a CFA’s list with %s', async (query, keys) => {
      expect(await listed(api.users.cfa, query)).toEqual(n(...keys));
    });

    it('lets staff filter by CFA and search an invoice number across CFAs', async () => {
      expect(await listed(api.users.validator, `?cfaId=${api.otherCfa.id}`)).toEqual(
        n('otherCancelled', 'otherDeciding'),
      );
      expect(await listed(api.users.admin, '?invoiceNumber=FA-0003')).toEqual(n('otherDeciding', 'deciding'));
      expect(await listed(api.users.cfa, '?invoiceNumber=FA-0003')).toEqual(n('deciding'));
      expect(await listed(api.users.cfa, `?cfaId=${api.otherCfa.id}`)).toEqual([]);
      expect(await listed(api.users.cfa, `?cfaId=${api.cfa.id}&kind=CREDIT_NOTE`)).toEqual(n('credit'));
    });

    it('gives validators their queue, the longest waiting first', async () => {
      const res = await get(api.users.validator, '/api/validation/queue');
      expect(res.body.items.map((p: { number: string }) => p.number)).toEqual(n('otherDeciding', 'deciding'));
      expect(res.body.items[0]).toMatchObject({ statusLabel: 'En cours de validation', stage: 'AWAITING_DECISION' });
    });
  });

  describe('dashboard', () => {
    it('counts a CFA’s pro formas per category, with the time each last moved', async () => {
      const res = await get(api.users.cfa, '/api/dashboard');
      expect(res.body).toEqual({
        counters: [
          {
            category: 'EMISES',
            label: 'Émises',
            count: 5,
            updatedAt: '2026-11-11T10:00:00.000Z',
            link: '/api/pro-formas?category=EMISES',
          },
          {
            category: 'TRANSMISES',
            label: 'Transmises',
            count: 2,
            updatedAt: '2026-11-12T08:00:00.000Z',
            link: '/api/pro-formas?category=TRANSMISES',
          },
          {
            category: 'REFUSEES',
            label: 'Refusées',
            count: 1,
            updatedAt: '2026-11-06T10:05:00.000Z',
            link: '/api/pro-formas?category=REFUSEES',
          },
          {
            category: 'REJETEES',
            label: 'Rejetées',
            count: 1,
            updatedAt: '2026-11-08T15:30:00.000Z',
            link: '/api/pro-formas?category=REJETEES',
          },
          {
            category: 'PRISES_EN_CHARGE',
            label: 'Prises en charge',
            count: 1,
            updatedAt: '2026-11-20T23:30:00.000Z',
            link: '/api/pro-formas?category=PRISES_EN_CHARGE',
          },
        ],
      });
    });

    it('counts every CFA for staff, and gives no time to an empty category', async () => {
      const res = await get(api.users.admin, '/api/dashboard');
      expect(res.body.counters.map((c: { count: number }) => c.count)).toEqual([7, 2, 1, 1, 1]);
      const other = await get(api.users.otherCfa, '/api/dashboard');
      expect(other.body.counters[1]).toEqual({
        category: 'TRANSMISES',
        label: 'Transmises',
        count: 0,
        updatedAt: null,
        link: '/api/pro-formas?category=TRANSMISES',
      });
    });
  });

  describe('exports', () => {
    async function workbookOf(path: string, user: TestUser = api.users.cfa) {
      const res = await get(user, path).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(XLSX);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.body as unknown as ExcelJS.Buffer);
      return { book, res };
    }

    it('exports a filtered list to Excel with typed cells, the header frozen and filters on', async () => {
      const { book, res } = await workbookOf('/api/pro-formas/export.xlsx?category=TRANSMISES');
      expect(res.headers['content-disposition']).toBe('attachment; filename=pro-formas-2026-11-22.xlsx');
      const sheet = book.getWorksheet('Pro formas');
      if (!sheet) throw new Error('no sheet');
      expect(sheet.views).toEqual([expect.objectContaining({ state: 'frozen', ySplit: 1 })]);
      expect(sheet.autoFilter).toBe('A1:O1');
      expect(sheet.getRow(1).values).toEqual([
        undefined,
        'N° de pro forma',
        'Type',
        'Nature de coûts',
        'Montant total (€)',
        'Dossiers',
        'Statut',
        'N° de facture',
        'CFA',
        'SIRET du CFA',
        'Création',
        'Dépôt de facture',
        'Validation',
        'Refus',
        'Paiement',
        'Mode de règlement',
      ]);
      expect(sheet.rowCount).toBe(3);
      const paid = sheet.getRow(2);
      expect(paid.values).toEqual([
        undefined,
        numbers.paid,
        'Facture',
        '1ers équipements',
        500,
        0,
        'Payé',
        'FA-0007',
        'CFA de test',
        api.cfa.siret,
        new Date('2026-11-06T10:00:00Z'),
        new Date('2026-11-11T11:00:00Z'),
        new Date('2026-11-12T09:00:00Z'),
        undefined,
        // 23:30 UTC on the 20th is 00:30 on the 21st in Paris.
        new Date('2026-11-21T00:30:00Z'),
      ]);
      expect(paid.getCell(4).numFmt).toBe('#,##0.00 "€";-#,##0.00 "€"');
      expect(paid.getCell(4).type).toBe(ExcelJS.ValueType.Number);
      expect(paid.getCell(10).numFmt).toBe('dd/mm/yyyy hh:mm');
      expect(paid.getCell(10).type).toBe(ExcelJS.ValueType.Date);
      expect(sheet.getRow(3).getCell(1).value).toBe(numbers.validated);
      expect(sheet.getRow(3).getCell(4).value).toBe(2575);
    });

    it('exports the same list as CSV for French Excel: BOM, semicolons, comma decimals, Paris times', async () => {
      const res = await get(api.users.admin, `/api/pro-formas/export.csv?cfaId=${api.otherCfa.id}`)
        .buffer(true)
        .parse(binary);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const text = (res.body as Buffer).toString('utf8');
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.slice(1).split('\r\n')).toEqual([
        'N° de pro forma;Type;Nature de coûts;Montant total (€);Dossiers;Statut;N° de facture;CFA;SIRET du CFA;Création;Dépôt de facture;Validation;Refus;Paiement;Mode de règlement',
        // A name that a spreadsheet would run as a formula is neutralised.
        `${numbers.otherCancelled};Facture;Pédagogie;123,00;0;Annulé;;"'=HYPERLINK(""http://x"")";${api.otherCfa.siret};08/11/2026 10:00;08/11/2026 11:00;;;;`,
        `${numbers.otherDeciding};Facture;Pédagogie;999,00;0;En cours de validation;FA-0003;"'=HYPERLINK(""http://x"")";${api.otherCfa.siret};07/11/2026 10:00;04/11/2026 11:00;;;;`,
        '',
      ]);
    });

    it('exports the contracts of a pro forma, one row per installment, cell by cell', async () => {
      const { installmentIds, contractNumber } = await seedInstallments(api, api.cfa.id, [157_500, 80_250], {
        apprenticeName: 'Hugo Bernard',
        status: 'RUPTURE',
      });
      const { agent, auth } = api.http(api.users.cfa);
      const made = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
      const number = made.body.proFormas[0].number as string;
      const { book, res } = await workbookOf(`/api/pro-formas/${number}/contracts.xlsx`);
      expect(res.headers['content-disposition']).toBe(`attachment; filename=contrats-${number}.xlsx`);
      const sheet = book.getWorksheet(number);
      if (!sheet) throw new Error('no sheet');
      expect(sheet.autoFilter).toBe('A1:L1');
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      const rows = [1, 2, 3].map((i) => sheet.getRow(i).values);
      expect(rows).toEqual([
        [
          undefined,
          'N° de contrat',
          'Libellé',
          'Apprenti',
          'Employeur',
          'SIRET employeur',
          'Début du contrat',
          'Fin du contrat',
          'Statut du contrat',
          'Nature de coûts',
          'Période du',
          'Période au',
          'Montant (€)',
        ],
        [
          undefined,
          contractNumber,
          'BTS Management commercial opérationnel',
          'Hugo Bernard',
          'Boulangerie du Centre',
          '73282932000074',
          new Date('2025-09-01T00:00:00Z'),
          new Date('2027-08-31T00:00:00Z'),
          'Rupture',
          'Pédagogie',
          new Date('2026-01-01T00:00:00Z'),
          new Date('2026-01-28T00:00:00Z'),
          1575,
        ],
        [
          undefined,
          contractNumber,
          'BTS Management commercial opérationnel',
          'Hugo Bernard',
          'Boulangerie du Centre',
          '73282932000074',
          new Date('2025-09-01T00:00:00Z'),
          new Date('2027-08-31T00:00:00Z'),
          'Rupture',
          'Pédagogie',
          new Date('2026-02-01T00:00:00Z'),
          new Date('2026-02-28T00:00:00Z'),
          802.5,
        ],
      ]);
      expect(sheet.getRow(2).getCell(10).numFmt).toBe('dd/mm/yyyy');
      expect(sheet.getRow(3).getCell(12).numFmt).toBe('#,##0.00 "€";-#,##0.00 "€"');
    });

    it('refuses to export the contracts of a cancelled pro forma, naming the status', async () => {
      const res = await get(api.users.admin, `/api/pro-formas/${numbers.otherCancelled}/contracts.xlsx`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(
        "Action non autorisée : l'export des contrats est impossible au statut « Annulé » (CANCELLED).",
      );
    });
  });

  describe('contract import', () => {
    const admin = () => api.http(api.users.admin);

    async function template(): Promise<ExcelJS.Workbook> {
      const { agent, auth } = admin();
      const res = await agent.get('/api/admin/imports/contracts/template.xlsx').set(auth).buffer(true).parse(binary);
      expect(res.headers['content-disposition']).toBe('attachment; filename=modele-import-contrats.xlsx');
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.body as unknown as ExcelJS.Buffer);
      return book;
    }

    async function importBook(book: ExcelJS.Workbook) {
      const { agent, auth } = admin();
      return agent
        .post('/api/admin/imports/contracts')
        .set(auth)
        .attach('file', Buffer.from(await book.xlsx.writeBuffer()), 'contrats.xlsx');
    }

    it('serves a template whose header is frozen, filtered and typed, with lists for the status and the nature', async () => {
      const book = await template();
      const sheet = book.getWorksheet('Contrats');
      if (!sheet) throw new Error('no sheet');
      expect(sheet.getRow(1).values).toEqual([
        undefined,
        'SIRET du CFA',
        'N° de contrat',
        'Libellé du diplôme',
        'Apprenti',
        'Employeur',
        'SIRET employeur',
        'Début du contrat',
        'Fin du contrat',
        'Statut du contrat',
        'Nature de coûts',
        'Période du',
        'Période au',
        'Montant (€)',
        'Prénom de l’apprenti',
        'Nom de l’apprenti',
        'SIRET du CFA pédagogique',
      ]);
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(sheet.autoFilter).toBe('A1:P1');
      expect(sheet.getCell('I2').dataValidation).toMatchObject({ type: 'list', formulae: ['"Engagé,Rupture"'] });
      expect(sheet.getCell('J2').dataValidation).toMatchObject({
        type: 'list',
        formulae: ['"Pédagogie,Frais annexes,1ers équipements,Mobilité"'],
      });
    });

    it('reads the optional first name, last name and teaching SIRET, and still imports a workbook of the older template', async () => {
      const row = (contract: string) => [
        api.cfa.siret,
        contract,
        'CAP Pâtisserie',
        'Marie Claire Dubois',
        'Pâtisserie Lenôtre',
        '73282932000074',
        new Date('2026-09-01T00:00:00Z'),
        new Date('2028-06-30T00:00:00Z'),
        'Engagé',
        'Pédagogie',
        new Date('2026-09-01T00:00:00Z'),
        new Date('2026-11-30T00:00:00Z'),
        1200,
      ];
      const book = await template();
      const sheet = book.getWorksheet('Contrats');
      if (!sheet) throw new Error('no sheet');
      const current = `DECA-NEW-${crypto.randomBytes(3).toString('hex')}`;
      sheet.addRow([...row(current), 'Marie Claire', 'Dubois', '73282932000074']);
      expect((await importBook(book)).body).toMatchObject({ imported: 1, rejected: [] });

      const older = new ExcelJS.Workbook();
      const oldSheet = older.addWorksheet('Contrats');
      oldSheet.addRow(TEMPLATE_COLUMNS.filter((c) => !c.optional).map((c) => c.header));
      const previous = `DECA-OLD-${crypto.randomBytes(3).toString('hex')}`;
      oldSheet.addRow(row(previous));
      expect((await importBook(older)).body).toMatchObject({ imported: 1, rejected: [] });

      const rows = await api.deps.db
        .selectFrom('contracts')
        .select(['number', 'apprentice_first_name', 'apprentice_last_name', 'training_siret'])
        .where('number', 'in', [current, previous])
        .orderBy('number')
        .execute();
      expect(rows).toEqual([
        {
          number: current,
          apprentice_first_name: 'Marie Claire',
          apprentice_last_name: 'Dubois',
          training_siret: '73282932000074',
        },
        // The older template: the full name split at its first space, no teaching SIRET.
        {
          number: previous,
          apprentice_first_name: 'Marie',
          apprentice_last_name: 'Claire Dubois',
          training_siret: null,
        },
      ]);
    });

    it('imports the good rows, reports each refused row and why, and creates nothing twice on a re-import', async () => {
      const book = await template();
      const sheet = book.getWorksheet('Contrats');
      if (!sheet) throw new Error('no sheet');
      const contract = `DECA-IMP-${crypto.randomBytes(3).toString('hex')}`;
      const base = [api.cfa.siret, contract, 'CAP Cuisine', 'Hugo Bernard', 'Restaurant Les Halles', '73282932000074'];
      const start = new Date('2026-09-01T00:00:00Z');
      const end = new Date('2028-06-30T00:00:00Z');
      sheet.addRow([
        ...base,
        start,
        end,
        'Engagé',
        'Pédagogie',
        new Date('2026-09-01T00:00:00Z'),
        new Date('2026-11-30T00:00:00Z'),
        1890,
      ]);
      sheet.addRow([...base, start, end, 'ENGAGE', 'mobilité', '01/10/2026', '31/10/2026', '350,50']);
      sheet.addRow([
        '99999999999999',
        'DECA-X',
        'CAP',
        'A',
        'B',
        '73282932000074',
        start,
        end,
        'Engagé',
        'Pédagogie',
        start,
        end,
        10,
      ]);
      sheet.addRow([...base, start, end, 'Engagé', 'Restauration', start, end, 10]);
      sheet.addRow([...base, start, end, 'Engagé', 'Pédagogie', '31/02/2026', end, 10]);
      sheet.addRow([...base, start, end, 'Engagé', 'Frais annexes', start, end, 0]);
      sheet.addRow([
        api.otherCfa.siret,
        `DECA-IMP-B-${crypto.randomBytes(3).toString('hex')}`,
        'BTS',
        'Inès Petit',
        'Boulangerie',
        '73282932000074',
        start,
        end,
        'Rupture',
        'Pédagogie',
        new Date('2026-09-01T00:00:00Z'),
        new Date('2026-11-30T00:00:00Z'),
        -413.5,
      ]);
      sheet.addRow([]);
      sheet.addRow([...base, start, end, 'Engagé', 'Pédagogie', start, end, 12.345]);

      const first = await importBook(book);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        imported: 3,
        unchanged: 0,
        rejected: [
          { row: 4, error: 'Colonne « SIRET du CFA » : SIRET invalide (99999999999999).' },
          {
            row: 5,
            error:
              'Colonne « Nature de coûts » : valeur attendue parmi : Pédagogie, Frais annexes, 1ers équipements, Mobilité.',
          },
          { row: 6, error: 'Colonne « Période du » : date invalide (31/02/2026) : jj/mm/aaaa attendu.' },
          { row: 7, error: 'Colonne « Montant (€) » : une échéance ne peut pas être nulle.' },
          { row: 10, error: 'Colonne « Montant (€) » : deux décimales au plus.' },
        ],
      });

      const again = await importBook(book);
      expect(again.body).toMatchObject({ imported: 0, unchanged: 3 });
      expect(again.body.rejected).toEqual(first.body.rejected);

      const { agent, auth } = api.http(api.users.cfa);
      const eligible = await agent
        .get(`/api/installments/eligible?nature=MOBILITE&contractNumber=${contract}`)
        .set(auth);
      expect(eligible.body).toEqual({
        items: [
          {
            id: expect.any(String),
            contractNumber: contract,
            contractLabel: 'CAP Cuisine',
            apprenticeName: 'Hugo Bernard',
            employerName: 'Restaurant Les Halles',
            employerSiret: '73282932000074',
            contractStart: '2026-09-01',
            contractEnd: '2028-06-30',
            nature: 'MOBILITE',
            periodStart: '2026-10-01',
            periodEnd: '2026-10-31',
            amountCents: 35_050,
            contractStatus: 'ENGAGE',
            // Split from the imported name on its first space; no teaching SIRET in this workbook.
            apprenticeFirstName: 'Hugo',
            apprenticeLastName: 'Bernard',
            trainingSiret: null,
          },
        ],
        total: 1,
        page: 1,
        pageSize: 50,
        recap: { count: 1, invoiceCents: 35_050, creditCents: 0, totalCents: 35_050 },
      });

      // The same installment with another amount is refused, not changed: it may already be billed.
      const changed = await template();
      changed
        .getWorksheet('Contrats')
        ?.addRow([
          ...base,
          start,
          end,
          'Rupture',
          'Pédagogie',
          new Date('2026-09-01T00:00:00Z'),
          new Date('2026-11-30T00:00:00Z'),
          1000,
        ]);
      const third = await importBook(changed);
      expect(third.body).toEqual({
        imported: 0,
        unchanged: 0,
        rejected: [
          {
            row: 2,
            error: `L'échéance du 01/09/2026 (Pédagogie) du contrat ${contract} est déjà importée avec une autre période ou un autre montant.`,
          },
        ],
      });
    });
  });
});
