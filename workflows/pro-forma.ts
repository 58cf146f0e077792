import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DecisionOrigin } from '../domain/decisions';
import { applyCorrections, isSampled, needsSecondApproval } from '../domain/desk';
import { fillLetter } from '../domain/pro-forma';
import { alertOf, inQueue, statusLabel, type Position } from '../domain/process';
import { emptyFields, zeroConfidences } from '../domain/reading';
import { readModel } from './activity-options';
import { invoiceWorkflow } from './invoice';
import { invoiceReadSignal, invoiceWorkflowId, type ExtractionView, type InvoiceOutcome } from './invoice.messages';
import { acceptClaims } from './pro-forma.claims';
import { createEffects } from './pro-forma.effects';
import {
  DEFAULT_DESK_POLICY,
  SYSTEM,
  type Actor,
  type ProFormaState,
  type ProFormaView,
  type ProFormaWorkflow,
  type ProFormaWorkflowInput,
} from './pro-forma.messages';
import { openInbox, type Request } from './pro-forma.requests';
import { CfaSiretKey, InvoiceNumberKey, ProFormaNumberKey } from './search-attributes';

// The API starts this workflow by the signature its messages declare, never importing this code: a change of
// signature here that the messages do not follow fails to compile.
const _declaredSignature: ProFormaWorkflow = proFormaWorkflow;

const DAY_MS = 86_400_000;
const DEFAULT_REPAYMENT_REMINDER_MS = 15 * DAY_MS;

/** Histories begun before the validation desk replay without its sampling and four eyes (patched() marks the others). */
const VALIDATION_DESK = 'validation-desk';
/**
 * Histories begun before the payment runs replay as they were: their payment order netted the credit notes at once,
 * and a REMBOURSEMENT credit note waited without reminders. Both kinds take the runs' Updates (paymentIssued,
 * paymentRejected), which their histories never held.
 */
const PAYMENT_RUNS = 'payment-runs';

/**
 * One pro forma, from its creation to PAID or CANCELLED (domain.md): await an invoice → its invoice workflow reads
 * and controls it → the verdict (refused, validated for a trusted CFA, or sent to a validator: sampled, above the
 * four-eyes threshold or not fully compliant) → a validator corrects the reading if need be and decides (two of them
 * above the threshold) → on refusal, await a correction or a cancellation → order the payment → await its
 * confirmation, unless an admin returns the pro forma to validation or cancels it first. Requests (deposits,
 * decisions, corrections, cancellations, payment confirmations) arrive as Updates, judged by domain/process.ts and
 * domain/desk.ts and taken by the process where it waits for them; claims apply at once (pro-forma.claims.ts).
 */
export async function proFormaWorkflow(input: ProFormaWorkflowInput): Promise<ProFormaView> {
  const { proForma, cfa, timings } = input;
  const deskRules = patched(VALIDATION_DESK);
  const runs = patched(PAYMENT_RUNS);
  /** A validated REMBOURSEMENT credit note: the CFA pays it back, reminded until its transfer is received. */
  const owesRepayment = runs && proForma.kind === 'CREDIT_NOTE' && proForma.settlementMode === 'REMBOURSEMENT';
  const policy = input.desk ?? DEFAULT_DESK_POLICY;
  const state: ProFormaState = input.carried ?? initialState();
  const position = (): Position => ({ status: state.status, stage: state.stage, kind: proForma.kind });
  const view = (): ProFormaView => ({
    ...state,
    number: proForma.number,
    kind: proForma.kind,
    nature: proForma.nature,
    totalCents: proForma.totalCents,
    settlementMode: proForma.settlementMode,
    statusLabel: statusLabel(state.status, proForma.kind, state.stage),
    createdAt: proForma.createdAt,
    cfa: { id: cfa.id, siret: cfa.siret, name: cfa.name },
  });
  const effects = createEffects(input, state);
  const inbox = openInbox(state, position, view);
  const claims = acceptClaims({ state, position, view, inbox, effects, policy });
  let reading: ExtractionView | undefined;
  setHandler(invoiceReadSignal, (extraction) => {
    if (extraction.version === state.document?.version && state.stage === 'READING') reading = extraction;
  });
  if (input.carried) effects.showDetails();
  else await effects.started();

  // ---- The process ------------------------------------------------------------------------------------------------

  let request: Request | undefined;
  for (;;) {
    while (state.status !== 'VALIDATED') {
      // 1. Await an invoice (the first one, or a correction after a refusal); the CFA is reminded while it waits.
      if (state.status === 'AWAITING_INVOICE' || state.status === 'REFUSED') request = await nextRequest();
      if (request?.action === 'CANCEL' || request?.action === 'STAFF_CANCEL') return cancel(request);
      if (request?.action === 'DEPOSIT_INVOICE') await acceptDeposit(request);
      request = undefined;
      if (!inQueue(state)) {
        // 2. Its invoice workflow reads and controls it; a newer deposit or a cancellation interrupts it.
        const read = await runInvoiceWorkflow();
        if ('interruptedBy' in read) {
          request = read.interruptedBy;
          continue;
        }
        // 3. The verdict: a failed control refuses, a trusted CFA's compliant invoice is validated (unless sampled or
        // above the four-eyes threshold), a human decides the rest.
        await applyVerdict(read.outcome);
      }
      // 4. Validators correct and decide (alerted while the decision waits), unless a new deposit or a cancellation
      // comes first.
      if (inQueue(state)) request = await awaitDecision();
    }
    // 5. The payment is ordered; a payment run puts it in a transfer file, the bank books it (paid) or rejects it
    // (ordered again); an admin may confirm it by hand, or take it back before a run.
    const paid = await awaitPayment();
    if (paid) return paid;
  }

  // ---- Phases -----------------------------------------------------------------------------------------------------

  async function acceptDeposit({ input: deposit }: Request & { action: 'DEPOSIT_INVOICE' }): Promise<void> {
    const at = new Date().toISOString();
    const document = {
      version: (state.document?.version ?? 0) + 1,
      ...deposit.document,
      uploadedAt: at,
      uploadedBy: deposit.actor.id,
    };
    const first = state.status === 'AWAITING_INVOICE';
    Object.assign(state, { document, depositedAt: at, extraction: null, controls: null, refusal: null });
    if (state.sampled) state.sampled = false;
    if (state.firstApproval) state.firstApproval = null;
    reading = undefined;
    await effects.recordDeposit(deposit.requestId, document);
    await effects.moveTo('UNDER_VALIDATION', 'READING', first ? 'DEPOSIT' : 'REDEPOSIT', deposit.actor);
    inbox.applied({ action: 'DEPOSIT_INVOICE', input: deposit });
    effects.notifyCfa('DEPOSIT_RECEIVED', { fileName: document.fileName, version: document.version });
  }

  /** The outcome of the current version's invoice workflow, or the request that made it stale. */
  async function runInvoiceWorkflow(): Promise<{ outcome: InvoiceOutcome | null } | { interruptedBy: Request }> {
    const document = state.document;
    if (!document) throw new Error(`pro forma ${proForma.number} has no document to read`);
    const scope = new CancellationScope();
    const child = await scope.run(() =>
      startChild(invoiceWorkflow, {
        workflowId: invoiceWorkflowId(proForma.number, document.version),
        args: [
          {
            proFormaNumber: proForma.number,
            document,
            ocrTaskQueue: input.ocrTaskQueue,
            ocrHeartbeatTimeoutMs: timings.ocrHeartbeatTimeoutMs,
          },
        ],
        // Cancelled without waiting for it to acknowledge; one still running when the pro forma closes (a
        // cancellation) is asked to cancel too, never terminated.
        cancellationType: ChildWorkflowCancellationType.TRY_CANCEL,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: [
          { key: ProFormaNumberKey, value: proForma.number },
          { key: CfaSiretKey, value: cfa.siret },
        ],
        staticSummary: `Facture v${document.version} de la pro forma ${proForma.number}`,
      }),
    );
    let outcome: { value: InvoiceOutcome | null } | undefined;
    child.result().then(
      (value) => (outcome = { value }),
      (error: unknown) => {
        // A reading that fails for good goes to a validator; it does not fail the pro forma.
        if (scope.consideredCancelled) return;
        log.warn('invoice workflow failed', { number: proForma.number, error: String(error) });
        outcome = { value: null };
      },
    );
    for (;;) {
      await condition(() => inbox.waiting || reading !== undefined || outcome !== undefined);
      const interruptedBy = inbox.take();
      if (interruptedBy) {
        scope.cancel();
        return { interruptedBy };
      }
      if (reading) {
        state.extraction = reading;
        reading = undefined;
        const invoiceNumber = state.extraction.fields.invoiceNumber;
        if (invoiceNumber) upsertSearchAttributes([{ key: InvoiceNumberKey, value: invoiceNumber }]);
        await effects.moveTo('UNDER_VALIDATION', 'CONTROLLING', 'CONTROL', SYSTEM);
      }
      if (outcome) return { outcome: outcome.value };
    }
  }

  async function applyVerdict(outcome: InvoiceOutcome | null): Promise<void> {
    state.extraction = outcome?.extraction ?? state.extraction;
    state.controls = outcome?.checked?.results ?? null;
    const verdict = outcome?.checked?.verdict;
    if (verdict?.kind === 'REFUSE') {
      return refuse('AUTOMATIC', await readModel.loadRefusalReason(verdict.reasonCode), null, SYSTEM);
    }
    // Trusted CFAs (jefacture's "fournisseur de confiance"): every control passed, no human needed — but for a
    // sampled share of them, and never above the four-eyes threshold.
    if (verdict?.kind === 'ALL_PASSED' && cfa.trusted) {
      const document = state.document;
      const sampled =
        deskRules && document !== null && isSampled({ number: proForma.number, ...document }, policy.samplingRate);
      const fourEyes = deskRules && needsSecondApproval(proForma.totalCents, policy.fourEyesAboveCents);
      if (!sampled && !fourEyes) return approve('AUTOMATIC', SYSTEM);
      state.sampled = sampled;
      return effects.moveTo('UNDER_VALIDATION', 'AWAITING_DECISION', 'AWAIT_DECISION', SYSTEM, {
        details: { trusted: true, sampled, fourEyes },
        desk: { sampled },
      });
    }
    await effects.moveTo('UNDER_VALIDATION', 'AWAITING_DECISION', 'AWAIT_DECISION', SYSTEM);
  }

  /**
   * Applies validators' corrections and decisions until the item leaves the queue; returns the deposit or
   * cancellation that came first, if one did. Above the four-eyes threshold, a first approval awaits a second one by
   * another validator; a refusal by either is final for this version.
   */
  async function awaitDecision(): Promise<Request | undefined> {
    for (;;) {
      const next = await nextRequest();
      if (next.action === 'CORRECT_READING') {
        await correctReading(next);
        continue;
      }
      if (next.action !== 'DECIDE') return next;
      const { decision, reasonCode, comment, actor } = next.input;
      if (decision === 'APPROVE') {
        if (
          state.stage === 'AWAITING_DECISION' &&
          deskRules &&
          needsSecondApproval(proForma.totalCents, policy.fourEyesAboveCents)
        ) {
          await firstApproval(actor);
          inbox.applied(next);
          continue;
        }
        await approve('MANUAL', actor);
      } else {
        // An unknown or retired reason fails the request and leaves the decision awaited.
        const reason = await readModel.loadRefusalReason(reasonCode ?? '').catch((error: unknown) => {
          inbox.refused(next, error);
        });
        if (!reason) continue;
        await refuse('MANUAL', reason, comment ?? null, actor);
      }
      inbox.applied(next);
      return undefined;
    }
  }

  /** A validator's correction of the reading: kept with its justification, the controls run again, a human decides. */
  async function correctReading(request: Request & { action: 'CORRECT_READING' }): Promise<void> {
    const { fields, justification, actor } = request.input;
    const version = state.document?.version ?? 0;
    const extraction = state.extraction ?? {
      version,
      engine: 'NONE' as const,
      fields: emptyFields(),
      fieldConfidences: zeroConfidences(),
      confidence: 0,
    };
    let corrected: ReturnType<typeof applyCorrections<typeof extraction.fields>>;
    try {
      corrected = applyCorrections(extraction.fields, fields);
    } catch (error) {
      return inbox.refused(request, error);
    }
    state.extraction = { ...extraction, fields: corrected.fields };
    await effects.recordCorrection(corrected.changes, justification, actor);
    await effects.rerunControls();
    await claims.claimFor(actor);
    inbox.applied(request);
  }

  async function firstApproval(actor: Actor): Promise<void> {
    state.firstApproval = { userId: actor.id, name: actor.name ?? null, at: new Date().toISOString() };
    await effects.moveTo('UNDER_VALIDATION', 'AWAITING_SECOND_APPROVAL', 'FIRST_APPROVAL', actor, {
      desk: { firstApprovedBy: actor.id },
    });
  }

  async function approve(origin: DecisionOrigin, actor: Actor): Promise<void> {
    const at = new Date().toISOString();
    await effects.recordDecision({
      origin,
      decision: 'APPROVE',
      reasonCode: null,
      comment: null,
      letter: null,
      actor: actor.id,
      at,
    });
    await effects.moveTo('VALIDATED', 'AWAITING_PAYMENT', origin === 'AUTOMATIC' ? 'AUTO_VALIDATE' : 'APPROVE', actor);
    effects.notifyCfa('VALIDATED', {});
  }

  async function refuse(
    origin: DecisionOrigin,
    reason: { code: string; label: string; letter: string; version?: number },
    comment: string | null,
    actor: Actor,
  ): Promise<void> {
    const at = new Date().toISOString();
    const letter = fillLetter(reason.letter, {
      numeroProForma: proForma.number,
      numeroFacture: state.extraction?.fields.invoiceNumber,
    });
    state.refusal = { origin, reasonCode: reason.code, label: reason.label, comment, letter, at };
    await effects.recordDecision({
      origin,
      decision: 'REFUSE',
      reasonCode: reason.code,
      reasonVersion: reason.version ?? null,
      comment,
      letter,
      actor: actor.id,
      at,
    });
    await effects.moveTo('REFUSED', null, origin === 'AUTOMATIC' ? 'AUTO_REFUSE' : 'REFUSE', actor);
    effects.notifyCfa('REFUSED', { reasonLabel: reason.label, letter, comment });
  }

  async function cancel(request: Request & { action: 'CANCEL' | 'STAFF_CANCEL' }): Promise<ProFormaView> {
    if (request.action === 'STAFF_CANCEL') {
      const { reason, actor } = request.input;
      await effects.moveTo('CANCELLED', null, 'STAFF_CANCEL', actor, { details: { reason } });
      inbox.applied(request);
      effects.notifyCfa('CANCELLED_BY_OPCO', { reason });
      return done();
    }
    await effects.moveTo('CANCELLED', null, 'CANCEL', request.input.actor);
    inbox.applied(request);
    return done();
  }

  /**
   * Awaits the payment of a validated pro forma: the pro forma once paid or cancelled, undefined once returned to
   * validation.
   */
  async function awaitPayment(): Promise<ProFormaView | undefined> {
    // Netting waits for the payment run (it nets what is outstanding then); histories before the runs netted here.
    if (state.payment === null) await effects.orderPayment({ netNow: !runs });
    for (;;) {
      const next = await nextRequest();
      switch (next.action) {
        case 'CONFIRM_PAYMENT':
          return confirmPayment(next);
        case 'ISSUE_PAYMENT':
          await paymentIssued(next);
          continue;
        case 'REJECT_PAYMENT':
          await paymentRejected(next);
          continue;
        case 'STAFF_CANCEL':
        case 'RETURN_TO_VALIDATION':
          if (!(await withdrawPayment(next))) continue;
          if (next.action === 'STAFF_CANCEL') return cancel(next);
          await returnToValidation(next);
          return undefined;
        default:
          throw new Error(`${next.action} taken while a payment is awaited`);
      }
    }
  }

  /** A payment run put the transfer that pays (or deducts) this pro forma in its file: « Paiement émis ». */
  async function paymentIssued(request: Request & { action: 'ISSUE_PAYMENT' }): Promise<void> {
    const { runNumber, endToEndId, actor } = request.input;
    if (state.payment) {
      state.payment = { ...state.payment, issued: { runNumber, endToEndId, at: new Date().toISOString() } };
    }
    await effects.moveTo('VALIDATED', 'PAYMENT_ISSUED', 'ISSUE_PAYMENT', actor, { details: { runNumber, endToEndId } });
    inbox.applied(request);
  }

  /** The bank rejected the transfer: the payment awaits the next run, the CFA is told why. */
  async function paymentRejected(request: Request & { action: 'REJECT_PAYMENT' }): Promise<void> {
    const { endToEndId, reason, actor } = request.input;
    if (state.payment) {
      state.payment = {
        ...state.payment,
        issued: null,
        rejected: { endToEndId, reason, at: new Date().toISOString() },
      };
    }
    await effects.moveTo('VALIDATED', 'AWAITING_PAYMENT', 'REJECT_PAYMENT', actor, { details: { endToEndId, reason } });
    inbox.applied(request);
    effects.notifyCfa('PAYMENT_REJECTED', { endToEndId, reason });
  }

  /** Takes a validated pro forma's payment order back before an admin's action; false when it no longer can be. */
  async function withdrawPayment(request: Request): Promise<boolean> {
    try {
      await effects.withdrawPayment();
      return true;
    } catch (error) {
      inbox.refused(request, error);
      return false;
    }
  }

  /** An admin sends a validated pro forma back to the validators, with the reason; a fresh decision is awaited. */
  async function returnToValidation(request: Request & { action: 'RETURN_TO_VALIDATION' }): Promise<void> {
    const { reason, actor } = request.input;
    state.firstApproval = null;
    await effects.moveTo('UNDER_VALIDATION', 'AWAITING_DECISION', 'RETURN_TO_VALIDATION', actor, {
      details: { reason },
      desk: { firstApprovedBy: null },
    });
    inbox.applied(request);
  }

  async function confirmPayment(request: Request & { action: 'CONFIRM_PAYMENT' }): Promise<ProFormaView> {
    const paidAt = request.input.paidAt ?? new Date().toISOString();
    await effects.confirmPayment(paidAt, request.input.reference ?? null);
    await effects.moveTo('PAID', null, 'CONFIRM_PAYMENT', request.input.actor, { paidAt });
    inbox.applied(request);
    effects.notifyCfa('PAID', { paidAt });
    return done();
  }

  // ---- Waiting ----------------------------------------------------------------------------------------------------

  /**
   * The next request allowed where the pro forma stands. While none comes, whoever the wait depends on is alerted
   * at each interval (domain/process.ts, alertOf), and the history is renewed (continue-as-new) when it grows long.
   */
  async function nextRequest(): Promise<Request> {
    for (;;) {
      const alert = alertOf(state, owesRepayment);
      const interval =
        alert === 'REMIND_CFA'
          ? timings.reminderAfterMs
          : alert === 'REMIND_REPAYMENT'
            ? (timings.repaymentReminderAfterMs ?? DEFAULT_REPAYMENT_REMINDER_MS)
            : timings.escalateAfterMs;
      const since = Date.parse(state.waitingSince ?? proForma.createdAt);
      const alertIn = alert ? Math.max(1, since + interval * (state.alertsSent + 1) - Date.now()) : undefined;
      const woken = await condition(() => inbox.waiting || mayContinueAsNew(), alertIn);
      const next = inbox.take();
      if (next) return next;
      if (!woken) {
        state.alertsSent++;
        const waitingDays = Math.floor((Date.now() - since) / DAY_MS);
        log.info('wait overdue', { number: proForma.number, alert, alerts: state.alertsSent });
        if (alert === 'ALERT_VALIDATORS') effects.alertValidators({ waitingDays });
        else if (alert === 'REMIND_REPAYMENT') effects.notifyCfa('REPAYMENT_REMINDER', { waitingDays });
        else effects.notifyCfa('REMINDER', { waitingDays, refused: state.status === 'REFUSED' });
      } else if (mayContinueAsNew() && (await quietPoint())) {
        await continueAsNew<typeof proFormaWorkflow>({ ...input, carried: state });
      }
    }
  }

  function mayContinueAsNew(): boolean {
    const info = workflowInfo();
    const knob = input.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (knob !== undefined && info.historyLength >= knob);
  }

  /**
   * Waits until no Update is running and every e-mail is out: the only safe moment to close or continue as new.
   * False when a request arrived meanwhile (it comes first).
   */
  async function quietPoint(): Promise<boolean> {
    for (;;) {
      await condition(() => allHandlersFinished() || inbox.waiting);
      if (inbox.waiting) return false;
      await effects.mailsSent();
      if (allHandlersFinished() && !inbox.waiting) return true;
    }
  }

  /** Closes the pro forma once quiet; requests accepted just before its final move are refused (none is allowed). */
  async function done(): Promise<ProFormaView> {
    while (!(await quietPoint())) inbox.take();
    return view();
  }
}

function initialState(): ProFormaState {
  return {
    status: 'AWAITING_INVOICE',
    stage: null,
    document: null,
    depositedAt: null,
    extraction: null,
    controls: null,
    refusal: null,
    payment: null,
    processedRequestIds: [],
    step: 0,
    waitingSince: null,
    alertsSent: 0,
  };
}
