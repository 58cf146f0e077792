import { ActivityFailure, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { assertRefusalReason } from '../domain/decisions';
import { applyCorrections, assertNotHeldByOther, assertSecondApprover, liveClaim } from '../domain/desk';
import { DomainError, failureOptions } from '../domain/errors';
import { assertAllowed, type Position } from '../domain/process';
import { emptyFields } from '../domain/reading';
import {
  cancelUpdate,
  confirmPaymentUpdate,
  correctReadingUpdate,
  decideUpdate,
  depositInvoiceUpdate,
  getProFormaQuery,
  paymentIssuedUpdate,
  paymentRejectedUpdate,
  returnToValidationUpdate,
  staffCancelUpdate,
  type CancelInput,
  type ConfirmPaymentInput,
  type CorrectReadingInput,
  type DecideInput,
  type DepositInvoiceInput,
  type PaymentIssuedInput,
  type PaymentRejectedInput,
  type ProFormaState,
  type ProFormaView,
  type StaffActionInput,
} from './pro-forma.messages';

/**
 * The requests of the outside world (the API, the Temporal CLI) to a pro forma's workflow. Each one is an Update:
 * its validator judges it against the process table of domain/process.ts (a refusal is a synchronous error naming
 * the status), then the request waits in this inbox until the process takes it, judges it again (another request
 * may have moved the pro forma meanwhile) and applies it. The Update answers with the pro forma as it then stands.
 */

export type Request =
  | { action: 'DEPOSIT_INVOICE'; input: DepositInvoiceInput }
  | { action: 'DECIDE'; input: DecideInput }
  | { action: 'CORRECT_READING'; input: CorrectReadingInput }
  | { action: 'CANCEL'; input: CancelInput }
  | { action: 'STAFF_CANCEL'; input: StaffActionInput }
  | { action: 'RETURN_TO_VALIDATION'; input: StaffActionInput }
  | { action: 'CONFIRM_PAYMENT'; input: ConfirmPaymentInput }
  | { action: 'ISSUE_PAYMENT'; input: PaymentIssuedInput }
  | { action: 'REJECT_PAYMENT'; input: PaymentRejectedInput };

type InputOf<A extends Request['action']> = Extract<Request, { action: A }>['input'];

export interface Inbox {
  /** Whether a request waits for the process. */
  readonly waiting: boolean;
  /** The next request still allowed where the pro forma stands; one no longer allowed is refused on the way. */
  take(): Request | undefined;
  /** The request has been applied: its Update answers with the pro forma. */
  applied(request: Request): void;
  /** The request could not be applied: its Update fails with `error` (a DomainError keeps its code). */
  refused(request: Request, error: unknown): void;
  /** Whether an Update of this id was applied already (its repetition answers with the pro forma as it stands). */
  alreadyApplied(requestId: string): boolean;
  /** Remembers an Update applied outside the inbox (a claim), across continue-as-new. */
  remember(requestId: string): void;
}

/** Update ids remembered across continue-as-new (the server's own dedup does not survive it). */
const MAX_REMEMBERED_REQUESTS = 500;

const SHA256 = /^[0-9a-f]{64}$/;

export function openInbox(state: ProFormaState, position: () => Position, view: () => ProFormaView): Inbox {
  const queue: Request[] = [];
  const outcomes = new Map<string, { error?: unknown }>();
  const checks = new Map<Request['action'], (input: never) => void>();
  const alreadyApplied = (requestId: string) => state.processedRequestIds.includes(requestId);
  /** The whole judgement of a request: where the pro forma stands, then the request's own rule. */
  const judgeRequest = (request: Request) => {
    assertAllowed(position(), request.action);
    (checks.get(request.action) as ((input: Request['input']) => void) | undefined)?.(request.input);
  };

  function accept<A extends Request['action']>(
    update: UpdateDefinition<ProFormaView, [InputOf<A>]>,
    action: A,
    check: (input: InputOf<A>) => void = () => undefined,
  ): void {
    checks.set(action, check as (input: never) => void);
    setHandler(
      update,
      async (input: InputOf<A>) => {
        if (alreadyApplied(input.requestId)) return view();
        queue.push({ action, input } as Request);
        await condition(() => outcomes.has(input.requestId));
        const { error } = outcomes.get(input.requestId) ?? {};
        outcomes.delete(input.requestId);
        if (error !== undefined) throw asFailure(error);
        return view();
      },
      {
        validator: (input: InputOf<A>) => {
          if (alreadyApplied(input.requestId)) return;
          judge(() => assertAllowed(position(), action));
          judge(() => check(input));
        },
      },
    );
  }

  accept(depositInvoiceUpdate, 'DEPOSIT_INVOICE', (input) => {
    if (!SHA256.test(input.document.sha256)) throw new DomainError('VALIDATION_FAILED', 'Empreinte SHA-256 invalide.');
  });
  const claimNow = () => liveClaim(state.claim ?? null, Date.now());
  accept(decideUpdate, 'DECIDE', (input) => {
    if (input.decision === 'REFUSE') assertRefusalReason(input.reasonCode);
    assertNotHeldByOther(claimNow(), input.actor);
    if (input.decision === 'APPROVE' && state.firstApproval)
      assertSecondApprover(state.firstApproval.userId, input.actor);
  });
  accept(correctReadingUpdate, 'CORRECT_READING', (input) => {
    assertNotHeldByOther(claimNow(), input.actor);
    assertReason(input.justification, 'justification');
    applyCorrections(state.extraction?.fields ?? emptyFields(), input.fields);
  });
  accept(cancelUpdate, 'CANCEL');
  accept(staffCancelUpdate, 'STAFF_CANCEL', (input) => assertReason(input.reason, 'reason'));
  accept(returnToValidationUpdate, 'RETURN_TO_VALIDATION', (input) => assertReason(input.reason, 'reason'));
  accept(confirmPaymentUpdate, 'CONFIRM_PAYMENT');
  accept(paymentIssuedUpdate, 'ISSUE_PAYMENT');
  accept(paymentRejectedUpdate, 'REJECT_PAYMENT', (input) => assertReason(input.reason, 'reason'));
  setHandler(getProFormaQuery, view);

  return {
    get waiting() {
      return queue.length > 0;
    },
    take() {
      for (let request = queue.shift(); request; request = queue.shift()) {
        try {
          judgeRequest(request);
          return request;
        } catch (error) {
          this.refused(request, error);
        }
      }
      return undefined;
    },
    applied(request) {
      this.remember(request.input.requestId);
      outcomes.set(request.input.requestId, {});
    },
    alreadyApplied,
    remember(requestId) {
      state.processedRequestIds.push(requestId);
      if (state.processedRequestIds.length > MAX_REMEMBERED_REQUESTS) state.processedRequestIds.shift();
    },
    refused(request, error) {
      outcomes.set(request.input.requestId, { error });
    },
  };
}

/** A staff action's reason, or a correction's justification: said in words. */
function assertReason(text: string | undefined, path: string): void {
  const length = text?.trim().length ?? 0;
  if (length < 3 || length > 1000) {
    throw new DomainError('VALIDATION_FAILED', 'Un motif de 3 à 1000 caractères est requis.', {
      issues: [{ path, message: '3 à 1000 caractères' }],
    });
  }
}

/** Runs a validator's check; a DomainError becomes an ApplicationFailure typed with the domain code. */
export function judge(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw asFailure(error);
  }
}

/** The failure an Update answers with: a domain rule's code, or an activity's business failure (its own type). */
function asFailure(error: unknown): unknown {
  if (error instanceof DomainError) {
    return ApplicationFailure.create(failureOptions(error));
  }
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: error.cause.type ?? undefined,
      message: error.cause.message,
      nonRetryable: true,
    });
  }
  return error;
}
