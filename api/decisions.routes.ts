import crypto from 'node:crypto';
import { findActiveRefusalReason } from '../db/admin-queries';
import { findProFormaState } from '../db/pro-forma-detail';
import { assertRefusalReason } from '../domain/decisions';
import { confirmPaymentUpdate, decideUpdate } from '../workflows/pro-forma.messages';
import { scopeOf } from './auth';
import { workflowCalls, type ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { actorOf, currentDetail, notFound } from './pro-formas.routes';
import { numberParams } from './schemas/common';
import { decisionRequest, paymentConfirmationRequest } from './schemas/decisions';
import { proFormaDetailResponse } from './schemas/pro-formas';
import { digest, requestIdOf, updateProForma } from './workflow-calls';

/** The validators' decision, and the payment confirmation of the accounting side. */
export function decisionEndpoints(deps: ApiDeps): AnyEndpoint[] {
  const calls = workflowCalls(deps);
  return [
    endpoint({
      operationId: 'decide',
      method: 'post',
      path: '/api/pro-formas/:number/decision',
      tag: 'Validation',
      summary: 'Approuve, ou refuse avec un motif du catalogue',
      description:
        'La même décision envoyée deux fois (double clic, ou même Idempotency-Key) est appliquée une fois et reçoit ' +
        'la même réponse. 409 quand aucune décision n’est attendue ; 422 quand un refus n’a pas de motif connu.',
      right: 'pro-formas:decide',
      params: numberParams,
      body: decisionRequest,
      idempotent: true,
      responses: { 200: { description: 'La pro forma après la décision', schema: proFormaDetailResponse } },
      errors: [404, 409, 422, 503],
      handle: async ({ user, params, body, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        if (body.decision === 'APPROVE' && body.reasonCode !== undefined) {
          throw new HttpError(422, 'VALIDATION_FAILED', 'Un motif de refus n’accompagne qu’un refus.', {
            issues: [{ path: 'reasonCode', message: 'interdit avec APPROVE' }],
          });
        }
        if (body.decision === 'REFUSE') {
          const reason = body.reasonCode ? await findActiveRefusalReason(deps.db, body.reasonCode) : undefined;
          assertRefusalReason(body.reasonCode, reason !== undefined);
        }
        const requestId = await requestIdOf(calls, {
          action: 'decide',
          number: state.number,
          userId: user.id,
          keyHeader: req.get('idempotency-key'),
          content: body,
          // Without a key, the same validator sending the same decision on the same deposited version is the same
          // request (a double click): one update id, applied once, the same answer twice.
          fallback: digest(user.id, state.documentCount, body.decision, body.reasonCode, body.comment),
        });
        await updateProForma(calls, scope, state, 'DECIDE', decideUpdate, {
          requestId,
          actor: actorOf(user),
          decision: body.decision,
          reasonCode: body.reasonCode,
          comment: body.comment,
        });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'confirmPayment',
      method: 'post',
      path: '/api/pro-formas/:number/payment-confirmation',
      tag: 'Paiement',
      summary: 'Confirme le paiement d’une pro forma validée : statut Payé',
      right: 'payments:confirm',
      params: numberParams,
      body: paymentConfirmationRequest,
      idempotent: true,
      responses: { 200: { description: 'La pro forma payée', schema: proFormaDetailResponse } },
      errors: [404, 409, 503],
      handle: async ({ user, params, body, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await requestIdOf(calls, {
          action: 'confirm-payment',
          number: state.number,
          userId: user.id,
          keyHeader: req.get('idempotency-key'),
          content: body,
          fallback: crypto.randomUUID(),
        });
        await updateProForma(calls, scope, state, 'CONFIRM_PAYMENT', confirmPaymentUpdate, {
          requestId,
          actor: actorOf(user),
          paidAt: body.paidAt,
          reference: body.reference,
        });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),
  ];
}
