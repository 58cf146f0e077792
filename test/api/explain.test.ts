import { seedProFormas } from '../../db/synthetic-data';
import { apiQueries, planOf, scansOf, type PlanNode } from '../../support/api-lists';
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
    'validation queue, page 1',
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
  ])('reads the %s with an %s of %s', async (name, node, index) => {
    const scans = scansOf(await plan(name), 'pro_formas');
    expect(new Set(scans.map((s) => `${s.node} ${s.index}`))).toEqual(new Set([`${node} ${index}`]));
  });

  it.each([
    'CFA list total',
    'CFA list filtered by status, total',
    'staff list total',
    'staff list filtered by status, total',
    'validation queue total',
    'CFA dashboard',
    'staff dashboard',
  ])('sums the groups of pro_forma_counts for the %s, without reading pro_formas', async (name) => {
    expect(query(name).counted).toBe(true);
    const found = await plan(name);
    expect(scansOf(found, 'pro_forma_counts').length).toBeGreaterThan(0);
    expect(scansOf(found, 'pro_formas')).toEqual([]);
  });
});
