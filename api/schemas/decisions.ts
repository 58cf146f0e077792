import { z } from 'zod';
import { DECISIONS } from '../../domain/decisions';
import { isoDate, isoDateTime, request, text } from './common';

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

export const claimRequest = request(
  z
    .object({
      takeOver: z
        .boolean()
        .optional()
        .describe('Administrateur : reprendre la prise en charge d’un autre valideur, même non expirée'),
    })
    .strict(),
  'ClaimRequest',
);

const reason = z.string().trim().min(3).max(1000);

export const correctionRequest = request(
  z
    .object({
      fields: z
        .object({
          invoiceNumber: z.string().trim().min(1).max(50).nullable().optional(),
          proFormaNumber: z
            .string()
            .trim()
            .regex(/^PRO-\d{8}$/, 'PRO- suivi de 8 chiffres')
            .nullable()
            .optional(),
          totalCents: z.number().int().nullable().optional().describe('Montant à payer, en centimes'),
          iban: z.string().trim().min(15).max(42).nullable().optional(),
          siret: z.string().trim().min(14).max(17).nullable().optional(),
          issueDate: isoDate.nullable().optional(),
        })
        .strict()
        .refine((fields) => Object.keys(fields).length > 0, 'au moins un champ à corriger'),
      justification: reason.describe('Pourquoi la lecture est corrigée (conservé dans l’historique)'),
    })
    .strict(),
  'CorrectionRequest',
);

export const staffActionRequest = request(
  z
    .object({ reason: reason.describe('Motif (conservé dans l’historique ; communiqué au CFA pour une annulation)') })
    .strict(),
  'StaffActionRequest',
);
