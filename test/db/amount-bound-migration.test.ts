import { sql, type Kysely } from 'kysely';
import { insertContract, type ContractInput, type InstallmentInput } from '../../db/contract-import';
import { migrateToLatest } from '../../db/migrate';
import type { Database } from '../../db/schema';
import { createTestDatabase, migrateToBefore, type TestDatabase } from '../helpers/database';
import { insertCfa } from '../helpers/fixtures';

const MIGRATION = '2026_12_01_0001_installment_amount_bound';
const CONSTRAINT = 'installments_amount_cents_bound_check';

let database: TestDatabase;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  db = database.db;
});
afterAll(() => database.drop());

function contractOf(cfaId: string, number: string): ContractInput {
  return {
    cfaId,
    number,
    label: 'BTS',
    apprenticeName: 'Léa Martin',
    employerName: 'Boulangerie',
    employerSiret: '98765432109876',
    startDate: '2026-09-01',
    endDate: '2028-08-31',
    status: 'ENGAGE',
  };
}

function installmentOf(amountCents: number): InstallmentInput {
  return { nature: 'PEDAGOGIE', periodStart: '2026-09-01', periodEnd: '2026-12-31', amountCents };
}

async function validated(): Promise<boolean[]> {
  const { rows } = await sql<{ convalidated: boolean }>`
    select convalidated from pg_constraint where conname = ${CONSTRAINT}`.execute(db);
  return rows.map((r) => r.convalidated);
}

/**
 * Before the bound, the API and the import accepted any safe integer: a database may hold such an installment. The
 * migration must neither fail (npm start migrates: the service would not start) nor touch that money.
 */
describe(`migration ${MIGRATION} on a database holding an installment past the bound`, () => {
  let legacyId: string;
  let cfaId: string;

  beforeAll(async () => {
    await migrateToBefore(db, MIGRATION);

    const cfa = await insertCfa(db);
    // Written as the schema of that time stood (today's repository writes columns added later).
    const legacy = contractOf(cfa.id, 'C-LEGACY');
    const installment = installmentOf(Number.MAX_SAFE_INTEGER);
    const { rows } = await sql<{ id: string }>`
      with c as (
        insert into contracts (cfa_id, number, label, apprentice_name, employer_name, employer_siret, start_date,
                               end_date, status)
        values (${legacy.cfaId}, ${legacy.number}, ${legacy.label}, ${legacy.apprenticeName}, ${legacy.employerName},
                ${legacy.employerSiret}, ${legacy.startDate}, ${legacy.endDate}, ${legacy.status})
        returning id)
      insert into installments (contract_id, nature, period_start, period_end, amount_cents)
      select c.id, ${installment.nature}, ${installment.periodStart}, ${installment.periodEnd}, ${installment.amountCents}
      from c
      returning id`.execute(db);
    const inserted = rows[0];
    if (!inserted) throw new Error('the legacy installment was not inserted');
    legacyId = inserted.id;
    cfaId = cfa.id;
  });

  it('migrates, keeps the installment as it is and bounds every row written from now on', async () => {
    await migrateToLatest(db);

    const kept = await db
      .selectFrom('installments')
      .select('amount_cents')
      .where('id', '=', legacyId)
      .executeTakeFirstOrThrow();
    expect(kept.amount_cents).toBe(Number.MAX_SAFE_INTEGER);
    expect(await validated()).toEqual([false]);
    await expect(
      db
        .transaction()
        .execute((trx) => insertContract(trx, contractOf(cfaId, 'C-NEW'), [installmentOf(100_000_000_000)])),
    ).rejects.toMatchObject({ code: '23514', constraint: CONSTRAINT });
    await expect(
      db.updateTable('installments').set({ amount_cents: 100_000_000_000 }).where('id', '=', legacyId).execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: CONSTRAINT });
  });

  it('validates the constraint once the installment is corrected, as the migration tells the operator', async () => {
    await db.updateTable('installments').set({ amount_cents: 150_000 }).where('id', '=', legacyId).execute();

    await sql`alter table installments validate constraint installments_amount_cents_bound_check`.execute(db);

    expect(await validated()).toEqual([true]);
  });
});
