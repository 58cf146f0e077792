import type { Compilable } from 'kysely';
import {
  contractListQueries,
  scheduleQuery,
  type ContractFilters,
  type ContractSort,
  type SortOrder,
} from '../../db/contracts';
import { seedContracts, type SeededContracts } from '../../db/synthetic-contracts';
import { planOf, scansOf, type PlanNode } from '../../support/api-lists';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

jest.setTimeout(180_000);

const BY_INDEX = ['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan'];

/** Every scan of `relation` in the plan, none of them sequential. */
function expectIndexed(plan: PlanNode, relation: string): { node: string; index?: string }[] {
  const scans = scansOf(plan, relation);
  expect(scans.length).toBeGreaterThan(0);
  expect(scans.filter((s) => !BY_INDEX.includes(s.node))).toEqual([]);
  return scans;
}

/** The index conditions of a plan (what an index scan seeks, as opposed to what it filters). */
function conditionsOf(plan: PlanNode): string[] {
  const own = typeof plan['Index Cond'] === 'string' ? [plan['Index Cond']] : [];
  return [...own, ...(plan.Plans ?? []).flatMap(conditionsOf)];
}

/** The indexes a plan reads (a bitmap heap scan's come from its Bitmap Index Scan children). */
function indexesOf(plan: PlanNode): string[] {
  const own = plan['Index Name'] ? [plan['Index Name']] : [];
  return [...own, ...(plan.Plans ?? []).flatMap(indexesOf)];
}

/**
 * With 20,000 contracts (50 CFAs) and 100,000 installments, GET /api/contracts' searches and a contract's schedule
 * read contracts and installments by index, never by a sequential scan (migration 2026_12_02_0003).
 */
describe('the contracts’ searches on 20,000 contracts and 100,000 installments', () => {
  let database: TestDatabase;
  let seeded: SeededContracts;

  beforeAll(async () => {
    database = await createTestDatabase();
    seeded = await seedContracts(database.db, { cfas: 50, contracts: 20_000, installmentsPerContract: 5 });
  });
  afterAll(() => database.drop());

  it('seeds 20,000 contracts and 100,000 installments', async () => {
    const count = async (table: 'contracts' | 'installments') =>
      Number(
        (
          await database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('contracts')).toBe(20_000);
    expect(await count('installments')).toBe(100_000);
  });

  /** The last element: the indexes the page may be read by (any of them), null: any index. */
  type Case = [string, 'cfa' | 'staff', ContractFilters, ContractSort, SortOrder, string[] | null];
  const cases = (): Case[] => [
    ['CFA list by number, page 1', 'cfa', {}, 'number', 'asc', ['contracts_cfa_id_number_idx', 'contracts_number_key']],
    ['CFA list by start date, newest first', 'cfa', {}, 'startDate', 'desc', ['contracts_cfa_id_start_date_idx']],
    ['CFA list by apprentice name', 'cfa', {}, 'apprenticeName', 'asc', ['contracts_cfa_id_apprentice_name_idx']],
    ['CFA search by number prefix', 'cfa', { number: 'DECA-0000' }, 'number', 'asc', null],
    ['CFA search by exact number', 'cfa', { number: seeded.sampleContract.number }, 'number', 'asc', null],
    ['CFA search by apprentice name', 'cfa', { apprenticeName: 'martin' }, 'number', 'asc', null],
    [
      'CFA search by employer SIRET',
      'cfa',
      { employerSiret: seeded.sampleContract.employerSiret },
      'number',
      'asc',
      null,
    ],
    ['CFA search by start dates', 'cfa', { startFrom: '2025-01-01', startTo: '2025-03-31' }, 'startDate', 'asc', null],
    ['CFA search by status', 'cfa', { status: 'RUPTURE' }, 'number', 'asc', null],
    ['staff list by number, page 1', 'staff', {}, 'number', 'asc', ['contracts_number_key']],
    ['staff list by start date, page 1', 'staff', {}, 'startDate', 'desc', ['contracts_start_date_idx']],
    ['staff list by apprentice name, page 1', 'staff', {}, 'apprenticeName', 'asc', ['contracts_apprentice_name_idx']],
    [
      'staff search by number prefix',
      'staff',
      { number: 'DECA-000012' },
      'number',
      'asc',
      ['contracts_number_pattern_idx', 'contracts_number_key'],
    ],
    [
      'staff search by employer SIRET',
      'staff',
      { employerSiret: seeded.sampleContract.employerSiret },
      'number',
      'asc',
      ['contracts_employer_siret_idx'],
    ],
    [
      'staff search by start dates',
      'staff',
      { startFrom: '2025-01-01', startTo: '2025-01-05' },
      'startDate',
      'asc',
      ['contracts_start_date_idx'],
    ],
    [
      'staff list of one CFA',
      'staff',
      { cfaId: seeded.firstCfaId },
      'number',
      'asc',
      ['contracts_cfa_id_number_idx', 'contracts_number_key'],
    ],
  ];

  function queriesOf(who: 'cfa' | 'staff', filters: ContractFilters, by: ContractSort, order: SortOrder) {
    const scope = { cfaIds: who === 'cfa' ? [seeded.firstCfaId] : null };
    return contractListQueries(database.db, scope, filters, { page: 1, pageSize: 50 }, { by, order });
  }

  it('has a case for every filter and sort of GET /api/contracts', () => {
    const filters = new Set(cases().flatMap(([, , f]) => Object.keys(f)));
    expect([...filters].sort()).toEqual(
      ['apprenticeName', 'cfaId', 'employerSiret', 'number', 'startFrom', 'startTo', 'status'].sort(),
    );
    expect(new Set(cases().map(([, , , by]) => by))).toEqual(new Set(['number', 'startDate', 'apprenticeName']));
  });

  it.each([...Array(16).keys()])('reads contracts by index: case %i (page and total)', async (i) => {
    const [name, who, filters, by, order, index] = cases()[i] as Case;
    const { items, total } = queriesOf(who, filters, by, order);
    const page = await planOf(database.db, items as Compilable);
    const scans = expectIndexed(page, 'contracts');
    if (index !== null) {
      expect({ name, indexes: indexesOf(page).filter((x) => index.includes(x)) }).toEqual({
        name,
        indexes: [expect.any(String)],
      });
    }
    // A search reads by its condition, not by a walk of a whole index filtered row by row (but the name's part, and
    // the status and the CFA, which keep a tenth and a fiftieth of the rows: walking the sort's index is cheaper).
    if (Object.keys(cases()[i]![2]).some((f) => !['apprenticeName', 'status', 'cfaId'].includes(f))) {
      expect({ name, conditions: conditionsOf(page) }).toEqual({
        name,
        conditions: expect.arrayContaining([expect.any(String)]),
      });
    }
    void scans;
    expectIndexed(await planOf(database.db, total as Compilable), 'contracts');
  });

  it('finds the prefix and the name it is asked for (the statements are the API’s)', async () => {
    const { items, total } = queriesOf(
      'cfa',
      { apprenticeName: seeded.sampleContract.apprenticeName.slice(0, 6).toUpperCase() },
      'number',
      'asc',
    );
    const rows = await items.execute();
    expect(rows.map((r) => r.number)).toContain(seeded.sampleContract.number);
    expect(Number((await total.executeTakeFirstOrThrow()).n)).toBeGreaterThanOrEqual(rows.length);
    const prefixed = await queriesOf('staff', { number: 'DECA-0000012' }, 'number', 'asc').items.execute();
    expect(prefixed.map((r) => r.number)).toEqual(Array.from({ length: 10 }, (_, k) => `DECA-0000012${k}`));
  });

  it('reads a contract’s schedule by index: its installments, their live lines and pro formas', async () => {
    const plan = await planOf(database.db, scheduleQuery(database.db, seeded.sampleContract.id, '2026-11-22'));
    // The installments sought by their contract (through whichever index leads with contract_id).
    expectIndexed(plan, 'installments');
    expect(conditionsOf(plan).some((c) => c.includes('contract_id ='))).toBe(true);
    // Each one's live line through the partial unique index of live lines.
    expect(indexesOf(plan)).toContain('pro_forma_lines_live_installment_key');
    expectIndexed(plan, 'pro_forma_lines');
    const rows = await scheduleQuery(database.db, seeded.sampleContract.id, '2026-11-22').execute();
    expect(rows).toHaveLength(5);
  });
});
