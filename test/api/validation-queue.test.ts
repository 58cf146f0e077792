import type { NewProFormaRow } from '../../db/schema';
import { insertCfa, nextProFormaNumber } from '../helpers/fixtures';
import { API_NOW, startApiStack, type ApiStack, type TestUser } from '../helpers/api';

jest.setTimeout(90_000);

type Queued = Pick<NewProFormaRow, 'nature' | 'total_cents' | 'deposited_at'> &
  Partial<
    Pick<
      NewProFormaRow,
      | 'status'
      | 'stage'
      | 'review_codes'
      | 'reading_engine'
      | 'claimed_by'
      | 'claim_expires_at'
      | 'sampled'
      | 'first_approved_by'
    >
  >;

const hoursFromNow = (hours: number) => new Date(API_NOW.getTime() + hours * 3_600_000).toISOString();

/**
 * The validators' queue reads the read model: rows written here directly, with the columns the workflows keep (claim,
 * review codes, reading engine, sampling, first approver). "Now" is API_NOW (2026-11-22T10:00:00Z, 11:00 in Paris).
 *
 * Three CFAs: Alpha in the first validator's portfolio, Beta in the second's, Gamma in nobody's.
 */
describe('GET /api/validation/queue', () => {
  let api: ApiStack;
  let v1: TestUser;
  let v2: TestUser;
  let admin: TestUser;
  const cfas = { alpha: { id: '', siret: '' }, beta: { id: '', siret: '' }, gamma: { id: '', siret: '' } };
  /** Pro forma number → key (a1, a2, …). */
  const keys = new Map<string, string>();

  async function seed(key: string, cfaId: string, row: Queued): Promise<void> {
    const db = api.stack.database.db;
    const number = await nextProFormaNumber(db);
    await db
      .insertInto('pro_formas')
      .values({
        number,
        workflow_id: `pro-forma-${number}-seeded`,
        cfa_id: cfaId,
        kind: 'INVOICE',
        status: 'UNDER_VALIDATION',
        stage: 'AWAITING_DECISION',
        invoice_number: `FA-${key}`,
        created_at: '2026-10-01T08:00:00Z',
        updated_at: '2026-10-01T08:00:00Z',
        workflow_started_at: '2026-10-01T08:00:00Z',
        ...row,
      })
      .execute();
    keys.set(number, key);
  }

  beforeAll(async () => {
    api = await startApiStack();
    const db = api.stack.database.db;
    v1 = api.users.validator;
    v2 = await api.createUser('validator');
    admin = api.users.admin;
    const gamma = await insertCfa(db);
    const named = [
      ['alpha', api.cfa.id, 'Lycée Alpha Formation'],
      ['beta', api.otherCfa.id, 'Beta Apprentissage'],
      ['gamma', gamma.id, 'Campus Gamma'],
    ] as const;
    for (const [key, id, name] of named) {
      const row = await db
        .updateTable('cfas')
        .set({ name })
        .where('id', '=', id)
        .returning(['id', 'siret'])
        .executeTakeFirstOrThrow();
      cfas[key] = row;
    }
    await db
      .insertInto('validator_portfolios')
      .values([
        { user_id: v1.id, cfa_id: cfas.alpha.id, assigned_by: admin.id },
        { user_id: v2.id, cfa_id: cfas.beta.id, assigned_by: admin.id },
      ])
      .execute();
    const { alpha, beta, gamma: c } = cfas;
    await seed('a1', alpha.id, {
      nature: 'PEDAGOGIE',
      total_cents: 100_000,
      deposited_at: '2026-11-20T10:00:00Z',
      review_codes: ['TOTAL_AMOUNT'],
      reading_engine: 'OCR',
      claimed_by: v1.id,
      claim_expires_at: hoursFromNow(1),
    });
    await seed('a2', alpha.id, {
      nature: 'MOBILITE',
      total_cents: 500_000,
      deposited_at: '2026-11-10T09:00:00Z',
      stage: 'AWAITING_SECOND_APPROVAL',
      first_approved_by: v2.id,
      reading_engine: 'FACTURX',
    });
    // 00:30 on 21 November in Paris, still the 20th in UTC; its claim expired an hour ago.
    await seed('a3', alpha.id, {
      nature: 'PEDAGOGIE',
      total_cents: 30_000,
      deposited_at: '2026-11-20T23:30:00Z',
      review_codes: ['IBAN_MATCHES_CFA', 'SIRET'],
      reading_engine: 'TEXT_LAYER',
      claimed_by: v2.id,
      claim_expires_at: hoursFromNow(-1),
      sampled: true,
    });
    await seed('b1', beta.id, {
      nature: 'FRAIS_ANNEXES',
      total_cents: 250_000,
      deposited_at: '2026-11-01T08:00:00Z',
      review_codes: ['TOTAL_AMOUNT', 'SIRET'],
      reading_engine: 'OCR',
      claimed_by: v2.id,
      claim_expires_at: hoursFromNow(2),
    });
    await seed('c1', c.id, {
      nature: 'PEDAGOGIE',
      total_cents: 75_000,
      deposited_at: '2026-11-15T12:00:00Z',
      reading_engine: 'OCR',
      sampled: true,
    });
    await seed('c2', c.id, {
      nature: 'PREMIER_EQUIPEMENT',
      total_cents: 1_000_000,
      deposited_at: '2026-11-18T10:00:00Z',
      stage: 'AWAITING_SECOND_APPROVAL',
      first_approved_by: v1.id,
      review_codes: ['INVOICE_NUMBER'],
      reading_engine: 'FACTURX',
      claimed_by: admin.id,
      claim_expires_at: hoursFromNow(0.5),
    });
    // Not in the queue: still being read, and validated.
    await seed('reading', alpha.id, {
      nature: 'PEDAGOGIE',
      total_cents: 60_000,
      deposited_at: '2026-11-02T08:00:00Z',
      stage: 'READING',
      review_codes: ['TOTAL_AMOUNT'],
    });
    await seed('validated', c.id, {
      nature: 'PEDAGOGIE',
      total_cents: 70_000,
      deposited_at: '2026-11-03T08:00:00Z',
      status: 'VALIDATED',
      stage: 'AWAITING_PAYMENT',
    });
  });
  afterAll(() => api?.teardown());

  type Item = Record<string, unknown> & { number: string };
  interface QueueBody {
    items: Item[];
    total: number;
    page: number;
    pageSize: number;
    scope: string;
    facets: Record<string, { value?: unknown; count: number; name?: string }[]>;
  }

  async function queue(user: TestUser, query = ''): Promise<QueueBody> {
    const { agent, auth } = api.http(user);
    const res = await agent.get(`/api/validation/queue${query}`).set(auth);
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body as QueueBody;
  }

  /** The keys of the items, in the order of the answer. */
  async function listed(user: TestUser, query = ''): Promise<string[]> {
    const body = await queue(user, query);
    const found = body.items.map((item) => keys.get(item.number) ?? item.number);
    expect(body.total).toBe(found.length);
    return found;
  }

  describe('scope', () => {
    it('shows an admin the whole queue, oldest deposit first, and nothing outside the queue', async () => {
      const body = await queue(admin);
      expect(body.scope).toBe('all');
      expect(await listed(admin)).toEqual(['b1', 'a2', 'c1', 'c2', 'a1', 'a3']);
    });

    it('shows a validator its portfolio and the CFAs in nobody’s by default, everything with scope=all', async () => {
      expect((await queue(v1)).scope).toBe('portfolio');
      expect(await listed(v1)).toEqual(['a2', 'c1', 'c2', 'a1', 'a3']);
      expect(await listed(v2)).toEqual(['b1', 'c1', 'c2']);
      expect(await listed(v1, '?scope=all')).toEqual(['b1', 'a2', 'c1', 'c2', 'a1', 'a3']);
      expect((await queue(v1, '?scope=all')).scope).toBe('all');
      // An admin in no portfolio, asking for its portfolio: the CFAs in nobody's only.
      expect(await listed(admin, '?scope=portfolio')).toEqual(['c1', 'c2']);
    });

    it('is refused to a CFA user', async () => {
      const { agent, auth } = api.http(api.users.cfa);
      expect((await agent.get('/api/validation/queue').set(auth)).status).toBe(403);
    });
  });

  describe('items', () => {
    it('carry the summary, the wait, the live claim, the flags, the review codes, the engine and the first approver', async () => {
      const body = await queue(v1, '?scope=all');
      const byKey = new Map(body.items.map((item) => [keys.get(item.number), item]));
      const a1 = byKey.get('a1');
      expect(a1).toMatchObject({
        status: 'UNDER_VALIDATION',
        stage: 'AWAITING_DECISION',
        nature: 'PEDAGOGIE',
        totalCents: 100_000,
        invoiceNumber: 'FA-a1',
        cfa: { id: cfas.alpha.id, siret: cfas.alpha.siret, name: 'Lycée Alpha Formation' },
        depositedAt: '2026-11-20T10:00:00.000Z',
        waitingSince: '2026-11-20T10:00:00.000Z',
        waitingDays: 2,
        claim: { userId: v1.id, expiresAt: '2026-11-22T11:00:00.000Z' },
        mine: true,
        sampled: false,
        flags: [],
        reviewCodes: ['TOTAL_AMOUNT'],
        readingEngine: 'OCR',
        firstApprovedBy: null,
      });
      expect((a1?.['claim'] as { name: string }).name).toMatch(/^validator /);
      // An expired claim is no claim.
      expect(byKey.get('a3')).toMatchObject({
        claim: null,
        mine: false,
        sampled: true,
        flags: ['contrôle par sondage'],
        waitingDays: 1,
        reviewCodes: ['IBAN_MATCHES_CFA', 'SIRET'],
        readingEngine: 'TEXT_LAYER',
      });
      // Someone else's live claim.
      expect(byKey.get('b1')).toMatchObject({ claim: { userId: v2.id }, mine: false, waitingDays: 21 });
      expect(byKey.get('c2')).toMatchObject({
        stage: 'AWAITING_SECOND_APPROVAL',
        flags: ['second avis attendu'],
        firstApprovedBy: { userId: v1.id },
        claim: { userId: admin.id },
        mine: false,
      });
      expect(byKey.get('c1')).toMatchObject({ flags: ['contrôle par sondage'], waitingDays: 6, claim: null });
    });
  });

  describe('filters', () => {
    it.each([
      ['cfa by SIRET', '?cfa=<gamma>', ['c1', 'c2']],
      ['cfa by a part of its name, whatever the case', '?cfa=ALPHA', ['a2', 'a1', 'a3']],
      ['cfa: % taken literally', '?cfa=%25', []],
      ['nature', '?nature=PEDAGOGIE', ['c1', 'a1', 'a3']],
      ['amount bounds (included)', '?minAmountCents=75000&maxAmountCents=250000', ['b1', 'c1', 'a1']],
      ['waitingMoreThanDays', '?waitingMoreThanDays=5', ['b1', 'a2', 'c1']],
      ['depositedBefore a Paris day', '?depositedBefore=2026-11-21', ['b1', 'a2', 'c1', 'c2', 'a1']],
      ['both waiting filters', '?waitingMoreThanDays=5&depositedBefore=2026-11-12', ['b1', 'a2']],
      ['one control', '?control=SIRET', ['b1', 'a3']],
      ['controls as a comma list (any of them)', '?control=TOTAL_AMOUNT,INVOICE_NUMBER', ['b1', 'c2', 'a1']],
      ['controls repeated', '?control=TOTAL_AMOUNT&control=INVOICE_NUMBER', ['b1', 'c2', 'a1']],
      ['engine', '?engine=OCR', ['b1', 'c1', 'a1']],
      ['assigned to me', '?assigned=me', ['a1']],
      ['assigned to nobody (an expired claim counts)', '?assigned=nobody', ['a2', 'c1', 'a3']],
      ['assigned to someone (a live claim)', '?assigned=someone', ['b1', 'c2', 'a1']],
      ['stage', '?stage=AWAITING_SECOND_APPROVAL', ['a2', 'c2']],
      ['sampled', '?sampled=true', ['c1', 'a3']],
      ['not sampled', '?sampled=false', ['b1', 'a2', 'c2', 'a1']],
      ['several filters together', '?nature=PEDAGOGIE&engine=OCR&assigned=nobody', ['c1']],
    ] as const)('filters by %s', async (_name, query, expected) => {
      // As the first validator, over every CFA; <gamma> stands for Gamma's SIRET.
      expect(await listed(v1, `${query.replace('<gamma>', cfas.gamma.siret)}&scope=all`)).toEqual(expected);
    });

    it('filters within the portfolio', async () => {
      expect(await listed(v2, '?engine=OCR')).toEqual(['b1', 'c1']);
      expect(await listed(v2, '?assigned=me')).toEqual(['b1']);
    });
  });

  describe('sorts and pages', () => {
    it.each([
      ['?sort=waiting', ['b1', 'a2', 'c1', 'c2', 'a1', 'a3']],
      ['?sort=waiting&order=desc', ['a3', 'a1', 'c2', 'c1', 'a2', 'b1']],
      ['?sort=amount', ['c2', 'a2', 'b1', 'a1', 'c1', 'a3']],
      ['?sort=amount&order=asc', ['a3', 'c1', 'a1', 'b1', 'a2', 'c2']],
      ['?sort=cfa', ['b1', 'c1', 'c2', 'a2', 'a1', 'a3']],
      ['?sort=cfa&order=desc', ['a2', 'a1', 'a3', 'c1', 'c2', 'b1']],
    ] as const)('sorts %s', async (query, expected) => {
      expect(await listed(admin, query)).toEqual(expected);
    });

    it('pages like the other lists', async () => {
      const body = await queue(admin, '?pageSize=2&page=2');
      expect(body.items.map((item) => keys.get(item.number))).toEqual(['c1', 'c2']);
      expect([body.total, body.page, body.pageSize]).toEqual([6, 2, 2]);
    });
  });

  describe('facets', () => {
    it('count each value over the whole queue without filters', async () => {
      const { facets } = await queue(admin);
      expect(facets['nature']).toEqual([
        { value: 'FRAIS_ANNEXES', count: 1 },
        { value: 'MOBILITE', count: 1 },
        { value: 'PEDAGOGIE', count: 3 },
        { value: 'PREMIER_EQUIPEMENT', count: 1 },
      ]);
      expect(facets['control']).toEqual([
        { value: 'IBAN_MATCHES_CFA', count: 1 },
        { value: 'INVOICE_NUMBER', count: 1 },
        { value: 'SIRET', count: 2 },
        { value: 'TOTAL_AMOUNT', count: 2 },
      ]);
      expect(facets['engine']).toEqual([
        { value: 'FACTURX', count: 2 },
        { value: 'OCR', count: 3 },
        { value: 'TEXT_LAYER', count: 1 },
      ]);
      // For the admin: c2 is its own; a1, b1 and c2 have a live claim; a3's claim expired.
      expect(facets['assigned']).toEqual([
        { value: 'me', count: 1 },
        { value: 'nobody', count: 3 },
        { value: 'someone', count: 3 },
      ]);
      expect(facets['stage']).toEqual([
        { value: 'AWAITING_DECISION', count: 4 },
        { value: 'AWAITING_SECOND_APPROVAL', count: 2 },
      ]);
      expect(facets['sampled']).toEqual([
        { value: false, count: 4 },
        { value: true, count: 2 },
      ]);
      expect(facets['cfa']).toEqual([
        { id: cfas.alpha.id, siret: cfas.alpha.siret, name: 'Lycée Alpha Formation', count: 3 },
        { id: cfas.gamma.id, siret: cfas.gamma.siret, name: 'Campus Gamma', count: 2 },
        { id: cfas.beta.id, siret: cfas.beta.siret, name: 'Beta Apprentissage', count: 1 },
      ]);
    });

    it('count each facet over the queue filtered by every other filter', async () => {
      const body = await queue(admin, '?nature=PEDAGOGIE&engine=OCR');
      expect(body.items.map((item) => keys.get(item.number))).toEqual(['c1', 'a1']);
      const { facets } = body;
      // Nature ignores its own filter, keeps the engine's: a1, b1, c1.
      expect(facets['nature']).toEqual([
        { value: 'FRAIS_ANNEXES', count: 1 },
        { value: 'PEDAGOGIE', count: 2 },
      ]);
      // Engine ignores its own, keeps the nature's: a1, a3, c1.
      expect(facets['engine']).toEqual([
        { value: 'OCR', count: 2 },
        { value: 'TEXT_LAYER', count: 1 },
      ]);
      expect(facets['control']).toEqual([{ value: 'TOTAL_AMOUNT', count: 1 }]);
      expect(facets['stage']).toEqual([{ value: 'AWAITING_DECISION', count: 2 }]);
      expect(facets['sampled']).toEqual([
        { value: false, count: 1 },
        { value: true, count: 1 },
      ]);
      expect(facets['assigned']).toEqual([
        { value: 'me', count: 0 },
        { value: 'nobody', count: 1 },
        { value: 'someone', count: 1 },
      ]);
      expect(facets['cfa']?.map((c) => [c.name, c.count])).toEqual([
        ['Campus Gamma', 1],
        ['Lycée Alpha Formation', 1],
      ]);
    });

    it('count the assignment facet over the other filters, from the caller’s side, in its portfolio', async () => {
      const { facets, total } = await queue(v2, '?assigned=me&control=SIRET');
      expect(total).toBe(1);
      // v2's portfolio (b1, c1, c2) with a SIRET to review: b1 only; claimed live by v2.
      expect(facets['assigned']).toEqual([
        { value: 'me', count: 1 },
        { value: 'nobody', count: 0 },
        { value: 'someone', count: 1 },
      ]);
      // The controls ignore their own filter: b1 alone is both v2's and claimed.
      expect(facets['control']).toEqual([
        { value: 'SIRET', count: 1 },
        { value: 'TOTAL_AMOUNT', count: 1 },
      ]);
    });
  });

  describe('bad parameters', () => {
    it.each([
      ['nature=FOO', 'nature'],
      ['minAmountCents=abc', 'minAmountCents'],
      ['minAmountCents=300&maxAmountCents=200', 'minAmountCents'],
      ['waitingMoreThanDays=-1', 'waitingMoreThanDays'],
      ['waitingMoreThanDays=1.5', 'waitingMoreThanDays'],
      ['depositedBefore=2026-13-01', 'depositedBefore'],
      ['control=NOPE', 'control.0'],
      ['control=SIRET,NOPE', 'control.1'],
      ['engine=PAPER', 'engine'],
      ['assigned=everyone', 'assigned'],
      ['stage=READING', 'stage'],
      ['sampled=yes', 'sampled'],
      ['scope=mine', 'scope'],
      ['sort=date', 'sort'],
      ['order=up', 'order'],
      ['pageSize=500', 'pageSize'],
      ['extra=1', ''],
    ])('%s: 400 INVALID_QUERY, in French, naming the parameter', async (query, path) => {
      const { agent, auth } = api.http(v1);
      const res = await agent.get(`/api/validation/queue?${query}`).set(auth);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_QUERY');
      const issues = res.body.error.details.issues as { path: string; message: string }[];
      expect(issues.map((i) => i.path)).toContain(path);
      expect(issues.every((i) => /[a-zéèàêô]{3}/i.test(i.message))).toBe(true);
    });

    it('answers in French', async () => {
      const { agent, auth } = api.http(v1);
      const res = await agent
        .get('/api/validation/queue?assigned=everyone&minAmountCents=3&maxAmountCents=2')
        .set(auth);
      const messages = (res.body.error.details.issues as { message: string }[]).map((i) => i.message);
      expect(messages).toEqual(expect.arrayContaining(['Attribution attendue : me, nobody ou someone']));
    });
  });
});
