import { z } from 'zod';
import { CONTROL_CODES } from '../../domain/controls';
import { QUEUE_STAGES } from '../../domain/process';
import { EXTRACTION_ENGINES } from '../../domain/reading';
import { ASSIGNMENTS, QUEUE_SORTS } from '../../db/validation-queue';
import { isoDate, isoDateTime, natureEnum, pagination, response, text, uuid } from './common';
import { proFormaSummaryResponse } from './pro-formas';

/** The validation desk's inputs and outputs: the queue, its filters and facets. */

const amount = z.coerce.number().int().safe().describe('Montant en centimes d’euro (entier)');

/** `control=A&control=B` or `control=A,B` (or both): the list of codes. */
const controlList = z.preprocess(
  (value) =>
    (Array.isArray(value) ? value : [value]).flatMap((v: unknown) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
        : [v],
    ),
  z
    .array(z.enum(CONTROL_CODES, { error: `Code de contrôle inconnu (attendu : ${CONTROL_CODES.join(', ')})` }))
    .min(1, 'Au moins un code de contrôle')
    .max(CONTROL_CODES.length, 'Trop de codes de contrôle'),
);

export const validationQueueQuery = z
  .object({
    cfa: text(200).optional().describe('SIRET du CFA (14 chiffres, exact) ou partie de son nom (casse indifférente)'),
    nature: natureEnum.optional(),
    minAmountCents: amount.optional().describe('Montant total minimal, en centimes'),
    maxAmountCents: amount.optional().describe('Montant total maximal, en centimes'),
    waitingMoreThanDays: z.coerce
      .number()
      .int('Nombre de jours entier attendu')
      .min(0, 'Nombre de jours positif attendu')
      .max(3650, 'Dix ans au plus')
      .optional()
      .describe('Déposée depuis plus de ce nombre de jours (de 24 heures)'),
    depositedBefore: isoDate.optional().describe('Déposée avant ce jour (heure de Paris)'),
    control: controlList
      .optional()
      .describe('Un contrôle à revoir ou en échec (répétable, ou liste séparée par « , »)'),
    engine: z.enum(EXTRACTION_ENGINES).optional().describe('Moteur de lecture de la facture'),
    assigned: z
      .enum(ASSIGNMENTS, { error: 'Attribution attendue : me, nobody ou someone' })
      .optional()
      .describe('me : prise en charge par moi ; someone : par quelqu’un ; nobody : par personne (ou prise expirée)'),
    stage: z.enum(QUEUE_STAGES, { error: `Étape attendue : ${QUEUE_STAGES.join(' ou ')}` }).optional(),
    sampled: z
      .enum(['true', 'false'], { error: 'Valeur attendue : true ou false' })
      .transform((v) => v === 'true')
      .optional()
      .describe('Contrôle par sondage'),
    scope: z
      .enum(['portfolio', 'all'], { error: 'Périmètre attendu : portfolio ou all' })
      .optional()
      .describe('portfolio (défaut d’un valideur) : mes CFA et ceux sans valideur ; all (défaut d’un administrateur)'),
    sort: z
      .enum(QUEUE_SORTS, { error: `Tri attendu : ${QUEUE_SORTS.join(', ')}` })
      .default('waiting')
      .describe('waiting : ancienneté du dépôt ; amount : montant ; cfa : nom du CFA'),
    order: z
      .enum(['asc', 'desc'], { error: 'Ordre attendu : asc ou desc' })
      .optional()
      .describe('Par défaut : asc (le dépôt le plus ancien d’abord), desc pour le montant'),
    ...pagination,
  })
  .strict()
  .refine(
    (q) => q.minAmountCents === undefined || q.maxAmountCents === undefined || q.minAmountCents <= q.maxAmountCents,
    { message: 'Le montant minimal dépasse le montant maximal', path: ['minAmountCents'] },
  );

const userRef = z.object({ userId: uuid, name: z.string() }).strict();
const counted = <T extends z.ZodType>(value: T) => z.array(z.object({ value, count: z.number().int() }).strict());

export const validationQueueItem = response(
  proFormaSummaryResponse.extend({
    stage: z.enum(QUEUE_STAGES),
    waitingSince: isoDateTime.nullable().describe('Dépôt de la facture'),
    waitingDays: z.number().int().describe('Jours entiers (de 24 heures) depuis le dépôt'),
    claim: userRef
      .extend({ expiresAt: isoDateTime })
      .strict()
      .nullable()
      .describe('La prise en charge en cours (non expirée), sinon null'),
    mine: z.boolean().describe('Prise en charge par l’appelant'),
    sampled: z.boolean().describe('Contrôle par sondage d’un CFA de confiance'),
    flags: z.array(z.string()).describe('Mentions en français : « contrôle par sondage », « second avis attendu »'),
    reviewCodes: z.array(z.string()).describe('Contrôles de la dernière lecture à revoir ou en échec'),
    readingEngine: z.enum(EXTRACTION_ENGINES).nullable(),
    firstApprovedBy: userRef.nullable().describe('Premier approbateur, quand un second avis est attendu'),
  }),
  'ValidationQueueItem',
);

export const validationQueueResponse = response(
  z
    .object({
      items: z.array(validationQueueItem),
      total: z.number().int(),
      page: z.number().int(),
      pageSize: z.number().int(),
      scope: z.enum(['portfolio', 'all']),
      facets: z
        .object({
          nature: counted(natureEnum),
          control: counted(z.string()),
          engine: counted(z.enum(EXTRACTION_ENGINES).nullable()),
          assigned: counted(z.enum(ASSIGNMENTS)),
          stage: counted(z.enum(QUEUE_STAGES)),
          sampled: counted(z.boolean()),
          cfa: z.array(z.object({ id: uuid, siret: z.string(), name: z.string(), count: z.number().int() }).strict()),
        })
        .strict()
        .describe('Décomptes par valeur, chacun sur la file filtrée par tous les autres filtres'),
    })
    .strict(),
  'ValidationQueue',
);
