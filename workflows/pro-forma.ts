import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExtractionActivities } from '../activities/extraction';
import { emptyFields, zeroConfidences, type ExtractionResult } from '../domain/reading';
import { controlVerdict, type ControlResult, type ControlVerdict } from '../domain/controls';
import { costNatureLabel } from '../domain/cost-nature';
import { assertRefusalReason, type DecisionOrigin } from '../domain/decisions';
import { DomainError, NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import { MAIL_ATTEMPTS } from '../domain/mail-templates';
import { formatEuros } from '../domain/money';
import { fillLetter } from '../domain/pro-forma';
import {
  assertAllowed,
  isFinalStatus,
  statusLabel,
  type ProFormaAction,
  type ProFormaStage,
  type ProFormaStatus,
} from '../domain/status';
import {
  SYSTEM,
  cancelUpdate,
  confirmPaymentUpdate,
  decideUpdate,
  depositInvoiceUpdate,
  getProFormaQuery,
  type Actor,
  type ConfirmPaymentInput,
  type DecideInput,
  type DepositInvoiceInput,
  type ExtractionView,
  type ProFormaState,
  type ProFormaView,
  type ProFormaWorkflow,
  type ProFormaWorkflowInput,
} from './pro-forma.messages';
import { InvoiceNumberKey, ProFormaStatusKey } from './search-attributes';

// The read model and notifications: PostgreSQL or SMTP being down must delay the process, never lose a step, so
// retries are unbounded (with a capped backoff); business errors are not retried.
const readModel = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

// An e-mail is worth a few attempts, not a stuck pro forma: after the last one the activity records the failure.
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: MAIL_ATTEMPTS, initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

const MAX_REMEMBERED_REQUESTS = 500;

// client/ starts this workflow by the signature its messages declare, never importing this code: a change of
// signature here that the messages do not follow fails to compile.
const _declaredSignature: ProFormaWorkflow = proFormaWorkflow;

/**
 * One pro forma, from its creation to PAID or CANCELLED (domain.md). Human and CFA actions arrive as Updates whose
 * validators apply the status rules, so a refused action is a synchronous error naming the status.
 */
export async function proFormaWorkflow(input: ProFormaWorkflowInput): Promise<ProFormaView> {
  const { proForma, cfa, timings } = input;
  const state: ProFormaState = input.carried ?? {
    status: 'AWAITING_INVOICE',
    stage: null,
    documents: [],
    depositedAt: null,
    extraction: null,
    controls: null,
    refusal: null,
    payment: null,
    history: [],
    processedRequestIds: [],
    step: 0,
    waitingSince: null,
    alertsSent: 0,
  };
  // OCR is CPU-heavy and lives on its own queue; a long read heartbeats, and a worker that dies is noticed within
  // the heartbeat timeout so another one takes the read over.
  const ocr = proxyActivities<ExtractionActivities>({
    taskQueue: input.ocrTaskQueue,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: timings.ocrHeartbeatTimeoutMs ?? 60_000,
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
  });

  /** Bumped by every deposit: a reading of an older version is abandoned. */
  let depositGeneration = 0;
  /** Bumped by every state change, to wake the main loop. */
  let changes = 0;
  let interruptReading: (() => void) | undefined;
  let decisionInFlight = false;
  const finished = () => isFinalStatus(state.status);

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

  // Effects on the read model are applied one after the other, in the order of the state changes, even when an
  // update handler and the main loop both record something.
  // They run outside any cancellable scope: interrupting a reading must never cancel a status write or an e-mail.
  let effects: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(effect: () => Promise<T>): Promise<T> => {
    const next = effects.then(() => CancellationScope.nonCancellable(effect));
    effects = next.catch(() => undefined);
    return next;
  };
  const nextKey = (what: string) => `${proFormaWorkflowKey()}:${++state.step}:${what}`;
  const proFormaWorkflowKey = () => `pro-forma-${proForma.number}`;

  /** Changes the status (and stage) now, then records it: the next validator already sees the new state. */
  function transition(to: ProFormaStatus, stage: ProFormaStage | null, action: string, actor: Actor, set = {}) {
    const from = state.status;
    const at = new Date().toISOString();
    state.status = to;
    state.stage = stage;
    state.waitingSince = at;
    state.alertsSent = 0;
    if (from !== to) state.history.push({ at, actor: actor.id, action, from, to });
    changes++;
    upsertSearchAttributes([{ key: ProFormaStatusKey, value: to }]);
    showDetails();
    log.info('pro forma transition', { number: proForma.number, from, to, stage, action, actor: actor.id });
    const key = nextKey(action);
    return inOrder(() =>
      readModel.recordTransition({ key, number: proForma.number, from, to, stage, action, actor: actor.id, at, set }),
    );
  }

  // Never rejects: an e-mail that cannot be sent is logged (and recorded by the activity), it does not stop the
  // pro forma. So a step that must not wait for its e-mail calls this with `void`.
  function notifyCfa(template: 'DEPOSIT_RECEIVED' | 'REFUSED' | 'VALIDATED' | 'PAID' | 'REMINDER', extra = {}) {
    const key = nextKey(`mail-${template}`);
    const data = {
      number: proForma.number,
      kind: proForma.kind,
      natureLabel: costNatureLabel(proForma.nature),
      total: formatEuros(proForma.totalCents),
      cfaName: cfa.name,
      ...extra,
    };
    return inOrder(() => mail.sendStatusEmail({ key, number: proForma.number, template, to: cfa.email, data })).catch(
      (error: unknown) =>
        log.warn('notification not sent', { number: proForma.number, template, error: String(error) }),
    );
  }

  function showDetails(): void {
    const lines = [`**${statusLabel(state.status, proForma.kind)}**${state.stage ? ` · étape ${state.stage}` : ''}`];
    if (state.controls) {
      lines.push('', '| contrôle | résultat |', '|---|---|');
      for (const c of state.controls) lines.push(`| ${c.code} | ${c.outcome} — ${c.message.replace(/\|/g, '/')} |`);
    }
    if (state.refusal) lines.push('', `Motif de refus : ${state.refusal.label}`);
    setCurrentDetails(lines.join('\n'));
  }

  // ---- Messages -------------------------------------------------------------------------------------------------

  const alreadyApplied = (requestId: string) => state.processedRequestIds.includes(requestId);
  const remember = (requestId: string) => {
    state.processedRequestIds.push(requestId);
    if (state.processedRequestIds.length > MAX_REMEMBERED_REQUESTS) state.processedRequestIds.shift();
  };
  const allow = (action: ProFormaAction, requestId: string) => {
    if (alreadyApplied(requestId)) return;
    if (decisionInFlight) rejectWith('ACTION_NOT_ALLOWED', 'Une décision est en cours d’enregistrement.');
    guard(() => assertAllowed(state.status, action, proForma.kind));
  };

  setHandler(getProFormaQuery, view);

  setHandler(
    depositInvoiceUpdate,
    async (request: DepositInvoiceInput) => {
      if (alreadyApplied(request.requestId)) return view();
      remember(request.requestId);
      const at = new Date().toISOString();
      const document = {
        version: state.documents.length + 1,
        ...request.document,
        uploadedAt: at,
        uploadedBy: request.actor.id,
      };
      const firstDeposit = state.status === 'AWAITING_INVOICE';
      state.documents.push(document);
      state.depositedAt = at;
      state.extraction = null;
      state.controls = null;
      state.refusal = null;
      depositGeneration++;
      interruptReading?.();
      const key = nextKey('deposit');
      const recorded = inOrder(() =>
        readModel.recordDeposit({ key, number: proForma.number, requestId: request.requestId, document }),
      );
      const moved = transition('UNDER_VALIDATION', 'READING', firstDeposit ? 'DEPOSIT' : 'REDEPOSIT', request.actor, {
        depositedAt: at,
      });
      await Promise.all([recorded, moved]);
      void notifyCfa('DEPOSIT_RECEIVED', { fileName: document.fileName, version: document.version });
      return view();
    },
    {
      validator: (request: DepositInvoiceInput) => {
        allow('DEPOSIT_INVOICE', request.requestId);
        if (!/^[0-9a-f]{64}$/.test(request.document.sha256))
          rejectWith('VALIDATION_FAILED', 'Empreinte SHA-256 invalide.');
      },
    },
  );

  setHandler(
    decideUpdate,
    async (request: DecideInput) => {
      if (alreadyApplied(request.requestId)) return view();
      remember(request.requestId);
      if (request.decision === 'APPROVE') {
        await applyApproval('MANUAL', request.actor);
        return view();
      }
      decisionInFlight = true;
      try {
        // The reason is checked before anything changes: an unknown one fails this update and leaves the state as is.
        const reason = await readModel.loadRefusalReason(request.reasonCode as string).catch(asUpdateFailure);
        await applyRefusal('MANUAL', reason, request.comment ?? null, request.actor);
      } finally {
        decisionInFlight = false;
      }
      return view();
    },
    {
      validator: (request: DecideInput) => {
        if (alreadyApplied(request.requestId)) return;
        if (decisionInFlight) rejectWith('NO_DECISION_AWAITED', 'Une décision est déjà en cours d’enregistrement.');
        if (state.status !== 'UNDER_VALIDATION' || state.stage !== 'AWAITING_DECISION') {
          rejectWith(
            'NO_DECISION_AWAITED',
            `Aucune décision n'est attendue : la facture pro forma est au statut « ${statusLabel(state.status, proForma.kind)} »` +
              `${state.stage ? ` (étape ${state.stage})` : ''}.`,
            { status: state.status, stage: state.stage },
          );
        }
        if (request.decision === 'REFUSE') guard(() => assertRefusalReason(request.reasonCode));
      },
    },
  );

  setHandler(
    cancelUpdate,
    async (request) => {
      if (alreadyApplied(request.requestId)) return view();
      remember(request.requestId);
      interruptReading?.();
      await transition('CANCELLED', null, 'CANCEL', request.actor, { cancelledAt: new Date().toISOString() });
      return view();
    },
    { validator: (request) => allow('CANCEL', request.requestId) },
  );

  setHandler(
    confirmPaymentUpdate,
    async (request: ConfirmPaymentInput) => {
      if (alreadyApplied(request.requestId)) return view();
      remember(request.requestId);
      const paidAt = request.paidAt ?? new Date().toISOString();
      if (state.payment) state.payment = { ...state.payment, paidAt, reference: request.reference ?? null };
      const moved = transition('PAID', null, 'CONFIRM_PAYMENT', request.actor, { paidAt });
      const key = nextKey('payment-confirmed');
      await Promise.all([
        moved,
        inOrder(() =>
          readModel.confirmPayment({ key, number: proForma.number, paidAt, reference: request.reference ?? null }),
        ),
      ]);
      void notifyCfa('PAID', { paidAt });
      return view();
    },
    { validator: (request) => allow('CONFIRM_PAYMENT', request.requestId) },
  );

  // ---- The process ----------------------------------------------------------------------------------------------

  if (!input.carried) {
    upsertSearchAttributes([{ key: ProFormaStatusKey, value: state.status }]);
    state.waitingSince = new Date().toISOString();
    await inOrder(() => readModel.recordWorkflowStarted({ number: proForma.number }));
  }
  showDetails();

  while (!finished()) {
    if (state.status === 'UNDER_VALIDATION' && (state.stage === 'READING' || state.stage === 'CONTROLLING')) {
      await readAndControl();
      continue;
    }
    if (state.status === 'VALIDATED' && state.payment === null) {
      await orderPayment();
      continue;
    }
    if (mayContinueAsNew()) {
      await quietPoint();
      // The carried state says what remains to do (a deposit to read, a payment to order): the new run resumes it.
      if (!finished()) await continueAsNew<typeof proFormaWorkflow>({ ...input, carried: state });
      continue;
    }
    const seen = changes;
    const woken = () => changes !== seen || workflowInfo().continueAsNewSuggested;
    const alertAfter = alertInterval();
    if (alertAfter === undefined) await condition(woken);
    else if (!(await condition(woken, Math.max(1, nextAlertAt(alertAfter) - Date.now())))) await sendAlert();
  }
  await quietPoint();
  return view();

  /** No handler running and every effect recorded: the only safe moment to close or continue as new. */
  async function quietPoint(): Promise<void> {
    do {
      await condition(allHandlersFinished);
      await effects;
    } while (!allHandlersFinished());
  }

  // ---- Steps ----------------------------------------------------------------------------------------------------

  async function readAndControl(): Promise<void> {
    const generation = depositGeneration;
    const document = state.documents[state.documents.length - 1];
    if (!document) throw ApplicationFailure.nonRetryable('Aucun document à lire', 'VALIDATION_FAILED');
    let outcome: { extraction: ExtractionView; results: ControlResult[]; verdict: ControlVerdict } | undefined;
    try {
      outcome = await CancellationScope.cancellable(async () => {
        const scope = CancellationScope.current();
        interruptReading = () => scope.cancel();
        // After each wait, a newer deposit or a cancellation may have made this reading stale: stop before touching
        // the state (effects are not cancellable, so the scope alone does not stop at them).
        const stillCurrent = () => {
          if (generation !== depositGeneration || state.status !== 'UNDER_VALIDATION') {
            throw new CancelledFailure('reading superseded');
          }
        };
        const read = await ocr
          .extractInvoiceFields({ sha256: document.sha256, mimeType: document.mimeType })
          .catch(unreadable);
        stillCurrent();
        const extraction: ExtractionView = { version: document.version, ...read };
        await inOrder(() =>
          readModel.recordExtraction({ number: proForma.number, version: document.version, extraction: read }),
        );
        stillCurrent();
        state.extraction = extraction;
        if (extraction.fields.invoiceNumber) {
          upsertSearchAttributes([{ key: InvoiceNumberKey, value: extraction.fields.invoiceNumber }]);
        }
        await transition('UNDER_VALIDATION', 'CONTROLLING', 'CONTROL', SYSTEM);
        stillCurrent();
        const { results } = await readModel.runControls({
          proFormaNumber: proForma.number,
          sha256: document.sha256,
          extraction: read,
          depositedAt: document.uploadedAt,
        });
        stillCurrent();
        await inOrder(() => readModel.recordControls({ number: proForma.number, version: document.version, results }));
        stillCurrent();
        return { extraction, results, verdict: controlVerdict(results) };
      });
    } catch (error) {
      // A newer deposit or a cancellation interrupted this reading: the loop goes on with the new state.
      if (isCancellation(error) && (generation !== depositGeneration || state.status !== 'UNDER_VALIDATION')) return;
      throw error;
    } finally {
      interruptReading = undefined;
    }
    if (generation !== depositGeneration || state.status !== 'UNDER_VALIDATION') return;
    state.controls = outcome.results;
    const { verdict } = outcome;
    if (verdict.kind === 'REFUSE') {
      const reason = await readModel.loadRefusalReason(verdict.reasonCode);
      // A deposit or a cancellation may have arrived while the reason loaded: it wins.
      if (generation !== depositGeneration || state.status !== 'UNDER_VALIDATION') return;
      await applyRefusal('AUTOMATIC', reason, null, SYSTEM);
    } else if (verdict.kind === 'ALL_PASSED' && cfa.trusted) {
      // Trusted CFAs (jefacture's "fournisseur de confiance"): every control passed, no human needed.
      await applyApproval('AUTOMATIC', SYSTEM);
    } else {
      await transition('UNDER_VALIDATION', 'AWAITING_DECISION', 'AWAIT_DECISION', SYSTEM);
    }
  }

  async function applyApproval(origin: DecisionOrigin, actor: Actor): Promise<void> {
    const at = new Date().toISOString();
    const version = state.documents.length;
    const moved = transition(
      'VALIDATED',
      'AWAITING_PAYMENT',
      origin === 'AUTOMATIC' ? 'AUTO_VALIDATE' : 'APPROVE',
      actor,
      {
        decidedAt: at,
        validatedAt: at,
      },
    );
    const key = nextKey('decision');
    await Promise.all([
      moved,
      inOrder(() =>
        readModel.recordDecision({
          key,
          number: proForma.number,
          version,
          origin,
          decision: 'APPROVE',
          reasonCode: null,
          comment: null,
          letter: null,
          actor: actor.id,
          at,
        }),
      ),
    ]);
    void notifyCfa('VALIDATED');
  }

  async function applyRefusal(
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
    const version = state.documents.length;
    const moved = transition('REFUSED', null, origin === 'AUTOMATIC' ? 'AUTO_REFUSE' : 'REFUSE', actor, {
      decidedAt: at,
      refusedAt: at,
      refusalOrigin: origin,
    });
    const key = nextKey('decision');
    await Promise.all([
      moved,
      inOrder(() =>
        readModel.recordDecision({
          key,
          number: proForma.number,
          version,
          origin,
          decision: 'REFUSE',
          reasonCode: reason.code,
          comment,
          letter,
          actor: actor.id,
          at,
        }),
      ),
    ]);
    void notifyCfa('REFUSED', { reasonLabel: reason.label, letter, comment });
  }

  async function orderPayment(): Promise<void> {
    const key = nextKey('payment-order');
    state.payment = await inOrder(() =>
      readModel.issuePaymentOrder({ key, number: proForma.number, at: new Date().toISOString() }),
    );
    changes++;
  }

  /** The reminder interval of the current wait: the CFA's invoice, or a validator's decision. */
  function alertInterval(): number | undefined {
    if (state.status === 'AWAITING_INVOICE' || state.status === 'REFUSED') return timings.reminderAfterMs;
    if (state.status === 'UNDER_VALIDATION' && state.stage === 'AWAITING_DECISION') return timings.escalateAfterMs;
    return undefined;
  }

  function nextAlertAt(interval: number): number {
    const since = Date.parse(state.waitingSince ?? proForma.createdAt);
    return since + interval * (state.alertsSent + 1);
  }

  async function sendAlert(): Promise<void> {
    state.alertsSent++;
    const waitingDays = Math.floor((Date.now() - Date.parse(state.waitingSince ?? proForma.createdAt)) / 86_400_000);
    if (state.status === 'UNDER_VALIDATION') {
      const key = nextKey('escalation');
      log.info('decision overdue: validators alerted', { number: proForma.number, alerts: state.alertsSent });
      await inOrder(() =>
        mail.alertValidators({
          key,
          number: proForma.number,
          data: { number: proForma.number, cfaName: cfa.name, total: formatEuros(proForma.totalCents), waitingDays },
        }),
      ).catch((error: unknown) => log.warn('escalation not sent', { error: String(error) }));
    } else {
      log.info('invoice overdue: CFA reminded', { number: proForma.number, alerts: state.alertsSent });
      await notifyCfa('REMINDER', { waitingDays, refused: state.status === 'REFUSED' });
    }
  }

  function mayContinueAsNew(): boolean {
    const info = workflowInfo();
    const knob = input.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (knob !== undefined && info.historyLength >= knob);
  }
}

/**
 * A reading that failed for good (retries exhausted, document missing from the store) is a document nobody could
 * read automatically: a validator looks at it. Cancellation (a newer deposit) still propagates.
 */
function unreadable(error: unknown): ExtractionResult {
  if (isCancellation(error)) throw error;
  const cause = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
  log.warn('extraction failed', { error: cause });
  return {
    engine: 'NONE',
    fields: emptyFields(),
    fieldConfidences: zeroConfidences(),
    confidence: 0,
    pageCount: 0,
    durationMs: 0,
    error: { code: 'EXTRACTION_FAILED', message: 'la lecture automatique du document a échoué' },
  };
}

/** An activity's business failure (e.g. UNKNOWN_REFUSAL_REASON) becomes the update's own typed failure. */
function asUpdateFailure(error: unknown): never {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    rejectWith(error.cause.type ?? 'ACTIVITY_FAILED', error.cause.message);
  }
  throw error;
}

function rejectWith(type: string, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, details: details ? [details] : undefined, nonRetryable: true });
}

/** Runs a domain rule; its DomainError becomes an ApplicationFailure typed with the domain code. */
function guard(rule: () => void): void {
  try {
    rule();
  } catch (error) {
    if (error instanceof DomainError) rejectWith(error.code, error.message, error.details);
    throw error;
  }
}
