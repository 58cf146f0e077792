import { CancellationScope, log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ClaimRecord, DecisionRecord, TransitionRecord } from '../activities/read-model';
import type { FieldChange } from '../domain/desk';
import { costNatureLabel } from '../domain/cost-nature';
import type { DocumentVersion } from '../domain/deposit-rules';
import type { CfaTemplate, MailDetails } from '../domain/mail-templates';
import { formatEuros } from '../domain/money';
import { statusLabel, type ProFormaStage, type ProFormaStatus, type TransitionAction } from '../domain/process';
import { mail, readModel } from './activity-options';
import { controlsTable } from './invoice';
import type { Actor, ProFormaState, ProFormaWorkflowInput } from './pro-forma.messages';
import { ProFormaStatusKey } from './search-attributes';

/**
 * What a pro forma's workflow does to the world: its read model (status and audit rows, deposits, decisions,
 * payments) and the e-mails. Each effect has an idempotency key made of the workflow id and a step counter carried
 * in the state, so that a retried activity records nothing twice. The state changes before the effect is recorded:
 * the next validator already judges the new position.
 */
export function createEffects({ proForma, cfa }: ProFormaWorkflowInput, state: ProFormaState) {
  const keyOf = (what: string) => `pro-forma-${proForma.number}:${++state.step}:${what}`;
  const number = proForma.number;

  // E-mails go out one after the other, in the order of the steps, without holding the process up; one that
  // cannot be sent is logged (and recorded by its activity), it never stops the pro forma.
  let mails: Promise<unknown> = Promise.resolve();
  const queueMail = (send: () => Promise<void>, what: string) => {
    mails = mails
      .then(() => CancellationScope.nonCancellable(send))
      .catch((error: unknown) => log.warn('notification not sent', { number, what, error: String(error) }));
  };

  function showDetails(): void {
    const lines = [
      `**${statusLabel(state.status, proForma.kind, state.stage)}**${state.stage ? ` · étape ${state.stage}` : ''}`,
    ];
    if (state.document) lines.push('', `Facture v${state.document.version} : ${state.document.fileName}`);
    if (state.controls) lines.push('', controlsTable(state.controls));
    if (state.refusal) lines.push('', `Motif de refus : ${state.refusal.label}`);
    if (state.sampled) lines.push('', 'Contrôle par sondage (CFA de confiance)');
    if (state.firstApproval) {
      lines.push(
        '',
        `Première approbation : ${state.firstApproval.name ?? state.firstApproval.userId} — second avis attendu`,
      );
    }
    if (state.claim) {
      lines.push('', `Prise en charge : ${state.claim.name ?? state.claim.userId} (jusqu’à ${state.claim.expiresAt})`);
    }
    setCurrentDetails(lines.join('\n'));
  }

  return {
    showDetails,

    /** The workflow exists: the generation's reconciliation no longer needs to start it. */
    async started(): Promise<void> {
      upsertSearchAttributes([{ key: ProFormaStatusKey, value: state.status }]);
      state.waitingSince = new Date().toISOString();
      showDetails();
      await readModel.recordWorkflowStarted({ number });
    },

    /** Moves the pro forma (which ends any claim), then records the move (status and audit row, one transaction). */
    async moveTo(
      to: ProFormaStatus,
      stage: ProFormaStage | null,
      action: TransitionAction,
      actor: Actor,
      extra: Pick<TransitionRecord, 'paidAt' | 'details' | 'desk'> = {},
    ): Promise<void> {
      const from = state.status;
      const at = new Date().toISOString();
      Object.assign(state, { status: to, stage, waitingSince: at, alertsSent: 0 });
      if (state.claim) state.claim = null;
      if (from !== to) upsertSearchAttributes([{ key: ProFormaStatusKey, value: to }]);
      showDetails();
      log.info('pro forma transition', { number, from, to, stage, action, actor: actor.id });
      await readModel.recordTransition({
        key: keyOf(action),
        number,
        from,
        to,
        stage,
        action,
        actor: actor.id,
        at,
        ...extra,
      });
    },

    /** Records who holds the item now (null: nobody), for the queue and the history. */
    async recordClaim(action: ClaimRecord['action'], actor: Actor): Promise<void> {
      showDetails();
      const claim = state.claim ? { userId: state.claim.userId, expiresAt: state.claim.expiresAt } : null;
      const at = new Date().toISOString();
      await readModel.recordClaim({ key: keyOf(action), number, action, actor: actor.id, at, claim });
    },

    async recordCorrection(changes: FieldChange[], justification: string, actor: Actor): Promise<void> {
      const version = state.document?.version ?? 0;
      const at = new Date().toISOString();
      await readModel.recordCorrection({
        key: keyOf('correction'),
        number,
        version,
        changes,
        justification,
        actor: actor.id,
        at,
      });
    },

    /** The controls again, on the reading as corrected; their results replace the version's. */
    async rerunControls(): Promise<void> {
      const { document, extraction } = state;
      if (!document || !extraction) return;
      const { results } = await readModel.runControls({
        proFormaNumber: number,
        sha256: document.sha256,
        extraction,
        depositedAt: document.uploadedAt,
      });
      state.controls = results;
      showDetails();
      await readModel.recordControls({ number, version: document.version, results });
    },

    /** Takes the payment order back; fails with PAYMENT_ALREADY_ORDERED when it can no longer be. */
    async withdrawPayment(): Promise<void> {
      await readModel.withdrawPaymentOrder({ number });
      state.payment = null;
    },

    async recordDeposit(requestId: string, document: DocumentVersion): Promise<void> {
      await readModel.recordDeposit({ key: keyOf('deposit'), number, requestId, document });
    },

    async recordDecision(decision: Omit<DecisionRecord, 'key' | 'number' | 'version'>): Promise<void> {
      const version = state.document?.version ?? 0;
      await readModel.recordDecision({ key: keyOf('decision'), number, version, ...decision });
    },

    /** `netNow`: the CFA's credit notes are netted into this order (histories before the payment runs). */
    async orderPayment({ netNow }: { netNow: boolean }): Promise<void> {
      const at = new Date().toISOString();
      const key = keyOf('payment-order');
      state.payment = await readModel.issuePaymentOrder(netNow ? { key, number, at } : { key, number, at, netNow });
    },

    async confirmPayment(paidAt: string, reference: string | null): Promise<void> {
      if (state.payment) state.payment = { ...state.payment, paidAt, reference };
      await readModel.confirmPayment({ key: keyOf('payment-confirmed'), number, paidAt, reference });
    },

    notifyCfa<T extends CfaTemplate>(template: T, details: MailDetails[T]): void {
      const key = keyOf(`mail-${template}`);
      const data = {
        number,
        kind: proForma.kind,
        natureLabel: costNatureLabel(proForma.nature),
        total: formatEuros(proForma.totalCents),
        cfaName: cfa.name,
        ...details,
      };
      queueMail(() => mail.sendStatusEmail({ key, number, template, to: cfa.email, data }), template);
    },

    alertValidators(details: MailDetails['ESCALATION']): void {
      const key = keyOf('escalation');
      const data = { number, cfaName: cfa.name, total: formatEuros(proForma.totalCents), ...details };
      queueMail(() => mail.alertValidators({ key, number, data }), 'ESCALATION');
    },

    /** Resolves once every e-mail asked for so far has been sent or given up. */
    mailsSent(): Promise<unknown> {
      return mails;
    },
  };
}

export type Effects = ReturnType<typeof createEffects>;
