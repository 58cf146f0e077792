import { sql } from 'kysely';
import { seedProFormas } from '../../db/synthetic-data';
import { QUEUE_INDEXES, SEARCHED_TABLES, apiQueries, planOf, scansOf, type PlanNode } from '../../support/api-lists';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

jest.setTimeout(120_000);

/**
 * With 100,000 pro formas, every list page the API runs reads pro_formas through an index, never by a sequential scan
 * of the table, and its totals and dashboards read pro_forma_counts' groups, never pro_formas (`BENCH_PLANS=1 npm run bench:lists` prints the same plans with their timings).
 */
describe('the API’s reads on 100,000 pro formas', () => {
  let database: TestDatabase;
  let queries: ReturnType<typeof apiQueries>;
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedProFormas(database.db, 100_000);
    const { id } = await database.db.selectFrom('cfas').select('id').orderBy('siret').executeTakeFirstOrThrow();
    queries = apiQueries(database.db, id);
  });
  afterAll(() => database.drop());

  function query(name: string) {
    const found = queries.find((q) => q.name === name);
    if (!found) throw new Error(`no query ${name}`);
    return found;
  }

  function plan(name: string): Promise<PlanNode> {
    return planOf(database.db, query(name).query);
  }

  it('seeds 100,000 pro formas', async () => {
    const { n } = await database.db
      .selectFrom('pro_formas')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(n).toBe(100_000);
  });

  it.each([
    'CFA list, page 1',
    'CFA list, page 20',
    'CFA list filtered by status, page 1',
    'CFA list filtered by nature, page 1',
    'CFA list of a dashboard category, page 1',
    'CFA search by invoice number',
    'staff list, page 1',
    'staff list filtered by status, page 1',
    'staff search by number',
    'staff search by invoice number',
    'staff list of one CFA, page 1',
  ])('reads pro_formas by index for the %s', async (name) => {
    expect(query(name).counted).toBeUndefined();
    const scans = scansOf(await plan(name), 'pro_formas');
    expect(scans.length).toBeGreaterThan(0);
    // A bitmap heap scan reads the rows an index found; a sequential scan would read the whole table.
    const byIndex = ['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan'];
    expect(scans.filter((s) => !byIndex.includes(s.node))).toEqual([]);
  });

  it.each([
    ['CFA list, page 1', 'Index Scan', 'pro_formas_cfa_id_created_at_idx'],
    ['staff list, page 1', 'Index Scan', 'pro_formas_created_at_number_idx'],
    ['validation queue, page 1', 'Index Scan', 'pro_formas_validation_queue_idx'],
    ['validation queue by amount, page 1', 'Index Scan', 'pro_formas_queue_amount_idx'],
  ])('reads the %s with an %s of %s', async (name, node, index) => {
    const scans = scansOf(await plan(name), 'pro_formas');
    expect(new Set(scans.map((s) => `${s.node} ${s.index}`))).toEqual(new Set([`${node} ${index}`]));
  });

  it.each([
    'CFA list total',
    'CFA list filtered by status, total',
    'staff list total',
    'staff list filtered by status, total',
    'CFA dashboard',
    'staff dashboard',
  ])('sums the groups of pro_forma_counts for the %s, without reading pro_formas', async (name) => {
    expect(query(name).counted).toBe(true);
    const found = await plan(name);
    expect(scansOf(found, 'pro_forma_counts').length).toBeGreaterThan(0);
    expect(scansOf(found, 'pro_formas')).toEqual([]);
  });

  describe('the validation queue (page, total and each facet, for each kind of request)', () => {
    const names = () => queries.filter((q) => q.queue).map((q) => q.name);

    it('has its statements among the API’s queries', () => {
      expect(names().length).toBeGreaterThanOrEqual(40);
      expect(names()).toEqual(
        expect.arrayContaining([
          'validation queue, total',
          'validation queue filtered by everything, total',
          'validation queue filtered by everything, control facet',
          'validation queue of a portfolio, cfa facet',
        ]),
      );
    });

    it('holds about 5 % of the table, with the values the desk filters on', async () => {
      const { rows } = await sql<{ n: number; reviewed: number; engines: number; sampled: number; second: number }>`
        select count(*)::int as n, count(*) filter (where cardinality(review_codes) > 0)::int as reviewed,
          count(distinct reading_engine)::int as engines, count(*) filter (where sampled)::int as sampled,
          count(*) filter (where stage = 'AWAITING_SECOND_APPROVAL')::int as second
        from pro_formas
        where status = 'UNDER_VALIDATION' and stage in ('AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL')`.execute(
        database.db,
      );
      const [q] = rows;
      expect(q?.n).toBeGreaterThan(4_000);
      expect(q?.n).toBeLessThan(6_000);
      expect(q?.reviewed).toBeGreaterThan(q!.n / 2);
      expect(q?.engines).toBe(3);
      expect(q?.sampled).toBeGreaterThan(0);
      expect(q?.second).toBeGreaterThan(0);
    });

    const queueIndexes: readonly string[] = QUEUE_INDEXES;

    /**
     * Whether a bitmap reads only rows of the queue: a bitmap index scan of a queue index, an AND with one such
     * bitmap, an OR of such bitmaps only.
     */
    function boundedByQueue(node: PlanNode): boolean {
      const children = node.Plans ?? [];
      switch (node['Node Type']) {
        case 'Bitmap Index Scan':
          return queueIndexes.includes(node['Index Name'] ?? '');
        case 'BitmapAnd':
          return children.some(boundedByQueue);
        case 'BitmapOr':
          return children.length > 0 && children.every(boundedByQueue);
        default:
          return false;
      }
    }

    function bitmapIndexes(node: PlanNode): string[] {
      if (node['Node Type'] === 'Bitmap Index Scan') return [node['Index Name'] ?? ''];
      if (node['Node Type'] === 'BitmapAnd' || node['Node Type'] === 'BitmapOr') {
        return (node.Plans ?? []).flatMap(bitmapIndexes);
      }
      return [];
    }

    /** Each read of pro_formas in a plan: its node, the indexes it uses, whether they keep it to the queue's rows. */
    function readsOfProFormas(node: PlanNode): { node: string; indexes: string[]; queueOnly: boolean }[] {
      let own: { node: string; indexes: string[]; queueOnly: boolean }[] = [];
      if (node['Relation Name'] === 'pro_formas') {
        const type = node['Node Type'];
        if (type === 'Bitmap Heap Scan') {
          // Its bitmap is its first child; other children are the subplans of its filter.
          const bitmap = (node.Plans ?? []).filter((child) => child['Parent Relationship'] === 'Outer');
          own = [{ node: type, indexes: bitmap.flatMap(bitmapIndexes), queueOnly: bitmap.some(boundedByQueue) }];
        } else {
          const index = node['Index Name'] ?? '';
          own = [
            {
              node: type,
              indexes: index ? [index] : [],
              queueOnly: ['Index Scan', 'Index Only Scan'].includes(type) && queueIndexes.includes(index),
            },
          ];
        }
      }
      return [...own, ...(node.Plans ?? []).flatMap(readsOfProFormas)];
    }

    it('reads pro_formas only through the queue’s partial indexes, never by a sequential scan', async () => {
      const wrong: Record<string, string> = {};
      const used = new Set<string>();
      for (const name of names()) {
        const reads = readsOfProFormas(await plan(name));
        for (const read of reads) read.indexes.forEach((index) => used.add(index));
        if (reads.length === 0 || !reads.every((r) => r.queueOnly)) wrong[name] = JSON.stringify(reads);
      }
      expect(wrong).toEqual({});
      // The check tells a read of the whole table's index apart.
      expect(readsOfProFormas(await plan('staff list, page 1')).map((r) => r.queueOnly)).toEqual([false]);
      // The sorts and the filters pick their own index, not always the same one.
      expect([...used]).toEqual(
        expect.arrayContaining([
          'pro_formas_validation_queue_idx',
          'pro_formas_queue_amount_idx',
          'pro_formas_queue_review_codes_idx',
        ]),
      );
    });

    it('reads the queue of one CFA, and each sort, by the index made for it', async () => {
      const indexesOf = async (name: string) =>
        new Set(readsOfProFormas(await plan(name)).flatMap((read) => read.indexes));
      expect(await indexesOf('validation queue of a CFA by SIRET, page 1')).toEqual(
        new Set(['pro_formas_queue_cfa_idx']),
      );
      expect(await indexesOf('validation queue filtered by control, page 1')).toContain(
        'pro_formas_queue_review_codes_idx',
      );
    });
  });

  describe('the searches (the list’s new filters, the eligible installments: page and total of each)', () => {
    const names = () => queries.filter((q) => q.search).map((q) => q.name);

    /** Every sequential scan of a big table in a plan. */
    function seqScans(found: PlanNode): string[] {
      return SEARCHED_TABLES.flatMap((table) =>
        scansOf(found, table)
          .filter((s) => s.node === 'Seq Scan')
          .map(() => table),
      );
    }

    /** Every index a plan reads (index scans and the bitmap index scans under bitmap heap scans). */
    function indexesOf(node: PlanNode): string[] {
      return [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexesOf)];
    }

    it('has its statements among the API’s queries', () => {
      expect(names().length).toBeGreaterThanOrEqual(60);
      expect(names()).toEqual(
        expect.arrayContaining([
          'CFA list of an apprentice, total',
          'staff list by free text (a CFA’s name), page 1',
          'eligible installments of a teaching SIRET, recap',
          'eligible installments filtered by everything, page',
        ]),
      );
    });

    it('seeds contracts, installments and lines behind the pro formas', async () => {
      const count = async (table: 'contracts' | 'installments' | 'pro_forma_lines') =>
        Number(
          (
            await database.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await count('contracts')).toBe(25_001);
      expect(await count('pro_forma_lines')).toBe(100_000);
      expect(await count('installments')).toBe(125_001);
    });

    it('never scans pro_formas, pro_forma_lines, contracts or installments sequentially', async () => {
      const wrong: Record<string, string[]> = {};
      for (const name of names()) {
        const found = await plan(name);
        const seq = seqScans(found);
        if (seq.length > 0) wrong[name] = seq;
        // Each reads pro_formas (the list) or contracts (the eligible installments) at all.
        const read = name.startsWith('eligible') ? 'contracts' : 'pro_formas';
        if (scansOf(found, read).length === 0) wrong[name] = [...(wrong[name] ?? []), `no read of ${read}`];
      }
      expect(wrong).toEqual({});
      // The check sees a sequential scan where there is one.
      const scan = database.db.selectFrom('contracts').select('id').where('employer_name', '=', 'Employeur 1');
      expect(seqScans(await planOf(database.db, scan))).toEqual(['contracts']);
    });

    it('counts the rows of a search, not the groups of pro_forma_counts', async () => {
      for (const name of names().filter((n) => n.endsWith(', total'))) {
        expect([name, scansOf(await plan(name), 'pro_forma_counts')]).toEqual([name, []]);
      }
    });

    it.each([
      ['staff list of an apprentice, page 1', 'contracts_apprentice_words_idx'],
      ['staff list of an apprentice by one name, total', 'contracts_apprentice_words_idx'],
      ['staff list by amount, total', 'pro_formas_total_cents_idx'],
      ['staff list by invoice date, total', 'pro_formas_invoice_issue_date_idx'],
      ['staff list deposited between two days, total', 'pro_formas_deposited_at_idx'],
      ['staff list by free text (an invoice number), total', 'pro_formas_invoice_number_prefix_idx'],
      ['staff list by free text (a number), total', 'pro_formas_number_key'],
      ['eligible installments of a first name, page', 'contracts_cfa_first_name_idx'],
      ['eligible installments of a last name, recap', 'contracts_cfa_last_name_idx'],
      ['eligible installments of a teaching SIRET, page', 'contracts_cfa_training_siret_idx'],
      ['eligible installments, recap', 'pro_forma_lines_live_installment_key'],
    ])('reads the %s through %s', async (name, index) => {
      expect(indexesOf(await plan(name))).toContain(index);
    });

    it('reads the contract of a contract search by its number', async () => {
      const used = indexesOf(await plan('staff list of a contract, page 1'));
      expect(used.filter((index) => index.startsWith('contracts_number'))).not.toEqual([]);
      expect(used).toContain('installments_contract_covering_idx');
    });
  });
});
