import { z } from 'zod';
import { CONTRACT_STATUSES, COST_NATURES, SETTLEMENT_MODES } from '../domain/cost-nature';
import { DECISION_ORIGINS } from '../domain/decisions';
import { isValidIban, isValidSiret, normalizeIban, normalizeSiret } from '../domain/identifiers';
import { AMOUNT_BOUND_RULE, MAX_AMOUNT_CENTS } from '../domain/money';
import { EXTRACTION_ENGINES } from '../domain/reading';
import { PRO_FORMA_ACTIONS, PRO_FORMA_KINDS, PRO_FORMA_STAGES, PRO_FORMA_STATUSES } from '../domain/status';
import { DASHBOARD_CATEGORIES } from '../domain/dashboard';
import { ROLES } from './auth';

/**
 * Every input and output of the API, as zod schemas. They validate requests (objects are strict: an unknown field
 * is an error, not silently dropped) and they are the OpenAPI document (api/openapi.ts renders them with
 * z.toJSONSchema). Requests and responses are registered apart: a request is described as the client writes it, a
 * response as the server sends it.
 */

export const requestSchemas = z.registry<{ id: string; description?: string }>();
export const responseSchemas = z.registry<{ id: string; description?: string }>();

function request<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  requestSchemas.add(schema, { id, description });
  return schema;
}

function response<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  responseSchemas.add(schema, { id, description });
  return schema;
}

// ---- Values ---------------------------------------------------------------------------------------------------

export const proFormaNumber = z
  .string()
  .regex(/^PRO-\d{8}$/, 'Numéro de pro forma attendu : PRO- suivi de 8 chiffres')
  .describe('Numéro de pro forma : `PRO-` et 8 chiffres');
const uuid = z.uuid();
const isoDate = z.iso.date().describe('Date calendaire AAAA-MM-JJ');
const isoDateTime = z.iso.datetime({ offset: true }).describe('Instant ISO 8601');
const cents = z.number().int().safe().describe('Montant en centimes d’euro (entier)');
const amountOutOfBounds = `Montant hors limites : une échéance est comprise ${AMOUNT_BOUND_RULE}.`;
const installmentCents = z
  .number()
  .int()
  .min(-MAX_AMOUNT_CENTS, amountOutOfBounds)
  .max(MAX_AMOUNT_CENTS, amountOutOfBounds)
  .describe(`Montant en centimes d’euro (entier), ${AMOUNT_BOUND_RULE}`);
const siret = z
  .string()
  .trim()
  .refine(isValidSiret, 'SIRET invalide : 14 chiffres dont la clé de Luhn est correcte')
  .transform(normalizeSiret);
const iban = z.string().trim().refine(isValidIban, 'IBAN invalide (clé ISO 13616 mod 97)').transform(normalizeIban);
const text = (max: number) => z.string().trim().min(1).max(max);

export const statusEnum = z.enum(PRO_FORMA_STATUSES);
export const kindEnum = z.enum(PRO_FORMA_KINDS);
export const stageEnum = z.enum(PRO_FORMA_STAGES);
export const natureEnum = z.enum(COST_NATURES);
export const settlementEnum = z.enum(SETTLEMENT_MODES);
export const contractStatusEnum = z.enum(CONTRACT_STATUSES);
export const categoryEnum = z.enum(DASHBOARD_CATEGORIES);
export const roleEnum = z.enum(ROLES);

// ---- Path parameters ------------------------------------------------------------------------------------------

export const numberParams = z.object({ number: proFormaNumber });
export const documentParams = z.object({
  number: proFormaNumber,
  version: z.coerce.number().int().min(1).max(1_000_000).describe('Version du document déposé (1, 2, …)'),
});
export const cfaParams = z.object({ cfaId: uuid.describe('Identifiant du CFA') });
export const userParams = z.object({ userId: uuid.describe('Identifiant de l’utilisateur') });

// ---- Query strings --------------------------------------------------------------------------------------------

const pagination = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).describe('Page, à partir de 1'),
  pageSize: z.coerce.number().int().min(1).max(200).default(50).describe('Éléments par page (200 au plus)'),
};

export const pageQuery = z.object(pagination).strict();

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

// ---- Request bodies -------------------------------------------------------------------------------------------

export const emptyBody = request(z.object({}).strict(), 'EmptyRequest', 'Aucun champ');

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

export const decisionRequest = request(
  z
    .object({
      decision: z.enum(['APPROVE', 'REFUSE']),
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

export const createCfaRequest = request(
  z
    .object({
      siret,
      name: text(200),
      email: z.email(),
      iban,
      trusted: z.boolean().default(false).describe('CFA de confiance : validé sans humain quand tout est conforme'),
      creditNoteSettlement: settlementEnum.default('DEDUCTION'),
    })
    .strict(),
  'CreateCfaRequest',
);

export const updateCfaRequest = request(
  z
    .object({
      name: text(200).optional(),
      email: z.email().optional(),
      iban: iban.optional(),
      trusted: z.boolean().optional(),
      creditNoteSettlement: settlementEnum.optional(),
    })
    .strict()
    .refine((v) => Object.values(v).some((x) => x !== undefined), 'Au moins un champ à modifier'),
  'UpdateCfaRequest',
);

export const createUserRequest = request(
  z
    .object({
      role: roleEnum,
      name: text(200),
      email: z.email(),
      cfaId: uuid.optional().describe('Obligatoire pour le rôle cfa, interdit sinon'),
    })
    .strict()
    .refine((u) => (u.role === 'cfa') === (u.cfaId !== undefined), {
      message: 'cfaId est obligatoire pour un utilisateur cfa, et interdit pour les autres rôles',
      path: ['cfaId'],
    }),
  'CreateUserRequest',
);

export const createMandateRequest = request(
  z
    .object({ validFrom: isoDate, validTo: isoDate.nullable().optional() })
    .strict()
    .refine((m) => !m.validTo || m.validTo >= m.validFrom, {
      message: 'validTo précède validFrom',
      path: ['validTo'],
    }),
  'CreateMandateRequest',
);

export const installmentInput = z
  .object({
    nature: natureEnum,
    periodStart: isoDate,
    periodEnd: isoDate,
    amountCents: installmentCents.refine((v) => v !== 0, 'Une échéance ne peut pas être nulle'),
  })
  .strict()
  .refine((i) => i.periodEnd >= i.periodStart, { message: 'periodEnd précède periodStart', path: ['periodEnd'] });

export const createContractRequest = request(
  z
    .object({
      cfaId: uuid,
      number: text(50),
      label: text(300),
      apprenticeName: text(200),
      employerName: text(200),
      employerSiret: siret,
      startDate: isoDate,
      endDate: isoDate,
      status: contractStatusEnum,
      installments: z.array(installmentInput).max(500).default([]),
    })
    .strict()
    .refine((c) => c.endDate >= c.startDate, { message: 'endDate précède startDate', path: ['endDate'] })
    .refine((c) => new Set(c.installments.map((i) => `${i.nature}/${i.periodStart}`)).size === c.installments.length, {
      message: 'Deux échéances de même nature commencent le même jour',
      path: ['installments'],
    }),
  'CreateContractRequest',
);

export const createRefusalReasonRequest = request(
  z
    .object({
      code: z
        .string()
        .trim()
        .regex(/^[A-Z][A-Z0-9_]{0,49}$/, 'Code attendu : majuscules, chiffres et _ (50 au plus)'),
      label: text(200),
      letter: text(10_000).describe('Texte de la lettre ; {{numeroProForma}} et {{numeroFacture}} sont remplacés'),
    })
    .strict(),
  'CreateRefusalReasonRequest',
);

// ---- Responses ------------------------------------------------------------------------------------------------

export const errorBody = response(
  z
    .object({
      error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).strict(),
    })
    .strict(),
  'Error',
  'Erreur : un code stable et un message en français',
);

const listOf = <T extends z.ZodType>(item: T) =>
  z
    .object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() })
    .strict();

const cfaRef = z.object({ id: uuid, siret: z.string(), name: z.string() }).strict();
const nullableDateTime = isoDateTime.nullable();

export const meResponse = response(
  z.object({ id: uuid, role: roleEnum, name: z.string(), email: z.string(), cfaId: uuid.nullable() }).strict(),
  'Me',
);

export const cfaResponse = response(
  z
    .object({
      id: uuid,
      siret: z.string(),
      name: z.string(),
      email: z.string(),
      iban: z.string(),
      trusted: z.boolean(),
      creditNoteSettlement: settlementEnum,
      createdAt: isoDateTime,
      updatedAt: isoDateTime,
    })
    .strict(),
  'Cfa',
);
export const cfaListResponse = response(listOf(cfaResponse), 'CfaList');

const userFields = {
  id: uuid,
  role: roleEnum,
  name: z.string(),
  email: z.string(),
  cfaId: uuid.nullable(),
  createdAt: isoDateTime,
  revokedAt: nullableDateTime,
};
export const userResponse = response(z.object(userFields).strict(), 'User');
export const createdUserResponse = response(
  z.object({ ...userFields, token: z.string().describe('Jeton porteur, montré une seule fois') }).strict(),
  'CreatedUser',
);
export const userListResponse = response(listOf(userResponse), 'UserList');

export const mandateResponse = response(
  z.object({ id: uuid, cfaId: uuid, validFrom: isoDate, validTo: isoDate.nullable(), createdAt: isoDateTime }).strict(),
  'Mandate',
);

export const contractResponse = response(
  z
    .object({
      id: uuid,
      cfaId: uuid,
      number: z.string(),
      label: z.string(),
      apprenticeName: z.string(),
      employerName: z.string(),
      employerSiret: z.string(),
      startDate: isoDate,
      endDate: isoDate,
      status: contractStatusEnum,
      installments: z.array(
        z
          .object({ id: uuid, nature: natureEnum, periodStart: isoDate, periodEnd: isoDate, amountCents: cents })
          .strict(),
      ),
    })
    .strict(),
  'Contract',
);

export const importReportResponse = response(
  z
    .object({
      imported: z.number().int().describe('Échéances créées'),
      unchanged: z.number().int().describe('Échéances déjà présentes à l’identique (réimport)'),
      rejected: z.array(
        z.object({ row: z.number().int().describe('Numéro de ligne dans le classeur'), error: z.string() }).strict(),
      ),
    })
    .strict(),
  'ContractImportReport',
);

export const refusalReasonResponse = response(
  z
    .object({ code: z.string(), label: z.string(), letter: z.string(), automatic: z.boolean(), active: z.boolean() })
    .strict(),
  'RefusalReason',
);
export const refusalReasonListResponse = response(listOf(refusalReasonResponse), 'RefusalReasonList');

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
          })
          .strict(),
      ),
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

export const healthResponse = response(z.object({ status: z.literal('ok') }).strict(), 'Health');
export const readyResponse = response(
  z
    .object({
      status: z.enum(['ready', 'unavailable']),
      checks: z.record(z.string(), z.enum(['ok', 'unavailable'])),
    })
    .strict(),
  'Readiness',
);
