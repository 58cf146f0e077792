import { z } from 'zod';
import { DECISION_ORIGINS } from '../../domain/decisions';
import { CORRECTABLE_FIELDS } from '../../domain/desk';
import { EXTRACTION_ENGINES } from '../../domain/reading';
import { PRO_FORMA_ACTIONS } from '../../domain/process';
import {
  categoryEnum,
  cents,
  cfaRef,
  contractStatusEnum,
  isoDate,
  isoDateTime,
  kindEnum,
  listOf,
  natureEnum,
  nullableDateTime,
  pagination,
  proFormaNumber,
  request,
  response,
  settlementEnum,
  stageEnum,
  statusEnum,
  text,
  uuid,
} from './common';

/** The pro formas' inputs and outputs: lists and their filters, eligibility, generation, detail, dashboard. */

const proFormaFilters = {
  number: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(proFormaNumber)
    .optional()
    .describe('Numéro de pro forma exact (PRO- et 8 chiffres, casse indifférente)'),
  invoiceNumber: text(100).optional().describe('Numéro de la facture du CFA, tel que lu'),
  status: statusEnum.optional(),
  nature: natureEnum.optional(),
  kind: kindEnum.optional(),
  stage: stageEnum.optional(),
  category: categoryEnum.optional().describe('Catégorie d’un compteur du tableau de bord'),
  cfaId: uuid.optional().describe('Un seul CFA (personnel de l’Opco)'),
};

export const proFormaListQuery = z.object({ ...proFormaFilters, ...pagination }).strict();
export const proFormaExportQuery = z.object(proFormaFilters).strict();

export const eligibleQuery = z
  .object({
    nature: natureEnum,
    contractNumber: text(50).optional(),
    apprenticeName: text(100).optional().describe('Partie du nom de l’apprenti'),
    employerSiret: z
      .string()
      .trim()
      .regex(/^\d{14}$/, 'SIRET attendu : 14 chiffres')
      .optional(),
    startFrom: isoDate.optional().describe('Le contrat débute à partir de cette date'),
    startTo: isoDate.optional().describe('Le contrat débute au plus tard à cette date'),
    contractStatus: contractStatusEnum.optional(),
  })
  .strict();

export const generateRequest = request(
  z
    .object({
      nature: natureEnum,
      installmentIds: z
        .array(uuid)
        .min(1)
        .max(5000)
        .refine((ids) => new Set(ids).size === ids.length, 'Une échéance est sélectionnée deux fois')
        .optional()
        .describe('Échéances à inclure ; absentes : toutes les échéances éligibles de la nature'),
      settlementMode: settlementEnum.optional().describe('Mode de règlement d’un avoir ; par défaut celui du CFA'),
    })
    .strict(),
  'GenerateProFormasRequest',
);

export const eligibleResponse = response(
  z
    .object({
      items: z.array(
        z
          .object({
            id: uuid,
            contractNumber: z.string(),
            contractLabel: z.string(),
            apprenticeName: z.string(),
            employerName: z.string(),
            employerSiret: z.string(),
            contractStart: isoDate,
            contractEnd: isoDate,
            nature: natureEnum,
            periodStart: isoDate,
            periodEnd: isoDate,
            amountCents: cents,
            contractStatus: contractStatusEnum,
          })
          .strict(),
      ),
      recap: z.object({ count: z.number().int(), invoiceCents: cents, creditCents: cents, totalCents: cents }).strict(),
    })
    .strict(),
  'EligibleInstallments',
);

export const generatedResponse = response(
  z
    .object({
      proFormas: z.array(
        z
          .object({
            number: proFormaNumber,
            kind: kindEnum,
            nature: natureEnum,
            totalCents: cents,
            lineCount: z.number().int(),
            status: statusEnum,
            statusLabel: z.string(),
            settlementMode: settlementEnum.nullable(),
            createdAt: isoDateTime,
          })
          .strict(),
      ),
    })
    .strict(),
  'GeneratedProFormas',
);

const summaryFields = {
  number: proFormaNumber,
  kind: kindEnum,
  nature: natureEnum,
  natureLabel: z.string(),
  totalCents: cents,
  status: statusEnum,
  statusLabel: z.string().describe('Libellé français du statut'),
  stage: stageEnum.nullable().describe('Où en est le traitement dans le statut'),
  settlementMode: settlementEnum.nullable(),
  invoiceNumber: z.string().nullable(),
  refusalOrigin: z.enum(DECISION_ORIGINS).nullable(),
  lineCount: z.number().int(),
  cfa: cfaRef,
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  depositedAt: nullableDateTime,
  decidedAt: nullableDateTime,
  validatedAt: nullableDateTime,
  refusedAt: nullableDateTime,
  paidAt: nullableDateTime,
  cancelledAt: nullableDateTime,
};
export const proFormaSummaryResponse = response(z.object(summaryFields).strict(), 'ProFormaSummary');
export const proFormaListResponse = response(listOf(proFormaSummaryResponse), 'ProFormaList');

const refusalFields = {
  origin: z.enum(DECISION_ORIGINS),
  reasonCode: z.string(),
  label: z.string(),
  comment: z.string().nullable(),
  letter: z.string().describe('La lettre du motif, complétée des données de la pro forma'),
  at: isoDateTime,
};
export const refusalResponse = response(z.object(refusalFields).strict(), 'Refusal');

export const proFormaDetailResponse = response(
  z
    .object({
      ...summaryFields,
      allowedActions: z.array(z.enum(PRO_FORMA_ACTIONS)),
      lines: z.array(
        z
          .object({
            installmentId: uuid,
            contractNumber: z.string(),
            apprenticeName: z.string(),
            employerName: z.string(),
            periodStart: isoDate,
            periodEnd: isoDate,
            amountCents: cents,
          })
          .strict(),
      ),
      documents: z.array(
        z
          .object({
            version: z.number().int(),
            fileName: z.string(),
            mimeType: z.string(),
            size: z.number().int(),
            sha256: z.string(),
            uploadedAt: isoDateTime,
          })
          .strict(),
      ),
      extraction: z
        .object({
          version: z.number().int(),
          engine: z.enum(EXTRACTION_ENGINES),
          fields: z
            .object({
              invoiceNumber: z.string().nullable(),
              proFormaNumber: z.string().nullable(),
              totalCents: cents.nullable(),
              issueDate: z.string().nullable(),
              siret: z.string().nullable(),
              siren: z.string().nullable(),
              vatId: z.string().nullable(),
              iban: z.string().nullable(),
              currency: z.string().nullable(),
            })
            .strict(),
          fieldConfidences: z.record(z.string(), z.number()),
          confidence: z.number().nullable(),
          error: z.string().nullable(),
        })
        .strict()
        .nullable(),
      controls: z.array(
        z
          .object({
            code: z.string(),
            passed: z.boolean(),
            outcome: z.enum(['PASSED', 'FAILED', 'NEEDS_REVIEW']),
            message: z.string(),
            reasonCode: z.string().nullable(),
          })
          .strict(),
      ),
      refusal: z.object(refusalFields).strict().optional().describe('Présent au statut REFUSED'),
      payment: z
        .object({
          kind: z.enum(['TRANSFER', 'DEDUCTION', 'REIMBURSEMENT']),
          amountCents: cents,
          status: z.enum(['ORDERED', 'NETTED', 'CONFIRMED']),
          orderedAt: isoDateTime,
          confirmedAt: nullableDateTime,
          reference: z.string().nullable(),
        })
        .strict()
        .nullable(),
      history: z.array(
        z
          .object({
            at: isoDateTime,
            actor: z.string().describe('Identifiant de l’utilisateur, ou « system »'),
            actorName: z.string().nullable(),
            action: z.string(),
            from: statusEnum.nullable(),
            to: statusEnum.nullable(),
            stage: stageEnum.nullable(),
            details: z
              .record(z.string(), z.unknown())
              .nullable()
              .optional()
              .describe('Pour le personnel : motif, corrections (avant/après, justification), prise en charge'),
          })
          .strict(),
      ),
      desk: z
        .object({
          claim: z
            .object({ userId: z.string(), name: z.string().nullable(), expiresAt: isoDateTime })
            .strict()
            .nullable()
            .describe('Le valideur qui a pris la facture en charge (prise en charge en cours, non expirée)'),
          sampled: z.boolean().describe('Contrôle par sondage d’un CFA de confiance'),
          firstApproval: z
            .object({ userId: z.string(), name: z.string().nullable() })
            .strict()
            .nullable()
            .describe('Double validation : la première approbation, en attente du second valideur'),
          reviewCodes: z.array(z.string()).describe('Les contrôles à vérifier ou en échec de la dernière lecture'),
          corrections: z.array(
            z
              .object({
                version: z.number().int(),
                field: z.enum(CORRECTABLE_FIELDS),
                before: z.union([z.string(), z.number()]).nullable(),
                after: z.union([z.string(), z.number()]).nullable(),
                justification: z.string(),
                author: z.object({ id: z.string(), name: z.string().nullable() }).strict(),
                at: isoDateTime,
              })
              .strict(),
          ),
        })
        .strict()
        .optional()
        .describe('Le bureau de validation (personnel seulement)'),
    })
    .strict(),
  'ProFormaDetail',
);

export const dashboardResponse = response(
  z
    .object({
      counters: z.array(
        z
          .object({
            category: categoryEnum,
            label: z.string(),
            count: z.number().int(),
            updatedAt: nullableDateTime.describe('Dernière entrée d’une pro forma dans la catégorie'),
            link: z.string().describe('La liste filtrée de la catégorie'),
          })
          .strict(),
      ),
    })
    .strict(),
  'Dashboard',
);
