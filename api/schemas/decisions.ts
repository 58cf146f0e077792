import { z } from 'zod';
import { DECISIONS } from '../../domain/decisions';
import { isoDateTime, request, text } from './common';

/** The validators' and the accounting side's requests: a decision, a payment confirmation. */

export const decisionRequest = request(
  z
    .object({
      decision: z.enum(DECISIONS),
      reasonCode: z.string().trim().min(1).max(50).optional().describe('Motif du catalogue, obligatoire pour REFUSE'),
      comment: z.string().trim().max(2000).optional(),
    })
    .strict(),
  'DecisionRequest',
);

export const paymentConfirmationRequest = request(
  z
    .object({
      paidAt: isoDateTime.optional().describe('Date du paiement ; par défaut maintenant'),
      reference: text(140).optional().describe('Référence du virement'),
    })
    .strict(),
  'PaymentConfirmationRequest',
);
