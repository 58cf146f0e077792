import { z } from 'zod';
import { CFA_MAIL_KINDS, CFA_MAIL_KIND_LABELS } from '../../domain/notification-kinds';
import { actingCfaId, request, response, settlementEnum, uuid } from './common';

/** « Mon CFA »: a CFA user's own settings. */

const kindEnum = z
  .enum(CFA_MAIL_KINDS)
  .describe(`Type d’e-mail : ${CFA_MAIL_KINDS.map((kind) => `${kind} (${CFA_MAIL_KIND_LABELS[kind]})`).join(', ')}`);

const notificationEmail = z
  .object({
    email: z.email().max(254),
    kinds: z.array(kindEnum).min(1).max(CFA_MAIL_KINDS.length),
  })
  .strict();

export const myCfaResponse = response(
  z
    .object({
      id: uuid,
      siret: z.string(),
      name: z.string(),
      email: z.string().describe('Adresse principale : reçoit les e-mails qu’aucune adresse de la liste ne reçoit'),
      iban: z.string().describe('Lecture seule : un administrateur le modifie (modification tracée)'),
      bic: z.string().nullable().describe('Lecture seule, comme l’IBAN'),
      ibanFlag: z
        .string()
        .nullable()
        .describe(
          'La banque a refusé un virement vers cet IBAN (motif) : aucun paiement avant sa vérification par l’Opco',
        ),
      creditNoteSettlement: settlementEnum.describe('Mode de règlement par défaut des factures d’avoir'),
      notificationEmails: z.array(notificationEmail),
      mailKinds: z
        .array(z.object({ kind: kindEnum, label: z.string() }).strict())
        .describe('Les types d’e-mail qu’une adresse peut recevoir'),
    })
    .strict(),
  'MyCfa',
);

export const myCfaUpdateRequest = request(
  z
    .object({
      cfaId: actingCfaId,
      creditNoteSettlement: settlementEnum.optional(),
      notificationEmails: z
        .array(notificationEmail)
        .max(20)
        .refine(
          (list) => new Set(list.map((n) => n.email.toLowerCase())).size === list.length,
          'une adresse ne figure qu’une fois',
        )
        .optional()
        .describe('Remplace toute la liste ; vide : tous les e-mails à l’adresse principale'),
    })
    .strict()
    .refine((body) => Object.keys(body).some((key) => key !== 'cfaId'), 'au moins un réglage à modifier'),
  'MyCfaUpdate',
  'L’IBAN n’est pas modifiable ici (champ refusé) : un administrateur le modifie.',
);
