import { sql } from 'kysely';
import { dashboardCounters } from '../../db/dashboard';
import { proFormaCountQuery } from '../../db/pro-forma-list';
import { seedProFormas } from '../../db/synthetic-data';
import { createMigrator, migrateToLatest } from '../../db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

jest.setTimeout(60_000);

/** The groups of pro_forma_counts are what counting pro_formas gives, after any kind of change to them. */
describe('pro_forma_counts', () => {
  let database: TestDatabase;
  let firstCfaId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    ({ firstCfaId } = await seedProFormas(database.db, 3_000, 5));
    // The counts are about pro formas alone: without their lines, a test may move a pro forma to another nature or
    // delete it (the lines' foreign key holds the nature).
    await sql`delete from pro_forma_lines`.execute(database.db);
  });
  afterAll(() => database.drop());

  /** The groups as kept, and as counted from pro_formas, each as sorted text lines. */
  async function keptAndCounted(): Promise<{ kept: string[]; counted: string[] }> {
    const group = sql.raw(`cfa_id, status, stage, refusal_origin, nature, kind`);
    const kept = await sql<{ line: string }>`
      select concat_ws('|', ${group}, deposited, n) as line from pro_forma_counts where n > 0 order by 1`.execute(
      database.db,
    );
    const counted = await sql<{ line: string }>`
      select concat_ws('|', ${group}, deposited_at is not null, count(*)) as line
      from pro_formas group by ${group}, deposited_at is not null order by 1`.execute(database.db);
    return { kept: kept.rows.map((r) => r.line), counted: counted.rows.map((r) => r.line) };
  }

  async function expectConsistent(): Promise<void> {
    const { kept, counted } = await keptAndCounted();
    expect(counted.length).toBeGreaterThan(10);
    expect(kept).toEqual(counted);
  }

  it('counts a bulk load', async () => {
    await expectConsistent();
  });

  it('follows status moves, deposits, refusals with their origin, and deletions', async () => {
    await sql`
      update pro_formas set status = 'UNDER_VALIDATION', stage = 'READING', deposited_at = now(), refusal_origin = null
      where status = 'AWAITING_INVOICE' and number like '%1'`.execute(database.db);
    await sql`
      update pro_formas set status = 'REFUSED', stage = null, refusal_origin = 'MANUAL', refused_at = now()
      where status = 'UNDER_VALIDATION' and number like '%3'`.execute(database.db);
    await sql`update pro_formas set nature = 'MOBILITE' where number like '%5'`.execute(database.db);
    await sql`delete from pro_formas where status = 'CANCELLED' and number like '%7'`.execute(database.db);
    await expectConsistent();
  });

  it('leaves the counters alone when no counted column changes', async () => {
    const before = await sql<{ xmin: string }>`select xmin::text from pro_forma_counts order by 1`.execute(database.db);
    await sql`update pro_formas set invoice_number = invoice_number || '-x', updated_at = now()`.execute(database.db);
    const after = await sql<{ xmin: string }>`select xmin::text from pro_forma_counts order by 1`.execute(database.db);
    expect(after.rows).toEqual(before.rows);
    await expectConsistent();
  });

  it('stays right under concurrent transactions moving pro formas both ways between the same groups', async () => {
    const numbers = (
      await database.db
        .selectFrom('pro_formas')
        .select('number')
        .where('cfa_id', '=', firstCfaId)
        .where('nature', 'in', ['PEDAGOGIE', 'MOBILITE'])
        .orderBy('number')
        .limit(40)
        .execute()
    ).map((r) => r.number);
    expect(numbers).toHaveLength(40);
    // Each transaction swaps the nature of two of a CFA's pro formas, the next one's in the opposite order.
    await Promise.all(
      numbers.map((number, i) =>
        database.db.transaction().execute(async (trx) => {
          const other = numbers[(i + 1) % numbers.length] as string;
          for (const n of i % 2 === 0 ? [number, other] : [other, number]) {
            await sql`
              update pro_formas set nature = case nature when 'MOBILITE' then 'PEDAGOGIE' else 'MOBILITE' end
              where number = ${n}`.execute(trx);
          }
        }),
      ),
    );
    await expectConsistent();
  });

  it('gives the lists’ totals and the dashboard what counting the rows gives', async () => {
    const rows = (status: 'REFUSED', cfaId?: string) => {
      let query = database.db
        .selectFrom('pro_formas')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', status);
      if (cfaId !== undefined) query = query.where('cfa_id', '=', cfaId);
      return query.executeTakeFirstOrThrow().then((r) => Number(r.n));
    };
    const staffTotal = await proFormaCountQuery(
      database.db,
      { cfaIds: null },
      { status: 'REFUSED' },
    ).executeTakeFirstOrThrow();
    expect(Number(staffTotal.total)).toBe(await rows('REFUSED'));
    const cfaTotal = await proFormaCountQuery(
      database.db,
      { cfaIds: [firstCfaId] },
      { status: 'REFUSED' },
    ).executeTakeFirstOrThrow();
    expect(Number(cfaTotal.total)).toBe(await rows('REFUSED', firstCfaId));
    expect(Number(cfaTotal.total)).toBeGreaterThan(0);
    const [emises] = await dashboardCounters(database.db, { cfaIds: null });
    const deposited = await database.db
      .selectFrom('pro_formas')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('deposited_at', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(emises).toMatchObject({ category: 'EMISES', count: Number(deposited.n) });
  });

  it('is built from the pro formas already there when migrated up', async () => {
    // Down to the migration before the counts (the later ones go down first), then up again.
    const down = await createMigrator(database.db).migrateTo('2026_12_01_0002_request_bindings');
    expect(down.error).toBeUndefined();
    const undone = down.results?.map((r) => [r.migrationName, r.status]) ?? [];
    expect(undone.at(-1)).toEqual(['2026_12_02_0001_pro_forma_counts', 'Success']);
    expect(undone.filter(([, status]) => status !== 'Success')).toEqual([]);
    await migrateToLatest(database.db);
    await expectConsistent();
  });
});
