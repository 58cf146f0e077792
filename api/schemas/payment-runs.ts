import { z } from 'zod';
import { RUN_GROUPINGS } from '../../domain/payment-run';
import { cents, cfaRef, isoDate, isoDateTime, listOf, response, uuid } from './common';

/** Payment runs: their transfers, what each pays and deducts, the CFAs left out. */

export const paymentRunParams = z.object({
  number: z
    .string()
    .regex(/^RUN-\d{8}-\d{2,}$/)
    .describe('Numéro de la campagne, RUN-AAAAMMJJ-NN'),
});

const runFields = {
  id: uuid,
  number: z.string(),
  trigger: z.enum(['SCHEDULE', 'MANUAL']),
  grouping: z.enum(RUN_GROUPINGS).describe('Un virement par CFA ou par facture'),
  cutoff: isoDateTime.describe('Les paiements ordonnés jusqu’à cet instant'),
  executionDate: isoDate.describe('Date d’exécution demandée à la banque'),
  transferCount: z.number().int().describe('Virements du fichier (hors compensations)'),
  totalCents: cents.describe('Somme de contrôle du fichier'),
  fileSha256: z.string().nullable().describe('Empreinte du fichier pain.001 (null : rien à virer)'),
  createdAt: isoDateTime,
};

export const paymentRunSummary = response(z.object(runFields).strict(), 'PaymentRun');
export const paymentRunListResponse = response(listOf(paymentRunSummary), 'PaymentRunList');

export const paymentRunDetailResponse = response(
  z
    .object({
      ...runFields,
      transfers: z.array(
        z
          .object({
            endToEndId: z.string(),
            cfa: cfaRef,
            iban: z.string().describe('Masqué sauf les 4 derniers caractères'),
            bic: z.string().nullable(),
            amountCents: cents.describe('0 : factures compensées en entier par des avoirs, hors fichier'),
            status: z.enum(['ISSUED', 'COMPENSATED', 'BOOKED', 'REJECTED']),
            remittance: z.string().describe('Libellé du virement (140 caractères SEPA)'),
            bankReference: z.string().nullable(),
            bookedOn: isoDate.nullable(),
            rejectReason: z.string().nullable(),
            invoices: z.array(z.object({ number: z.string(), amountCents: cents }).strict()),
            deductions: z.array(z.object({ number: z.string(), amountCents: cents, settled: z.boolean() }).strict()),
          })
          .strict(),
      ),
      excluded: z.array(
        z.object({ cfa: cfaRef, reason: z.string(), detail: z.string(), numbers: z.array(z.string()) }).strict(),
      ),
    })
    .strict(),
  'PaymentRunDetail',
);
