/**
 * Business error codes. They travel as `ApplicationFailure` types out of workflows and activities, and the
 * API maps them to HTTP codes; NON_RETRYABLE lists those an activity retry can never fix.
 */
export const DOMAIN_ERROR_CODES = [
  'ACTION_NOT_ALLOWED',
  'NO_DECISION_AWAITED',
  'UNKNOWN_REFUSAL_REASON',
  'INSTALLMENT_NOT_ELIGIBLE',
  'EMPTY_SELECTION',
  'DOCUMENT_UNREADABLE',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'AMOUNT_OUT_OF_RANGE',
  'SELECTION_TOO_LARGE',
  'CLAIMED_BY_OTHER',
  'SAME_APPROVER',
  'PAYMENT_ALREADY_ORDERED',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** Codes only the API's input checks raise, never a workflow or an activity. */
const API_INPUT_ERROR_CODES: readonly DomainErrorCode[] = ['AMOUNT_OUT_OF_RANGE', 'SELECTION_TOO_LARGE'];

/**
 * The codes an activity retry can never fix: every domain code but the API's input checks, in the order of
 * DOMAIN_ERROR_CODES (the recorded workflow histories replay against this list).
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly DomainErrorCode[] = DOMAIN_ERROR_CODES.filter(
  (code) => !API_INPUT_ERROR_CODES.includes(code),
);

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** How a DomainError travels through Temporal: an ApplicationFailure of its code, never retried. */
export function failureOptions(error: DomainError) {
  return {
    type: error.code,
    message: error.message,
    details: error.details ? [error.details] : undefined,
    nonRetryable: true,
  };
}
