/**
 * PostgreSQL errors the application expects, by their SQLSTATE and the explicit constraint names of migrations/.
 * The API maps a constraint name to its own answer (e.g. cfas_siret_key → 409), so no route parses messages.
 */

const UNIQUE_VIOLATION = '23505';

interface PgError {
  code?: string;
  constraint?: string;
}

/** The name of the unique constraint `error` violates, if it is a unique violation. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const pg = error as PgError;
  return pg.code === UNIQUE_VIOLATION ? (pg.constraint ?? 'unknown') : undefined;
}

/** A unique constraint stood in the way of a write; the API answers 409 with a message per constraint. */
export class UniqueViolationError extends Error {
  constructor(readonly constraint: string) {
    super(`unique constraint ${constraint} violated`);
    this.name = 'UniqueViolationError';
  }
}

/** Runs `write`, turning a unique violation into UniqueViolationError. */
export async function uniquely<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const constraint = violatedUniqueConstraint(error);
    if (constraint) throw new UniqueViolationError(constraint);
    throw error;
  }
}
