import { z } from 'zod';
import { DECISION_ORIGINS } from '../../domain/decisions';
import { CORRECTABLE_FIELDS } from '../../domain/desk';
import { EXTRACTION_ENGINES, INVOICE_FIELD_NAMES } from '../../domain/reading';
import { PRO_FORMA_ACTIONS } from '../../domain/process';
import { MAX_AMOUNT_CENTS } from '../../domain/money';
import { ELIGIBLE_SORTS, EXCLUSION_REASONS } from '../../db/generation';
import {
  actingCfaId,
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

const siretDigits = z
  .string()
  .trim()
  .regex(/^\d{14}$/, 'SIRET attendu : 14 chiffres');

const queryCents = z.coerce
  .number()
  .int('Montant en centimes attendu : un nombre entier')
  .min(-MAX_AMOUNT_CENTS * 10_000)
  .max(MAX_AMOUNT_CENTS * 10_000);

const selectionRecap = z
  .object({ count: z.number().int(), invoiceCents: cents, creditCents: cents, totalCents: cents })
  .strict();

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
  createdFrom: isoDate.optional().describe('Générée à partir de ce jour (heure de Paris)'),
  createdTo: isoDate.optional().describe('Générée au plus tard ce jour (heure de Paris)'),
  depositedFrom: isoDate.optional().describe('Facture déposée à partir de ce jour (heure de Paris)'),
  depositedTo: isoDate.optional().describe('Facture déposée au plus tard ce jour (heure de Paris)'),
  minAmountCents: queryCents.optional().describe('Montant total minimal, en centimes (négatif pour un avoir)'),
  maxAmountCents: queryCents.optional().describe('Montant total maximal, en centimes'),
  contractNumber: text(50).optional().describe('Les pro formas portant une ligne de ce contrat'),
  apprentice: text(100)
    .optional()
    .describe('Les pro formas portant une ligne d’un apprenti dont un mot du nom commence ainsi (casse indifférente)'),
  invoiceDate: isoDate.optional().describe('Date d’émission lue sur la dernière facture déposée'),
  q: text(100)
    .optional()
    .describe('Recherche libre : numéro de pro forma, début du numéro de facture ou partie du nom du CFA'),
};

/** Both ends of a range in order (the error names the end that is wrong). */
function rangesInOrder(
  value: Record<string, unknown>,
  ctx: z.RefinementCtx,
  ranges: [from: string, to: string, label: string][],
) {
  for (const [from, to, label] of ranges) {
    const a = value[from];
    const b = value[to];
    if (a !== undefined && b !== undefined && (a as number | string) > (b as number | string)) {
      ctx.addIssue({ code: 'custom', path: [to], message: `${label} : la fin précède le début` });
    }
  }
}

const LIST_RANGES: [string, string, string][] = [
  ['createdFrom', 'createdTo', 'Dates de génération'],
  ['depositedFrom', 'depositedTo', 'Dates de dépôt'],
  ['minAmountCents', 'maxAmountCents', 'Montants'],
];

export const proFormaListQuery = z
  .object({ ...proFormaFilters, ...pagination })
  .strict()
  .superRefine((v, ctx) => rangesInOrder(v, ctx, LIST_RANGES));
export const proFormaExportQuery = z
  .object(proFormaFilters)
  .strict()
  .superRefine((v, ctx) => rangesInOrder(v, ctx, LIST_RANGES));

export const eligibleQuery = z
  .object({
    cfaId: actingCfaId,
    nature: natureEnum,
    contractNumber: text(50).optional(),
    apprenticeName: text(100).optional().describe('Partie du nom de l’apprenti'),
    employerSiret: siretDigits.optional().describe('SIRET de l’employeur (adhérent)'),
    startFrom: isoDate.optional().describe('Le contrat débute à partir de cette date'),
    startTo: isoDate.optional().describe('Le contrat débute au plus tard à cette date'),
    contractStatus: contractStatusEnum
      .optional()
      .describe('Statut du contrat : ENGAGE ou RUPTURE (statut de la rupture)'),
    apprenticeFirstName: text(100).optional().describe('Début du prénom de l’apprenti (casse indifférente)'),
    apprenticeLastName: text(100).optional().describe('Début du nom de famille de l’apprenti (casse indifférente)'),
    trainingSiret: siretDigits.optional().describe('SIRET du CFA pédagogique'),
    sort: z
      .enum(ELIGIBLE_SORTS)
      .default('contractNumber')
      .describe('Tri : contrat, apprenti, début de période, montant'),
    order: z.enum(['asc', 'desc']).default('asc'),
    ...pagination,
  })
  .strict()
  .superRefine((v, ctx) => rangesInOrder(v, ctx, [['startFrom', 'startTo', 'Dates de début du contrat']]));

export const generateRequest = request(
  z
    .object({
      cfaId: actingCfaId,
      nature: natureEnum,
      installmentIds: z
        .array(uuid)
        .min(1)
        .max(5000)
        .refine((ids) => new Set(ids).size === ids.length, 'Une échéance est sélectionnée deux fois')
        .optional()
        .describe('Échéances à inclure ; absentes : toutes les échéances éligibles de la nature'),
      settlementMode: settlementEnum.optional().describe('Mode de règlement d’un avoir ; par défaut celui du CFA'),
      previewToken: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe(
          'Le jeton du récapitulatif (POST /api/pro-formas/preview) : 409 PREVIEW_OUTDATED si la sélection a changé',
        ),
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
            apprenticeFirstName: z.string(),
            apprenticeLastName: z.string(),
            trainingSiret: z.string().nullable(),
          })
          .strict(),
      ),
      total: z.number().int().describe('Échéances de toute la sélection filtrée'),
      page: z.number().int(),
      pageSize: z.number().int(),
      recap: selectionRecap.describe('Sur toute la sélection filtrée, pas seulement la page'),
    })
    .strict(),
  'EligibleInstallments',
);

export const generationPreviewResponse = response(
  z
    .object({
      nature: natureEnum,
      included: z.object({ count: z.number().int() }).strict(),
      excluded: z
        .object({
          count: z.number().int(),
          byReason: z.array(
            z.object({ reason: z.enum(EXCLUSION_REASONS), label: z.string(), count: z.number().int() }).strict(),
          ),
          items: z
            .array(
              z.object({ installmentId: z.string(), reason: z.enum(EXCLUSION_REASONS), label: z.string() }).strict(),
            )
            .describe('Les échéances sélectionnées écartées (les éligibles non sélectionnées sont seulement comptées)'),
        })
        .strict(),
      recap: selectionRecap,
      proFormas: z.array(
        z
          .object({
            kind: kindEnum,
            nature: natureEnum,
            totalCents: cents,
            lineCount: z.number().int(),
            settlementMode: settlementEnum.nullable(),
          })
          .strict(),
      ),
      generable: z.boolean().describe('Si la génération de cette sélection réussirait maintenant'),
      blocking: z
        .object({ code: z.string(), message: z.string() })
        .strict()
        .nullable()
        .describe('Ce que la génération répondrait, quand elle échouerait'),
      previewToken: z
        .string()
        .describe('À joindre à la génération : 409 PREVIEW_OUTDATED si la sélection a changé entre-temps'),
    })
    .strict(),
  'GenerationPreview',
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
          fieldPositions: z
            .partialRecord(
              z.enum(INVOICE_FIELD_NAMES),
              z
                .object({
                  page: z.number().int().positive(),
                  left: z.number().min(0).max(1),
                  top: z.number().min(0).max(1),
                  width: z.number().min(0).max(1),
                  height: z.number().min(0).max(1),
                })
                .strict(),
            )
            .describe('Where each value read was found: page (from 1) and box in fractions of the page, top-left.'),
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
          status: z.enum(['ORDERED', 'ISSUED', 'NETTED', 'CONFIRMED']),
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
          cfaBanking: z
            .object({
              iban: z.string(),
              bic: z.string().nullable(),
              ibanFlag: z.string().nullable().describe('Un virement refusé par la banque : IBAN à vérifier'),
            })
            .strict()
            .describe('Les coordonnées bancaires enregistrées du CFA, à comparer à celles lues sur la facture'),
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
