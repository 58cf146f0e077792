import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import type { NewProFormaRow } from '../../db/schema';
import { insertDocument, insertProForma, nextProFormaNumber } from '../helpers/fixtures';
import { binary, startApiStack, type ApiStack, type TestUser } from '../helpers/api';

jest.setTimeout(90_000);

/**
 * The management figures on a known data set: decisions written directly with chosen deposit and decision times, the
 * queue's rows with chosen deposit times. "Now" is API_NOW (2026-11-22T10:00:00Z); Paris is UTC+1 in November.
 *
 * Durations in minutes from the upload of the decided version to the decision:
 *   Paris 10/11: d1 AUTO APPROVE 10, d2 v1 APPROVE 1440, d3 v1 REFUSE AMOUNT_MISMATCH 60
 *   Paris 11/11: d4 AUTO REFUSE AMOUNT_MISMATCH 30 (decided 23:30 UTC on the 10th), d5 v2 APPROVE 120,
 *                d6 v2 REFUSE IBAN_CHANGED 20, d9 v1 APPROVE without a document (untimed)
 *   outside 10–12/11 in Paris (inside in UTC or the day before): d7 (09/11 23:59 Paris), d8 (13/11 00:00 Paris)
 */
describe('GET /api/admin/metrics', () => {
  let api: ApiStack;
  let admin: TestUser;
  let v1: TestUser;
  let v2: TestUser;

  interface Decided {
    origin: 'AUTOMATIC' | 'MANUAL';
    decision: 'APPROVE' | 'REFUSE';
    reason?: string;
    by?: TestUser;
    depositedAt: string | null;
    decidedAt: string;
  }

  async function decide(d: Decided): Promise<void> {
    const db = api.stack.database.db;
    const proForma = await insertProForma(db, api.cfa.id);
    let documentId: string | null = null;
    if (d.depositedAt !== null) {
      const document = await insertDocument(db, proForma.id, crypto.randomBytes(32).toString('hex'));
      await db.updateTable('documents').set({ uploaded_at: d.depositedAt }).where('id', '=', document.id).execute();
      documentId = document.id;
    }
    await db
      .insertInto('decisions')
      .values({
        pro_forma_id: proForma.id,
        document_id: documentId,
        origin: d.origin,
        decision: d.decision,
        reason_code: d.reason ?? null,
        decided_by: d.by?.id ?? null,
        decided_at: d.decidedAt,
      })
      .execute();
  }

  async function queued(depositedAt: string, row: Partial<NewProFormaRow> = {}): Promise<void> {
    const db = api.stack.database.db;
    const number = await nextProFormaNumber(db);
    await db
      .insertInto('pro_formas')
      .values({
        number,
        workflow_id: `pro-forma-${number}-seeded`,
        cfa_id: api.otherCfa.id,
        kind: 'INVOICE',
        nature: 'PEDAGOGIE',
        total_cents: 10_000,
        status: 'UNDER_VALIDATION',
        stage: 'AWAITING_DECISION',
        deposited_at: depositedAt,
        ...row,
      })
      .execute();
  }

  beforeAll(async () => {
    api = await startApiStack();
    const db = api.stack.database.db;
    admin = api.users.admin;
    v1 = api.users.validator;
    v2 = await api.createUser('validator');
    await db.updateTable('users').set({ name: 'Valérie Un' }).where('id', '=', v1.id).execute();
    await db.updateTable('users').set({ name: 'Victor Deux' }).where('id', '=', v2.id).execute();
    const decisions: Decided[] = [
      {
        origin: 'AUTOMATIC',
        decision: 'APPROVE',
        depositedAt: '2026-11-10T08:00:00Z',
        decidedAt: '2026-11-10T08:10:00Z',
      },
      {
        origin: 'MANUAL',
        decision: 'APPROVE',
        by: v1,
        depositedAt: '2026-11-09T10:00:00Z',
        decidedAt: '2026-11-10T10:00:00Z',
      },
      {
        origin: 'MANUAL',
        decision: 'REFUSE',
        reason: 'AMOUNT_MISMATCH',
        by: v1,
        depositedAt: '2026-11-10T09:00:00Z',
        decidedAt: '2026-11-10T10:00:00Z',
      },
      {
        origin: 'AUTOMATIC',
        decision: 'REFUSE',
        reason: 'AMOUNT_MISMATCH',
        depositedAt: '2026-11-10T23:00:00Z',
        decidedAt: '2026-11-10T23:30:00Z',
      },
      {
        origin: 'MANUAL',
        decision: 'APPROVE',
        by: v2,
        depositedAt: '2026-11-11T08:00:00Z',
        decidedAt: '2026-11-11T10:00:00Z',
      },
      {
        origin: 'MANUAL',
        decision: 'REFUSE',
        reason: 'IBAN_CHANGED',
        by: v2,
        depositedAt: '2026-11-11T09:00:00Z',
        decidedAt: '2026-11-11T09:20:00Z',
      },
      {
        origin: 'AUTOMATIC',
        decision: 'APPROVE',
        depositedAt: '2026-11-09T22:00:00Z',
        decidedAt: '2026-11-09T22:59:00Z',
      },
      {
        origin: 'MANUAL',
        decision: 'APPROVE',
        by: v1,
        depositedAt: '2026-11-12T20:00:00Z',
        decidedAt: '2026-11-12T23:00:00Z',
      },
      { origin: 'MANUAL', decision: 'APPROVE', by: v1, depositedAt: null, decidedAt: '2026-11-11T12:00:00Z' },
    ];
    for (const d of decisions) await decide(d);
    // The queue now: 1 h, exactly 1 day, 2 days 1 h, 5 days (a second approval), 12 days, 21 days.
    await queued('2026-11-22T09:00:00Z');
    await queued('2026-11-21T10:00:00Z');
    await queued('2026-11-20T09:00:00Z');
    await queued('2026-11-17T10:00:00Z', { stage: 'AWAITING_SECOND_APPROVAL' });
    await queued('2026-11-10T10:00:00Z');
    await queued('2026-11-01T10:00:00Z');
    // Not in the queue.
    await queued('2026-11-01T10:00:00Z', { stage: 'READING' });
  });
  afterAll(() => api?.teardown());

  function get(user: TestUser, path: string) {
    const { agent, auth } = api.http(user);
    return agent.get(path).set(auth);
  }

  const PERIOD = '?from=2026-11-10&to=2026-11-12';

  it('counts the decisions of the period per Paris day, with median and p90 delays in minutes', async () => {
    const res = await get(admin, `/api/admin/metrics${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.body.period).toEqual({ from: '2026-11-10', to: '2026-11-12' });
    expect(res.body.timeZone).toBe('Europe/Paris');
    expect(res.body.durationUnit).toBe('minutes');
    // Delays 10, 20, 30, 60, 120, 1440: median between 30 and 60; p90 at rank 4.5, between 120 and 1440.
    expect(res.body.totals).toEqual({
      decided: 7,
      approved: 4,
      refused: 3,
      automatic: 2,
      manual: 5,
      timed: 6,
      medianMinutes: 45,
      p90Minutes: 780,
      refusalRate: 0.4286,
      automaticApprovalShare: 0.25,
    });
    expect(res.body.days).toEqual([
      {
        day: '2026-11-10',
        decided: 3,
        approved: 2,
        refused: 1,
        automatic: 1,
        manual: 2,
        timed: 3,
        medianMinutes: 60,
        p90Minutes: 1164,
      },
      {
        day: '2026-11-11',
        decided: 4,
        approved: 2,
        refused: 2,
        automatic: 1,
        manual: 3,
        timed: 3,
        medianMinutes: 30,
        p90Minutes: 102,
      },
      {
        day: '2026-11-12',
        decided: 0,
        approved: 0,
        refused: 0,
        automatic: 0,
        manual: 0,
        timed: 0,
        medianMinutes: null,
        p90Minutes: null,
      },
    ]);
  });

  it('counts the manual decisions per validator, over the period and per day', async () => {
    const { body } = await get(admin, `/api/admin/metrics${PERIOD}`);
    expect(body.validators).toEqual([
      {
        userId: v1.id,
        name: 'Valérie Un',
        decided: 3,
        approved: 2,
        refused: 1,
        timed: 2,
        medianMinutes: 750,
        p90Minutes: 1302,
      },
      {
        userId: v2.id,
        name: 'Victor Deux',
        decided: 2,
        approved: 1,
        refused: 1,
        timed: 2,
        medianMinutes: 70,
        p90Minutes: 110,
      },
    ]);
    expect(body.validatorDays).toEqual([
      {
        day: '2026-11-10',
        userId: v1.id,
        name: 'Valérie Un',
        decided: 2,
        approved: 1,
        refused: 1,
        timed: 2,
        medianMinutes: 750,
        p90Minutes: 1302,
      },
      {
        day: '2026-11-11',
        userId: v1.id,
        name: 'Valérie Un',
        decided: 1,
        approved: 1,
        refused: 0,
        timed: 0,
        medianMinutes: null,
        p90Minutes: null,
      },
      {
        day: '2026-11-11',
        userId: v2.id,
        name: 'Victor Deux',
        decided: 2,
        approved: 1,
        refused: 1,
        timed: 2,
        medianMinutes: 70,
        p90Minutes: 110,
      },
    ]);
  });

  it('gives the refusal rates per reason and per origin', async () => {
    const { body } = await get(admin, `/api/admin/metrics${PERIOD}`);
    expect(body.refusalsByReason).toEqual([
      expect.objectContaining({
        reasonCode: 'AMOUNT_MISMATCH',
        origin: 'AUTOMATIC',
        refused: 1,
        rate: 0.1429,
        shareOfRefusals: 0.3333,
      }),
      expect.objectContaining({
        reasonCode: 'AMOUNT_MISMATCH',
        origin: 'MANUAL',
        refused: 1,
        rate: 0.1429,
        shareOfRefusals: 0.3333,
      }),
      expect.objectContaining({
        reasonCode: 'IBAN_CHANGED',
        origin: 'MANUAL',
        refused: 1,
        rate: 0.1429,
        shareOfRefusals: 0.3333,
      }),
    ]);
    expect(body.refusalsByReason[0].label.length).toBeGreaterThan(3);
    expect(body.refusalsByOrigin).toEqual([
      { origin: 'AUTOMATIC', decided: 2, approved: 1, refused: 1, refusalRate: 0.5 },
      { origin: 'MANUAL', decided: 5, approved: 3, refused: 2, refusalRate: 0.4 },
    ]);
  });

  it('counts the queue now by age of the deposit', async () => {
    const { body } = await get(admin, `/api/admin/metrics${PERIOD}`);
    expect(body.backlog.map((b: { label: string; count: number }) => [b.label, b.count])).toEqual([
      ['< 1 j', 1],
      ['1–3 j', 2],
      ['3–7 j', 1],
      ['7–15 j', 1],
      ['> 15 j', 1],
    ]);
  });

  it('takes the last 30 Paris days by default', async () => {
    const { body, status } = await get(admin, '/api/admin/metrics');
    expect(status).toBe(200);
    expect(body.period).toEqual({ from: '2026-10-24', to: '2026-11-22' });
    expect(body.days).toHaveLength(30);
    expect(body.totals.decided).toBe(9);
    const byDay = Object.fromEntries(body.days.map((d: { day: string; decided: number }) => [d.day, d.decided]));
    expect([byDay['2026-11-09'], byDay['2026-11-10'], byDay['2026-11-11'], byDay['2026-11-13']]).toEqual([1, 3, 4, 1]);
  });

  it.each([
    ['?from=2026-11-12&to=2026-11-10', 'from'],
    ['?from=2025-01-01&to=2026-11-22', 'from'],
    ['?from=2026-11-31', 'from'],
    ['?to=demain', 'to'],
    ['?days=3', ''],
  ])('%s: 400 INVALID_QUERY in French', async (query, path) => {
    const res = await get(admin, `/api/admin/metrics${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_QUERY');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('is for admins only', async () => {
    expect((await get(v1, '/api/admin/metrics')).status).toBe(403);
    expect((await get(api.users.cfa, '/api/admin/metrics/export.csv')).status).toBe(403);
  });

  describe('exports', () => {
    async function workbookOf(path: string): Promise<{ book: ExcelJS.Workbook; headers: Record<string, string> }> {
      const res = await get(admin, path).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.body as unknown as ExcelJS.Buffer);
      return { book, headers: res.headers as Record<string, string> };
    }

    const values = (row: ExcelJS.Row) => (row.values as ExcelJS.CellValue[]).slice(1);

    it('writes one sheet per table, with French headers and typed cells', async () => {
      const { book, headers } = await workbookOf(`/api/admin/metrics/export.xlsx${PERIOD}`);
      expect(headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(headers['content-disposition']).toBe('attachment; filename=indicateurs-2026-11-10-2026-11-12.xlsx');
      expect(book.worksheets.map((s) => s.name)).toEqual([
        'Synthèse',
        'Par jour',
        'Par valideur',
        'Par jour et valideur',
        'Refus par motif',
        'Refus par origine',
        'File par ancienneté',
      ]);
      const days = book.getWorksheet('Par jour') as ExcelJS.Worksheet;
      expect(values(days.getRow(1))).toEqual([
        'Jour',
        'Décisions',
        'Validations',
        'Refus',
        'Automatiques',
        'Manuelles',
        'Délai médian dépôt → décision (min)',
        'Délai p90 dépôt → décision (min)',
      ]);
      expect(values(days.getRow(2))).toEqual([new Date('2026-11-10T00:00:00Z'), 3, 2, 1, 1, 2, 60, 1164]);
      expect(days.getRow(2).getCell(1).type).toBe(ExcelJS.ValueType.Date);
      expect(days.getRow(2).getCell(1).numFmt).toBe('dd/mm/yyyy');
      expect(days.getRow(2).getCell(2).type).toBe(ExcelJS.ValueType.Number);
      expect(values(days.getRow(3))).toEqual([new Date('2026-11-11T00:00:00Z'), 4, 2, 2, 1, 3, 30, 102]);
      // No decision on the 12th: zeros, and no delay.
      expect(days.getRow(4).getCell(2).value).toBe(0);
      expect(days.getRow(4).getCell(7).value).toBeNull();
      expect(days.rowCount).toBe(4);
      expect(values((book.getWorksheet('Par valideur') as ExcelJS.Worksheet).getRow(2))).toEqual([
        'Valérie Un',
        3,
        2,
        1,
        750,
        1302,
      ]);
      const reasons = book.getWorksheet('Refus par motif') as ExcelJS.Worksheet;
      expect(values(reasons.getRow(2))).toEqual([
        'AMOUNT_MISMATCH',
        expect.any(String),
        'Automatique',
        1,
        0.1429,
        0.3333,
      ]);
      expect(reasons.getRow(2).getCell(5).numFmt).toBe('0.00 %');
      expect(values((book.getWorksheet('Refus par origine') as ExcelJS.Worksheet).getRow(3))).toEqual([
        'Manuelle',
        5,
        3,
        2,
        0.4,
      ]);
      const backlog = book.getWorksheet('File par ancienneté') as ExcelJS.Worksheet;
      expect([2, 3, 4, 5, 6].map((r) => values(backlog.getRow(r)))).toEqual([
        ['< 1 j', 1],
        ['1–3 j', 2],
        ['3–7 j', 1],
        ['7–15 j', 1],
        ['> 15 j', 1],
      ]);
      const summary = book.getWorksheet('Synthèse') as ExcelJS.Worksheet;
      const indicators = Object.fromEntries(
        Array.from({ length: summary.rowCount - 1 }, (_, i) => values(summary.getRow(i + 2))),
      );
      expect(indicators['Décisions']).toBe(7);
      expect(indicators['Délai médian dépôt → décision (min)']).toBe(45);
      expect(indicators['Taux de refus (%)']).toBe(42.86);
      expect(indicators['Part des validations automatiques (%)']).toBe(25);
    });

    async function csvOf(query: string): Promise<{ lines: string[]; headers: Record<string, string> }> {
      const res = await get(admin, `/api/admin/metrics/export.csv${query}`).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      const text = (res.body as Buffer).toString('utf8');
      expect(text.startsWith('\uFEFF')).toBe(true);
      return { lines: text.slice(1).split('\r\n'), headers: res.headers as Record<string, string> };
    }

    it('writes the table per day as CSV by default, for French Excel', async () => {
      const { lines, headers } = await csvOf(PERIOD);
      expect(headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(headers['content-disposition']).toBe('attachment; filename=indicateurs-days-2026-11-10-2026-11-12.csv');
      expect(lines).toEqual([
        'Jour;Décisions;Validations;Refus;Automatiques;Manuelles;Délai médian dépôt → décision (min);Délai p90 dépôt → décision (min)',
        '10/11/2026;3;2;1;1;2;60;1164',
        '11/11/2026;4;2;2;1;3;30;102',
        '12/11/2026;0;0;0;0;0;;',
        '',
      ]);
    });

    it('writes another table with ?table=, decimals with a comma', async () => {
      expect((await csvOf(`${PERIOD}&table=refusalsByOrigin`)).lines).toEqual([
        'Origine;Décisions;Validations;Refus;Taux de refus (%)',
        'Automatique;2;1;1;50',
        'Manuelle;5;3;2;40',
        '',
      ]);
      const reasons = (await csvOf(`${PERIOD}&table=refusalsByReason`)).lines;
      expect(reasons[0]).toBe('Motif;Libellé;Origine;Refus;Taux parmi les décisions (%);Part des refus (%)');
      expect(reasons[1]).toMatch(/^AMOUNT_MISMATCH;[^;]+;Automatique;1;14,29;33,33$/);
      expect((await csvOf(`${PERIOD}&table=validators`)).lines[1]).toBe('Valérie Un;3;2;1;750;1302');
      expect((await csvOf(`${PERIOD}&table=backlog`)).lines).toEqual([
        'Ancienneté du dépôt;Dossiers en attente',
        '< 1 j;1',
        '1–3 j;2',
        '3–7 j;1',
        '7–15 j;1',
        '> 15 j;1',
        '',
      ]);
    });

    it('refuses an unknown table', async () => {
      const res = await get(admin, '/api/admin/metrics/export.csv?table=everything');
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues[0].path).toBe('table');
    });
  });
});
