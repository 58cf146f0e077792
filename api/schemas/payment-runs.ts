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

// ---- Starting a run, its schedule -------------------------------------------------------------------------------

export const startPaymentRunRequest = z
  .object({
    grouping: z.enum(RUN_GROUPINGS).optional().describe('Par défaut, celui de la configuration (PAYMENT_RUN_GROUPING)'),
  })
  .strict();

const notTold = z
  .array(
    z
      .object({
        number: z.string(),
        kind: z.enum(['ISSUE', 'CONFIRM', 'REJECT']),
        message: z.string().describe('Pourquoi la pro forma n’a pas pris l’information (elle avait changé de statut)'),
      })
      .strict(),
  )
  .describe('Pro formas que leur processus n’a pas pu informer');

export const paymentRunStartedResponse = response(
  z
    .object({
      run: paymentRunDetailResponse,
      told: z.number().int().describe('Pro formas informées (paiement émis, ou payées par compensation)'),
      notTold,
    })
    .strict(),
  'PaymentRunStarted',
);

export const paymentRunScheduleResponse = response(
  z
    .object({
      scheduleId: z.string(),
      paused: z.boolean(),
      note: z.string().nullable().describe('Pourquoi elle est suspendue (ou reprise)'),
      cron: z.string().nullable().describe('L’expression cron configurée (PAYMENT_RUN_CRON), null : « off »'),
      timezone: z.string().nullable(),
      nextRunsAt: z.array(isoDateTime).describe('Prochains lancements'),
      recentRuns: z.array(z.object({ scheduledAt: isoDateTime, workflowId: z.string() }).strict()),
    })
    .strict(),
  'PaymentRunSchedule',
);

export const pauseScheduleRequest = z
  .object({ reason: z.string().trim().min(3).max(200).describe('Pourquoi la planification est suspendue') })
  .strict();

// ---- The bank's answers -----------------------------------------------------------------------------------------

export const bankFileParams = z.object({ id: uuid.describe('Identifiant du fichier bancaire') });

const bankFileFields = {
  id: uuid,
  sha256: z.string(),
  fileName: z.string(),
  kind: z.enum(['camt.054', 'pain.002']),
  messageId: z.string(),
  receivedAt: isoDateTime,
  appliedCount: z.number().int().describe('Lignes appliquées (virements débités ou rejetés, remboursements reçus)'),
  reportedCount: z.number().int().describe('Lignes signalées, appliquées à rien'),
};

export const bankFileSummary = response(z.object(bankFileFields).strict(), 'BankFile');
export const bankFileListResponse = response(listOf(bankFileSummary), 'BankFileList');

export const bankFileResponse = response(
  z
    .object({
      ...bankFileFields,
      alreadyReceived: z.boolean().describe('Le même fichier avait déjà été intégré : rien n’est appliqué deux fois'),
      lines: z.array(
        z
          .object({
            line: z.number().int(),
            action: z.enum(['BOOK', 'REJECT', 'RECEIVE']).nullable(),
            reason: z.string().nullable().describe('Pourquoi la ligne est signalée (inconnue, doublon…)'),
            endToEndId: z.string().nullable(),
            proFormaNumber: z.string().nullable(),
            amountCents: cents.nullable(),
            detail: z.string(),
          })
          .strict(),
      ),
      told: z.number().int().optional(),
      notTold: notTold.optional(),
    })
    .strict(),
  'BankFileReport',
);
