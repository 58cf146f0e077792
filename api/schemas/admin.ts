import { z } from 'zod';
import {
  cents,
  contractStatusEnum,
  iban,
  installmentCents,
  isoDate,
  isoDateTime,
  listOf,
  natureEnum,
  nullableDateTime,
  request,
  response,
  roleEnum,
  settlementEnum,
  siret,
  text,
  uuid,
} from './common';

/** The administration's inputs and outputs: CFAs, users, mandates, contracts and their import, refusal reasons. */

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
