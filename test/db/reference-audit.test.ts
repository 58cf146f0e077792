import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { auditForExport, listAudit, writeAudit, type AuditFilters } from '../../db/reference-audit';
import type { Database } from '../../db/schema';
import { hashToken } from '../../infra/tokens';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

jest.setTimeout(60_000);

/**
 * The audit's reads on a table of some size: each filter of the list is answered from an index (never a sequential
 * scan of reference_audit), newest first, and a Paris day is a Paris day (winter and summer time).
 */
describe('the audit of reference data', () => {
  let database: TestDatabase;
  let logged: Kysely<Database>;
  let queries: CompiledQuery[] = [];
  const actors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.db;
    for (const n of [1, 2, 3]) {
      const row = await db
        .insertInto('users')
        .values({
          role: 'admin',
          name: `Admin ${n}`,
          email: `admin${n}@opco.example`,
          rights: [],
          token_hash: hashToken(`token-${n}`),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      actors.push(row.id);
    }
    // 30,000 changes over two years, spread across entities, ids and authors.
    await sql`
      insert into reference_audit (entity, entity_id, action, actor, before, after, at)
      select (array['CFA', 'MANDATE', 'USER', 'PORTFOLIO', 'REFUSAL_REASON'])[1 + i % 5],
             'id-' || (i % 3000),
             'UPDATE',
             (${sql.val(actors)}::uuid[])[1 + i % 3],
             '{"n": 0}'::jsonb,
             jsonb_build_object('n', i),
             timestamptz '2025-01-01 00:00:00+00' + (i * interval '35 minutes')
      from generate_series(1, 30000) i`.execute(db);
    await sql`analyze reference_audit`.execute(db);
    logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
      log: (event) => {
        if (event.level === 'query') queries.push(event.query);
      },
    });
  });
  afterAll(async () => {
    await logged?.destroy();
    await database?.drop();
  });

  async function plansOf(filters: AuditFilters): Promise<string[]> {
    queries = [];
    await listAudit(logged, filters, { page: 1, pageSize: 50 });
    await auditForExport(logged, filters, 20_001);
    const captured = queries;
    queries = [];
    const plans: string[] = [];
    for (const query of captured) {
      const { rows } = await logged.executeQuery<{ 'QUERY PLAN': unknown }>(
        CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]),
      );
      plans.push(JSON.stringify(rows[0]?.['QUERY PLAN']));
    }
    return plans;
  }

  it.each<[string, AuditFilters]>([
    ['an entity and its id', { entity: 'CFA', entityId: 'id-5' }],
    ['an id alone', { entityId: 'id-7' }],
    ['an author and a period', { actor: 'AUTHOR', from: '2025-03-01', to: '2025-03-31' }],
    ['a period', { from: '2026-01-10', to: '2026-01-12' }],
  ])('reads the changes of %s from an index', async (_name, filters) => {
    const resolved = { ...filters, ...(filters.actor && { actor: actors[0] }) };
    const plans = await plansOf(resolved);
    expect(plans).toHaveLength(3);
    for (const plan of plans) {
      expect(plan).toContain('reference_audit_');
      expect(plan).not.toMatch(/"Node Type":"Seq Scan"[^}]*"Relation Name":"reference_audit"/);
    }
  });

  it('lists the newest first, with the author, each filter applied', async () => {
    const page = await listAudit(database.db, { entity: 'USER', actor: actors[1] }, { page: 1, pageSize: 5 });
    expect(page.total).toBe(2000);
    expect(page.items).toHaveLength(5);
    const ats = page.items.map((i) => i.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    for (const item of page.items) {
      expect(item).toMatchObject({ entity: 'USER', actor: { id: actors[1], name: 'Admin 2' } });
    }
  });

  it('takes a Paris day from midnight to midnight in Paris, in winter and in summer', async () => {
    const db = database.db;
    const winterLate = await writeAudit(db, {
      entity: 'CFA',
      entityId: 'paris-day',
      action: 'UPDATE',
      actor: null,
      before: null,
      after: null,
    });
    // 23:30 UTC on 15 January is 00:30 on the 16th in Paris; 22:30 UTC on 30 June is 00:30 on 1 July.
    await db
      .updateTable('reference_audit')
      .set({ at: '2027-01-15T23:30:00Z' })
      .where('id', '=', winterLate.id)
      .execute();
    const summer = await writeAudit(db, {
      entity: 'CFA',
      entityId: 'paris-day',
      action: 'UPDATE',
      actor: null,
      before: null,
      after: null,
    });
    await db.updateTable('reference_audit').set({ at: '2027-06-30T22:30:00Z' }).where('id', '=', summer.id).execute();
    const on = async (from: string, to = from) =>
      (await listAudit(db, { entityId: 'paris-day', from, to }, { page: 1, pageSize: 10 })).items.map((i) => i.id);
    expect(await on('2027-01-15')).toEqual([]);
    expect(await on('2027-01-16')).toEqual([winterLate.id]);
    expect(await on('2027-06-30')).toEqual([]);
    expect(await on('2027-07-01')).toEqual([summer.id]);
    expect(await on('2027-01-16', '2027-07-01')).toEqual([summer.id, winterLate.id]);
  });
});
