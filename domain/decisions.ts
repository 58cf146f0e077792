import { DomainError } from './errors';

/** What a decision says of a deposited invoice. */
export const DECISIONS = ['APPROVE', 'REFUSE'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Who made a decision (and so a refusal's origin): the automatic controls, or a validator. */
export const DECISION_ORIGINS = ['AUTOMATIC', 'MANUAL'] as const;
export type DecisionOrigin = (typeof DECISION_ORIGINS)[number];

/**
 * The refusal-reason rule: a refusal names a reason of the catalogue, and only an active one. Throws
 * UNKNOWN_REFUSAL_REASON naming the code. `inCatalogue` is whether the catalogue has the code as an active reason;
 * where the catalogue cannot be read (a workflow's update validator) it is left out and only a code is required.
 */
export function assertRefusalReason(code: string | null | undefined, inCatalogue = true): asserts code is string {
  if (!code) {
    throw new DomainError('UNKNOWN_REFUSAL_REASON', 'Un refus doit indiquer un motif du catalogue (reasonCode).', {
      reasonCode: null,
    });
  }
  if (!inCatalogue) {
    throw new DomainError('UNKNOWN_REFUSAL_REASON', `Motif de refus inconnu : ${code}.`, { reasonCode: code });
  }
}
