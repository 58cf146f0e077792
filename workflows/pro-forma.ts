import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DecisionOrigin } from '../domain/decisions';
import { fillLetter } from '../domain/pro-forma';
import { alertOf, statusLabel, type Position } from '../domain/process';
import { readModel } from './activity-options';
import { invoiceWorkflow } from './invoice';
import { invoiceReadSignal, invoiceWorkflowId, type ExtractionView, type InvoiceOutcome } from './invoice.messages';
import { createEffects } from './pro-forma.effects';
import {
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

/**
 * One pro forma, from its creation to PAID or CANCELLED (domain.md): await an invoice → its invoice workflow reads
 * and controls it → the verdict (refused, validated for a trusted CFA, or decided by a validator) → on refusal,
 * await a correction or a cancellation → order the payment → await its confirmation. Requests (deposits, decisions,
 * cancellations, payment confirmations) arrive as Updates, judged by domain/process.ts and taken by the process
 * where it waits for them.
 */
export async function proFormaWorkflow(input: ProFormaWorkflowInput): Promise<ProFormaView> {
  const { proForma, cfa, timings } = input;
  const state: ProFormaState = input.carried ?? initialState();
  const position = (): Position => ({ status: state.status, stage: state.stage, kind: proForma.kind });
  const view = (): ProFormaView => ({
    ...state,
    number: proForma.number,
    kind: proForma.kind,
    nature: proForma.nature,
    totalCents: proForma.totalCents,
    settlementMode: proForma.settlementMode,
    statusLabel: statusLabel(state.status, proForma.kind),
    createdAt: proForma.createdAt,
    cfa: { id: cfa.id, siret: cfa.siret, name: cfa.name },
  });
  const effects = createEffects(input, state);
  const inbox = openInbox(state, position, view);
  let reading: ExtractionView | undefined;
  setHandler(invoiceReadSignal, (extraction) => {
    if (extraction.version === state.document?.version && state.stage === 'READING') reading = extraction;
  });
  if (input.carried) effects.showDetails();
  else await effects.started();

  // ---- The process ------------------------------------------------------------------------------------------------

  let request: Request | undefined;
  while (state.status !== 'VALIDATED') {
    // 1. Await an invoice (the first one, or a correction after a refusal); the CFA is reminded while it waits.
    if (state.status === 'AWAITING_INVOICE' || state.status === 'REFUSED') request = await nextRequest();
    if (request?.action === 'CANCEL') return cancel(request);
    if (request?.action === 'DEPOSIT_INVOICE') await acceptDeposit(request);
    request = undefined;
    if (state.stage !== 'AWAITING_DECISION') {
      // 2. Its invoice workflow reads and controls it; a newer deposit or a cancellation interrupts it.
      const read = await runInvoiceWorkflow();
      if ('interruptedBy' in read) {
        request = read.interruptedBy;
        continue;
      }
      // 3. The verdict: a failed control refuses, a trusted CFA's compliant invoice is validated, a human decides
      // the rest.
      await applyVerdict(read.outcome);
    }
    // 4. A validator decides (alerted while the decision waits), unless a new deposit or a cancellation comes first.
    if (state.stage === 'AWAITING_DECISION') request = await awaitDecision();
  }
  // 5. The payment is ordered, then its confirmation awaited.
  if (state.payment === null) await effects.orderPayment();
  return confirmPayment(await nextRequest());

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
    // Trusted CFAs (jefacture's "fournisseur de confiance"): every control passed, no human needed.
    if (verdict?.kind === 'ALL_PASSED' && cfa.trusted) return approve('AUTOMATIC', SYSTEM);
    await effects.moveTo('UNDER_VALIDATION', 'AWAITING_DECISION', 'AWAIT_DECISION', SYSTEM);
  }

  /** Applies a validator's decision; returns the deposit or cancellation that came first, if one did. */
  async function awaitDecision(): Promise<Request | undefined> {
    for (;;) {
      const next = await nextRequest();
      if (next.action !== 'DECIDE') return next;
      const { decision, reasonCode, comment, actor } = next.input;
      if (decision === 'APPROVE') await approve('MANUAL', actor);
      else {
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
    reason: { code: string; label: string; letter: string },
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
      comment,
      letter,
      actor: actor.id,
      at,
    });
    await effects.moveTo('REFUSED', null, origin === 'AUTOMATIC' ? 'AUTO_REFUSE' : 'REFUSE', actor);
    effects.notifyCfa('REFUSED', { reasonLabel: reason.label, letter, comment });
  }

  async function cancel(request: Request & { action: 'CANCEL' }): Promise<ProFormaView> {
    await effects.moveTo('CANCELLED', null, 'CANCEL', request.input.actor);
    inbox.applied(request);
    return done();
  }

  async function confirmPayment(request: Request): Promise<ProFormaView> {
    if (request.action !== 'CONFIRM_PAYMENT') throw new Error(`${request.action} taken while a payment is awaited`);
    const paidAt = request.input.paidAt ?? new Date().toISOString();
    await effects.confirmPayment(paidAt, request.input.reference ?? null);
    await effects.moveTo('PAID', null, 'CONFIRM_PAYMENT', request.input.actor, paidAt);
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
      const alert = alertOf(state);
      const interval = alert === 'REMIND_CFA' ? timings.reminderAfterMs : timings.escalateAfterMs;
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
