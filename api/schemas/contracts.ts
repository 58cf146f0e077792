import { z } from 'zod';
import { CONTRACT_SORTS } from '../../db/contracts';
import { INSTALLMENT_STANDINGS } from '../../domain/schedule';
import {
  cents,
  contractStatusEnum,
  isoDate,
  listOf,
  natureEnum,
  pagination,
  response,
  statusEnum,
  text,
  uuid,
} from './common';

/** The CFA's contracts and their schedules (« ai-je déjà facturé ce dossier ? »). */

export const contractParams = z.object({ id: uuid.describe('Identifiant du contrat') });

export const contractListQuery = z
  .object({
    cfaId: uuid.optional().describe('Personnel de l’Opco : les contrats de ce CFA (ignoré pour un utilisateur CFA)'),
    number: text(50).optional().describe('Numéro du contrat, ou son début'),
    apprenticeName: text(100).optional().describe('Partie du nom de l’apprenti (sans égard à la casse)'),
    employerSiret: z
      .string()
      .trim()
      .regex(/^\d{14}$/, 'SIRET attendu : 14 chiffres')
      .optional()
      .describe('SIRET de l’employeur'),
    startFrom: isoDate.optional().describe('Le contrat débute à partir de cette date'),
    startTo: isoDate.optional().describe('Le contrat débute au plus tard à cette date'),
    status: contractStatusEnum.optional().describe('ENGAGE (« Engagé ») ou RUPTURE (« Rupture »)'),
    sort: z.enum(CONTRACT_SORTS).default('number').describe('Tri : number, startDate ou apprenticeName'),
    order: z.enum(['asc', 'desc']).default('asc').describe('Ordre du tri'),
    ...pagination,
  })
  .strict()
  .refine((q) => !q.startFrom || !q.startTo || q.startFrom <= q.startTo, {
    message: 'startTo précède startFrom',
    path: ['startTo'],
  });

const contractItem = z
  .object({
    id: uuid,
    cfaId: uuid,
    number: z.string(),
    label: z.string().describe('Diplôme préparé'),
    apprenticeName: z.string(),
    employerName: z.string(),
    employerSiret: z.string(),
    startDate: isoDate,
    endDate: isoDate,
    status: contractStatusEnum,
    statusLabel: z.string().describe('« Engagé » ou « Rupture »'),
  })
  .strict();

export const contractListResponse = response(listOf(contractItem), 'ContractList', 'Une page des contrats');

export const contractScheduleResponse = response(
  z
    .object({
      contract: contractItem,
      installments: z.array(
        z
          .object({
            id: uuid,
            nature: natureEnum,
            natureLabel: z.string(),
            periodStart: isoDate,
            periodEnd: isoDate,
            amountCents: cents,
            standing: z
              .enum(INSTALLMENT_STANDINGS)
              .describe('UPCOMING (à venir), ELIGIBLE, IN_PRO_FORMA (dans une pro forma vivante), PAID'),
            standingLabel: z
              .string()
              .describe('« À venir », « Éligible », « Dans la pro forma PRO-… (…) », « Payée le … »'),
            proForma: z.object({ number: z.string(), status: statusEnum, statusLabel: z.string() }).strict().nullable(),
            paidOn: isoDate.nullable().describe('Date (Paris) du paiement'),
          })
          .strict(),
      ),
    })
    .strict(),
  'ContractSchedule',
  'Le contrat et son échéancier',
);
