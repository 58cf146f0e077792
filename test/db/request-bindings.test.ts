import crypto from 'node:crypto';
import {
  bindIdempotencyKey,
  claimDepositedContent,
  releaseDepositClaim,
  releaseRefusedDeposit,
} from '../../db/request-bindings';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const hex = () => crypto.randomBytes(32).toString('hex');

describe('request bindings on PostgreSQL', () => {
  let database: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    const user = await database.db
      .insertInto('users')
      .values({ role: 'admin', name: 'Admin', email: 'admin@test.example', rights: [], token_hash: hex() })
      .returning('id')
      .executeTakeFirstOrThrow();
    userId = user.id;
  });
  afterAll(() => database.drop());

  it('binds a key to the first of two fingerprints sent at once, and answers both with it', async () => {
    const binding = { userId, action: 'decide', key: crypto.randomUUID() };
    const [first, second] = [hex(), hex()];
    const bound = await Promise.all([
      bindIdempotencyKey(database.db, { ...binding, fingerprint: first }),
      bindIdempotencyKey(database.db, { ...binding, fingerprint: second }),
    ]);
    expect(new Set(bound).size).toBe(1);
    expect([first, second]).toContain(bound[0]);
    expect(await bindIdempotencyKey(database.db, { ...binding, action: 'cancel', fingerprint: second })).toBe(second);
  });

  it('keeps the content while another deposit of it is in flight, and removes it once none holds it', async () => {
    const sha256 = hex();
    const refused = await claimDepositedContent(database.db, sha256);
    const other = await claimDepositedContent(database.db, sha256);
    const remove = jest.fn(async () => undefined);
    expect(await releaseRefusedDeposit(database.db, refused, sha256, remove)).toBe(false);
    await releaseDepositClaim(database.db, other);
    const last = await claimDepositedContent(database.db, sha256);
    expect(await releaseRefusedDeposit(database.db, last, sha256, remove)).toBe(true);
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it('releases with an applied deposit the claims its request’s earlier attempts kept, and no other', async () => {
    const sha256 = hex();
    const timedOut = await claimDepositedContent(database.db, sha256, 'deposit-request-1');
    const retried = await claimDepositedContent(database.db, sha256, 'deposit-request-1');
    const otherRequest = await claimDepositedContent(database.db, sha256, 'deposit-request-2');
    const unnamed = await claimDepositedContent(database.db, sha256);
    await releaseDepositClaim(database.db, retried);
    const left = await database.db
      .selectFrom('deposits_in_flight')
      .select('id')
      .where('sha256', '=', sha256)
      .orderBy('id')
      .execute();
    expect(left.map((r) => r.id).sort()).toEqual([otherRequest, unnamed].sort());
    expect(left.map((r) => r.id)).not.toContain(timedOut);
  });

  it('makes a new claim of the content wait until a removal under way is over', async () => {
    const sha256 = hex();
    const refused = await claimDepositedContent(database.db, sha256);
    const events: string[] = [];
    let finishRemoval: () => void = () => undefined;
    let removalStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (removalStarted = resolve));
    const removal = releaseRefusedDeposit(database.db, refused, sha256, async () => {
      removalStarted();
      await new Promise<void>((resolve) => (finishRemoval = resolve));
      events.push('file removed');
    });
    await started;
    const claim = claimDepositedContent(database.db, sha256).then((id) => {
      events.push('new deposit claimed');
      return id;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual([]);
    finishRemoval();
    await removal;
    await releaseDepositClaim(database.db, await claim);
    expect(events).toEqual(['file removed', 'new deposit claimed']);
  });
});
