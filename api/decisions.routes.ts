import crypto from 'node:crypto';
import { findActiveRefusalReason } from '../db/admin-queries';
import { findProFormaState } from '../db/pro-forma-detail';
import { assertRefusalReason } from '../domain/decisions';
import {
  claimUpdate,
  confirmPaymentUpdate,
  correctReadingUpdate,
  decideUpdate,
  releaseClaimUpdate,
  returnToValidationUpdate,
  staffCancelUpdate,
} from '../workflows/pro-forma.messages';
import { scopeOf } from './auth';
import { workflowCalls, type ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { actorOf, currentDetail, notFound } from './pro-formas.routes';
import { emptyBody, numberParams } from './schemas/common';
import {
  claimRequest,
  correctionRequest,
  decisionRequest,
  paymentConfirmationRequest,
  staffActionRequest,
} from './schemas/decisions';
import { proFormaDetailResponse } from './schemas/pro-formas';
import { digest, requestIdOf, updateProForma, type KeyedAction } from './workflow-calls';

/**
 * The validation desk (claims, corrections of a reading, decisions — two above the four-eyes threshold), the admins'
 * actions for the Opco (cancel, return to validation), and the payment confirmation of the accounting side.
 */
export function decisionEndpoints(deps: ApiDeps): AnyEndpoint[] {
  const calls = workflowCalls(deps);
  /** The update id: the caller's Idempotency-Key when given (bound to this request), else a fresh one. */
  const freshRequestId = (
    action: KeyedAction,
    number: string,
    user: { id: string },
    req: { get(name: string): string | undefined },
    content: Record<string, unknown>,
  ) =>
    requestIdOf(calls, {
      action,
      number,
      userId: user.id,
      keyHeader: req.get('idempotency-key'),
      content,
      fallback: crypto.randomUUID(),
    });
  return [
    endpoint({
      operationId: 'claim',
      method: 'post',
      path: '/api/pro-formas/:number/claim',
      tag: 'Validation',
      summary: 'Prend une facture en charge : les autres valideurs la voient prise et ne peuvent pas la décider',
      description:
        'La prise en charge expire après un délai sans action (CLAIM_TTL, 30 min par défaut) ou à sa libération ; ' +
        'la reprendre la renouvelle. 409 quand un autre valideur la tient (son nom est dans la réponse) ; un ' +
        'administrateur peut la reprendre avec `takeOver: true`.',
      right: 'validation:claim',
      params: numberParams,
      body: claimRequest,
      idempotent: true,
      responses: { 200: { description: 'La pro forma prise en charge', schema: proFormaDetailResponse } },
      errors: [404, 409, 503],
      handle: async ({ user, params, body, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await freshRequestId('claim', state.number, user, req, body);
        await updateProForma(calls, scope, state, 'CLAIM', claimUpdate, {
          requestId,
          actor: actorOf(user),
          takeOver: body.takeOver,
        });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'releaseClaim',
      method: 'post',
      path: '/api/pro-formas/:number/claim/release',
      tag: 'Validation',
      summary: 'Libère la prise en charge (son titulaire, ou un administrateur)',
      right: 'validation:claim',
      params: numberParams,
      body: emptyBody,
      idempotent: true,
      responses: { 200: { description: 'La pro forma, libre', schema: proFormaDetailResponse } },
      errors: [404, 409, 503],
      handle: async ({ user, params, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await freshRequestId('release-claim', state.number, user, req, {});
        await updateProForma(calls, scope, state, 'CLAIM', releaseClaimUpdate, { requestId, actor: actorOf(user) });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'correctReading',
      method: 'post',
      path: '/api/pro-formas/:number/corrections',
      tag: 'Validation',
      summary: 'Corrige une valeur lue sur la facture, avec une justification : les contrôles sont rejoués',
      description:
        'Le document déposé n’est jamais modifié : la correction (avant, après, auteur, justification) est ' +
        'conservée à côté de la lecture et dans l’historique, les contrôles sont rejoués sur la lecture corrigée, ' +
        'et la facture attend toujours une décision humaine. Le valideur qui corrige prend la facture en charge. ' +
        '409 hors de l’attente d’une première décision ou quand un autre valideur la tient ; 422 pour une valeur ' +
        'invalide (IBAN, SIRET, date…) ou qui ne change rien.',
      right: 'pro-formas:correct',
      params: numberParams,
      body: correctionRequest,
      idempotent: true,
      responses: { 200: { description: 'La pro forma, contrôles rejoués', schema: proFormaDetailResponse } },
      errors: [404, 409, 422, 503],
      handle: async ({ user, params, body, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await freshRequestId('correct-reading', state.number, user, req, body);
        await updateProForma(calls, scope, state, 'CORRECT_READING', correctReadingUpdate, {
          requestId,
          actor: actorOf(user),
          fields: body.fields,
          justification: body.justification,
        });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'staffCancel',
      method: 'post',
      path: '/api/pro-formas/:number/staff-cancellation',
      tag: 'Validation',
      summary: 'Annule une pro forma pour l’Opco, avec un motif (le CFA est prévenu par e-mail)',
      description:
        'Possible à tout statut non final tant que le paiement n’est pas émis ; les échéances redeviennent ' +
        'éligibles. 409 sinon.',
      right: 'pro-formas:administer',
      params: numberParams,
      body: staffActionRequest,
      idempotent: true,
      responses: { 200: { description: 'La pro forma annulée', schema: proFormaDetailResponse } },
      errors: [404, 409, 422, 503],
      handle: async ({ user, params, body, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await freshRequestId('staff-cancel', state.number, user, req, body);
        await updateProForma(calls, scope, state, 'STAFF_CANCEL', staffCancelUpdate, {
          requestId,
          actor: actorOf(user),
          reason: body.reason,
        });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'returnToValidation',
      method: 'post',
      path: '/api/pro-formas/:number/return-to-validation',
      tag: 'Validation',
      summary: 'Renvoie une pro forma validée en validation, avec un motif, tant que son paiement n’est pas émis',
      description: 'L’ordre de paiement est repris ; une nouvelle décision est attendue. 409 sinon.',
      right: 'pro-formas:administer',
      params: numberParams,
      body: staffActionRequest,
      idempotent: true,
      responses: { 200: { description: 'La pro forma, en attente de décision', schema: proFormaDetailResponse } },
      errors: [404, 409, 422, 503],
      handle: async ({ user, params, body, req, reply }) => {
        const scope = scopeOf(user);
        const state = await findProFormaState(deps.db, scope, params.number);
        if (!state) throw notFound(params.number);
        const requestId = await freshRequestId('return-to-validation', state.number, user, req, body);
        await updateProForma(calls, scope, state, 'RETURN_TO_VALIDATION', returnToValidationUpdate, {
          requestId,
          actor: actorOf(user),
          reason: body.reason,
        });
        reply(200, proFormaDetailResponse, await currentDetail(deps, scope, state.number));
      },
    }),

    endpoint({
      operationId: 'decide',
      method: 'post',
      path: '/api/pro-formas/:number/decision',
      tag: 'Validation',
      summary: 'Approuve, ou refuse avec un motif du catalogue',
      description:
        'La même décision envoyée deux fois (double clic, ou même Idempotency-Key) est appliquée une fois et reçoit ' +
        'la même réponse. Au-delà du seuil de double validation (FOUR_EYES_THRESHOLD), une première approbation ' +
        'mène à l’étape « second avis attendu » ; la seconde, par un autre valideur, valide. 409 quand aucune ' +
        'décision n’est attendue, quand un autre valideur tient la facture (il est nommé) ou quand le même valideur ' +
        'approuve deux fois ; 422 quand un refus n’a pas de motif connu.',
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
          fallback: digest(
            user.id,
            state.documentCount,
            // A second approval is another request than the first one (the same validator gets 409 SAME_APPROVER).
            state.stage === 'AWAITING_SECOND_APPROVAL' ? 'second' : 'first',
            body.decision,
            body.reasonCode,
            body.comment,
          ),
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
