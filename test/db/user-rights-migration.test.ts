import { sql, type Kysely } from 'kysely';
import { migrateToLatest } from '../../db/migrate';
import type { Database } from '../../db/schema';
import { findUserByTokenHash } from '../../db/users';
import { BUNDLES } from '../../domain/rights';
import { hashToken } from '../../infra/tokens';
import { createTestDatabase, migrateToBefore, type TestDatabase } from '../helpers/database';
import { insertCfa } from '../helpers/fixtures';

const MIGRATION = '2026_12_02_0006_user_rights';

let database: TestDatabase;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  db = database.db;
});
afterAll(() => database.drop());

/** Users written before rights per user: each role's rights become the user's, each CFA user keeps its one CFA. */
describe(`migration ${MIGRATION} on a database holding users of the three roles`, () => {
  let cfaId: string;

  beforeAll(async () => {
    await migrateToBefore(db, MIGRATION);
    cfaId = (await insertCfa(db)).id;
    // Written as the schema of that time stood (one CFA column, a token for everyone).
    for (const role of ['admin', 'validator', 'cfa'] as const) {
      await sql`
        insert into users (role, name, email, cfa_id, token_hash)
        values (${role}, ${role}, ${`${role}@legacy.example`}, ${role === 'cfa' ? cfaId : null},
                ${hashToken(`legacy-${role}`)})`.execute(db);
    }
    await migrateToLatest(db);
  });

  it.each(['admin', 'validator', 'cfa'] as const)(
    'gives the %s its role’s rights, its CFA, and a token that does not expire',
    async (role) => {
      const user = await findUserByTokenHash(db, hashToken(`legacy-${role}`));
      expect(user).toMatchObject({
        role,
        rights: [...BUNDLES[role]],
        cfaIds: role === 'cfa' ? [cfaId] : [],
        revoked: false,
        tokenExpiresAt: null,
      });
    },
  );
});
