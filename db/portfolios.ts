import type { Kysely } from 'kysely';
import { writeAudit } from './reference-audit';
import type { Database } from './schema';

/**
 * Validators' portfolios: the CFAs each validator looks after (a CFA in no portfolio is everyone's). Managed by
 * admins, a whole set at a time, each replacement audited (entity PORTFOLIO, the validator's id, the CFA ids before
 * and after).
 */

export interface PortfolioCfa {
  id: string;
  siret: string;
  name: string;
}

export interface PortfolioView {
  validator: { id: string; name: string; email: string; revokedAt: string | null };
  cfas: PortfolioCfa[];
}

async function portfolioCfaIds(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('validator_portfolios')
    .select('cfa_id')
    .where('user_id', '=', userId)
    .orderBy('cfa_id')
    .execute();
  return rows.map((r) => r.cfa_id);
}

/**
 * Replaces the validator's portfolio inside the caller's transaction, and audits it when it changed. Returns the CFA
 * ids before and after, sorted.
 */
export async function replacePortfolioIn(
  trx: Kysely<Database>,
  userId: string,
  cfaIds: readonly string[],
  actor: string | null,
): Promise<{ before: string[]; after: string[] }> {
  const before = await portfolioCfaIds(trx, userId);
  const after = [...new Set(cfaIds)].sort();
  const removed = before.filter((id) => !after.includes(id));
  const added = after.filter((id) => !before.includes(id));
  if (removed.length > 0) {
    await trx.deleteFrom('validator_portfolios').where('user_id', '=', userId).where('cfa_id', 'in', removed).execute();
  }
  if (added.length > 0) {
    await trx
      .insertInto('validator_portfolios')
      .values(added.map((cfaId) => ({ user_id: userId, cfa_id: cfaId, assigned_by: actor })))
      .execute();
  }
  if (removed.length > 0 || added.length > 0) {
    await writeAudit(trx, {
      entity: 'PORTFOLIO',
      entityId: userId,
      action: 'ASSIGN',
      actor,
      before: { cfaIds: before },
      after: { cfaIds: after },
    });
  }
  return { before, after };
}

export type PortfolioOutcome =
  | { kind: 'assigned'; portfolio: PortfolioView }
  | { kind: 'user_not_found' }
  | { kind: 'not_validator'; role: string }
  | { kind: 'unknown_cfas'; cfaIds: string[] };

/** Replaces a validator's portfolio with `cfaIds` (an empty list empties it), in one transaction with its audit. */
export async function assignPortfolio(
  db: Kysely<Database>,
  userId: string,
  cfaIds: readonly string[],
  actor: string | null,
): Promise<PortfolioOutcome> {
  return db.transaction().execute(async (trx): Promise<PortfolioOutcome> => {
    // Locks the user: a concurrent role change waits for the portfolio, and the reverse.
    const user = await trx
      .selectFrom('users')
      .select(['id', 'role', 'name', 'email', 'revoked_at'])
      .where('id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
    if (!user) return { kind: 'user_not_found' };
    if (user.role !== 'validator') return { kind: 'not_validator', role: user.role };
    const wanted = [...new Set(cfaIds)];
    const known =
      wanted.length === 0
        ? []
        : await trx
            .selectFrom('cfas')
            .select(['id', 'siret', 'name'])
            .where('id', 'in', wanted)
            .forShare()
            .orderBy('name')
            .orderBy('siret')
            .execute();
    const unknown = wanted.filter((id) => !known.some((c) => c.id === id));
    if (unknown.length > 0) return { kind: 'unknown_cfas', cfaIds: unknown };
    await replacePortfolioIn(trx, userId, wanted, actor);
    return {
      kind: 'assigned',
      portfolio: {
        validator: {
          id: user.id,
          name: user.name,
          email: user.email,
          revokedAt: user.revoked_at === null ? null : user.revoked_at.toISOString(),
        },
        cfas: known,
      },
    };
  });
}

/** Every validator with its portfolio (possibly empty), by name; and the CFAs in no portfolio. */
export async function listPortfolios(
  db: Kysely<Database>,
): Promise<{ validators: PortfolioView[]; unassignedCfas: PortfolioCfa[] }> {
  const [validators, assignments, unassigned] = await Promise.all([
    db
      .selectFrom('users')
      .select(['id', 'name', 'email', 'revoked_at'])
      .where('role', '=', 'validator')
      .orderBy('name')
      .orderBy('email')
      .execute(),
    db
      .selectFrom('validator_portfolios as p')
      .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
      .select(['p.user_id', 'c.id', 'c.siret', 'c.name'])
      .orderBy('c.name')
      .orderBy('c.siret')
      .execute(),
    db
      .selectFrom('cfas as c')
      .select(['c.id', 'c.siret', 'c.name'])
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('validator_portfolios as p').select('p.cfa_id').whereRef('p.cfa_id', '=', 'c.id'))),
      )
      .orderBy('c.name')
      .orderBy('c.siret')
      .execute(),
  ]);
  return {
    validators: validators.map((v) => ({
      validator: {
        id: v.id,
        name: v.name,
        email: v.email,
        revokedAt: v.revoked_at === null ? null : v.revoked_at.toISOString(),
      },
      cfas: assignments.filter((a) => a.user_id === v.id).map(({ id, siret, name }) => ({ id, siret, name })),
    })),
    unassignedCfas: unassigned,
  };
}
