import { DECISION_ORIGINS, assertRefusalReason } from '../../domain/decisions';
import { DomainError, NON_RETRYABLE_ERROR_TYPES } from '../../domain/errors';
import { FINAL_STATUSES, PRO_FORMA_STATUSES, isFinalStatus } from '../../domain/process';

describe('the rules of a decision', () => {
  it('knows two origins, the automatic controls and a validator', () => {
    expect(DECISION_ORIGINS).toEqual(['AUTOMATIC', 'MANUAL']);
  });

  it('requires a refusal to name a reason, and one the catalogue has', () => {
    expect(() => assertRefusalReason('OTHER')).not.toThrow();
    expect(() => assertRefusalReason('OTHER', true)).not.toThrow();
    for (const missing of [undefined, null, '']) {
      expect(() => assertRefusalReason(missing)).toThrow(
        new DomainError('UNKNOWN_REFUSAL_REASON', 'Un refus doit indiquer un motif du catalogue (reasonCode).'),
      );
    }
    let unknown: unknown;
    try {
      assertRefusalReason('NOPE', false);
    } catch (error) {
      unknown = error;
    }
    expect(unknown).toBeInstanceOf(DomainError);
    expect(unknown).toMatchObject({
      code: 'UNKNOWN_REFUSAL_REASON',
      message: 'Motif de refus inconnu : NOPE.',
      details: { reasonCode: 'NOPE' },
    });
  });
});

describe('the final statuses', () => {
  it('are PAID and CANCELLED, and only them', () => {
    expect(FINAL_STATUSES).toEqual(['PAID', 'CANCELLED']);
    expect(PRO_FORMA_STATUSES.filter(isFinalStatus)).toEqual(['PAID', 'CANCELLED']);
  });
});

describe('the error types an activity retry cannot fix', () => {
  // The recorded workflow histories schedule their activities with this list: new codes go at its end (the replay
  // test shows that histories recorded with a shorter list still replay).
  it('are the domain codes but the API input checks, in order', () => {
    expect(NON_RETRYABLE_ERROR_TYPES).toEqual([
      'ACTION_NOT_ALLOWED',
      'NO_DECISION_AWAITED',
      'UNKNOWN_REFUSAL_REASON',
      'INSTALLMENT_NOT_ELIGIBLE',
      'EMPTY_SELECTION',
      'DOCUMENT_UNREADABLE',
      'VALIDATION_FAILED',
      'NOT_FOUND',
      'CLAIMED_BY_OTHER',
      'SAME_APPROVER',
      'PAYMENT_ALREADY_ORDERED',
    ]);
  });
});
