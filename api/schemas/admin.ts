import { z } from 'zod';
import {
  bic,
  cents,
  contractStatusEnum,
  iban,
  installmentCents,
  isoDate,
  isoDateTime,
  listOf,
  natureEnum,
  nullableDateTime,
  pagination,
  request,
  response,
  settlementEnum,
  siret,
  text,
  uuid,
} from './common';

/**
 * The administration's inputs and outputs: CFAs, users, mandates, contracts and their import, refusal reasons,
 * validators' portfolios, the audit of reference data.
 */

export const createCfaRequest = request(
  z
    .object({
      siret,
      name: text(200),
      email: z.email(),
      iban,
      bic: bic.optional(),
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
      bic: bic.nullable().optional(),
      ibanChecked: z
        .literal(true)
        .optional()
        .describe('L’IBAN signalé après un virement rejeté est vérifié : les campagnes paient de nouveau le CFA'),
      trusted: z.boolean().optional(),
      creditNoteSettlement: settlementEnum.optional(),
    })
    .strict()
    .refine((v) => Object.values(v).some((x) => x !== undefined), 'Au moins un champ à modifier'),
  'UpdateCfaRequest',
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
      apprenticeFirstName: text(100).optional().describe('Par défaut : le nom complet coupé à la première espace'),
      apprenticeLastName: text(100).optional(),
      trainingSiret: siret.optional().describe('SIRET de l’établissement de formation (CFA pédagogique)'),
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

export const cfaResponse = response(
  z
    .object({
      id: uuid,
      siret: z.string(),
      name: z.string(),
      email: z.string(),
      iban: z.string(),
      bic: z.string().nullable(),
      ibanFlag: z
        .object({ reason: z.string(), at: isoDateTime })
        .strict()
        .nullable()
        .describe('IBAN à vérifier : la banque a rejeté un virement (le CFA est écarté des campagnes d’ici là)'),
      trusted: z.boolean(),
      creditNoteSettlement: settlementEnum,
      createdAt: isoDateTime,
      updatedAt: isoDateTime,
    })
    .strict(),
  'Cfa',
);
export const cfaListResponse = response(listOf(cfaResponse), 'CfaList');

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
      apprenticeFirstName: z.string().optional(),
      apprenticeLastName: z.string().optional(),
      trainingSiret: z.string().nullable().optional(),
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

const refusalReasonFields = {
  code: z.string(),
  label: z.string(),
  letter: z.string(),
  automatic: z.boolean().describe('Utilisé par les contrôles automatiques'),
  active: z.boolean().describe('Proposé aux valideurs'),
  version: z.number().int().min(1).describe('Version en vigueur du libellé et de la lettre'),
  retiredAt: nullableDateTime.describe('Retrait du catalogue (plus proposé ; toujours affiché sur les anciens refus)'),
};
export const refusalReasonResponse = response(z.object(refusalReasonFields).strict(), 'RefusalReason');
export const refusalReasonListResponse = response(listOf(refusalReasonResponse), 'RefusalReasonList');

export const refusalReasonDetailResponse = response(
  z
    .object({
      ...refusalReasonFields,
      versions: z.array(
        z
          .object({
            version: z.number().int().min(1),
            label: z.string(),
            letter: z.string(),
            createdBy: uuid.nullable().describe('L’administrateur qui l’a écrite (aucun : catalogue initial)'),
            createdAt: isoDateTime,
          })
          .strict(),
      ),
    })
    .strict(),
  'RefusalReasonDetail',
  'Un motif de refus et toutes les versions de son libellé et de sa lettre, la plus ancienne d’abord',
);

/** Query strings carry text: `true` or `false`, nothing else. */
const booleanQuery = z
  .enum(['true', 'false'], 'Valeur attendue : true ou false')
  .default('false')
  .transform((v) => v === 'true');

export const refusalReasonListQuery = z
  .object({
    ...pagination,
    includeRetired: booleanQuery.describe('Inclure les motifs retirés du catalogue (false par défaut)'),
  })
  .strict();

export const refusalReasonParams = z.object({
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,49}$/)
    .describe('Code du motif de refus'),
});

export const reviseRefusalReasonRequest = request(
  z
    .object({
      label: text(200).optional(),
      letter: text(10_000)
        .optional()
        .describe('Texte de la lettre ; {{numeroProForma}} et {{numeroFacture}} sont remplacés'),
    })
    .strict()
    .refine((v) => v.label !== undefined || v.letter !== undefined, 'Au moins un champ à modifier : label ou letter'),
  'ReviseRefusalReasonRequest',
  'Une nouvelle version du libellé et/ou de la lettre ; les lettres déjà envoyées gardent leur texte',
);

// ---- Users ------------------------------------------------------------------------------------------------------

// ---- Portfolios -------------------------------------------------------------------------------------------------

export const portfolioRequest = request(
  z
    .object({
      cfaIds: z.array(uuid).max(1000).describe('Les CFA du portefeuille (remplace l’ensemble ; vide : aucun)'),
    })
    .strict(),
  'PortfolioRequest',
);

const portfolioCfa = z.object({ id: uuid, siret: z.string(), name: z.string() }).strict();
export const portfolioResponse = response(
  z
    .object({
      validator: z.object({ id: uuid, name: z.string(), email: z.string(), revokedAt: nullableDateTime }).strict(),
      cfas: z.array(portfolioCfa),
    })
    .strict(),
  'Portfolio',
  'Un valideur et les CFA de son portefeuille',
);
export const portfolioListResponse = response(
  z
    .object({
      validators: z.array(portfolioResponse),
      unassignedCfas: z.array(portfolioCfa).describe('Les CFA d’aucun portefeuille (traités par tous les valideurs)'),
    })
    .strict(),
  'PortfolioList',
);

// ---- Audit of reference data -------------------------------------------------------------------------------------

export const AUDITED_ENTITY_LABELS = {
  CFA: 'CFA',
  MANDATE: 'Mandat',
  USER: 'Utilisateur',
  PORTFOLIO: 'Portefeuille',
  REFUSAL_REASON: 'Motif de refus',
} as const;
export const auditEntityEnum = z.enum(
  Object.keys(AUDITED_ENTITY_LABELS) as [keyof typeof AUDITED_ENTITY_LABELS, ...(keyof typeof AUDITED_ENTITY_LABELS)[]],
);

const auditFilters = {
  entity: auditEntityEnum.optional().describe('Type d’objet modifié'),
  entityId: text(200).optional().describe('Identifiant de l’objet (id, ou code d’un motif de refus)'),
  actor: uuid.optional().describe('L’administrateur auteur des modifications'),
  from: isoDate.optional().describe('Premier jour inclus (jour de Paris)'),
  to: isoDate.optional().describe('Dernier jour inclus (jour de Paris)'),
};
const fromBeforeTo = (q: { from?: string; to?: string }) => !q.from || !q.to || q.from <= q.to;
const FROM_AFTER_TO = { message: 'from est postérieur à to', path: ['from'] };

export const auditListQuery = z
  .object({ ...auditFilters, ...pagination })
  .strict()
  .refine(fromBeforeTo, FROM_AFTER_TO);
export const auditExportQuery = z.object(auditFilters).strict().refine(fromBeforeTo, FROM_AFTER_TO);

export const auditEntryResponse = response(
  z
    .object({
      id: z.number().int(),
      entity: auditEntityEnum,
      entityLabel: z.string(),
      entityId: z.string(),
      action: z.string().describe('CREATE, UPDATE, REVOKE, TOKEN_REPLACED, ASSIGN, NEW_VERSION, RETIRE'),
      actionLabel: z.string(),
      actor: z.object({ id: uuid, name: z.string(), email: z.string() }).strict().nullable(),
      before: z.record(z.string(), z.unknown()).nullable().describe('L’objet avant (aucun : création)'),
      after: z.record(z.string(), z.unknown()).nullable().describe('L’objet après'),
      at: isoDateTime,
    })
    .strict(),
  'ReferenceAuditEntry',
  'Une modification de données de référence : qui, quand, avant, après (jamais de jeton)',
);
export const auditListResponse = response(listOf(auditEntryResponse), 'ReferenceAuditList');
