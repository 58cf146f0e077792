import { z } from 'zod';
import { CONTRACT_STATUSES, COST_NATURES, SETTLEMENT_MODES } from '../../domain/cost-nature';
import { isValidIban, isValidSiret, normalizeIban, normalizeSiret } from '../../domain/identifiers';
import { AMOUNT_BOUND_RULE, MAX_AMOUNT_CENTS } from '../../domain/money';
import { DASHBOARD_CATEGORIES, PRO_FORMA_KINDS, PRO_FORMA_STAGES, PRO_FORMA_STATUSES } from '../../domain/process';
import { ROLES } from '../../domain/rights';

/**
 * Every input and output of the API, as zod schemas (this module: the registries, shared values, enums, parameters,
 * and the answers every part of the API gives; api/schemas/*.ts the rest, by concern). They validate requests (objects are strict: an unknown field
 * is an error, not silently dropped) and they are the OpenAPI document (api/openapi.ts renders them with
 * z.toJSONSchema). Requests and responses are registered apart: a request is described as the client writes it, a
 * response as the server sends it.
 */

export const requestSchemas = z.registry<{ id: string; description?: string }>();
export const responseSchemas = z.registry<{ id: string; description?: string }>();

export function request<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  requestSchemas.add(schema, { id, description });
  return schema;
}

export function response<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  responseSchemas.add(schema, { id, description });
  return schema;
}

// ---- Values ---------------------------------------------------------------------------------------------------

export const proFormaNumber = z
  .string()
  .regex(/^PRO-\d{8}$/, 'Numéro de pro forma attendu : PRO- suivi de 8 chiffres')
  .describe('Numéro de pro forma : `PRO-` et 8 chiffres');
export const uuid = z.uuid();
export const isoDate = z.iso.date().describe('Date calendaire AAAA-MM-JJ');
export const isoDateTime = z.iso.datetime({ offset: true }).describe('Instant ISO 8601');
export const cents = z.number().int().safe().describe('Montant en centimes d’euro (entier)');
const amountOutOfBounds = `Montant hors limites : une échéance est comprise ${AMOUNT_BOUND_RULE}.`;
export const installmentCents = z
  .number()
  .int()
  .min(-MAX_AMOUNT_CENTS, amountOutOfBounds)
  .max(MAX_AMOUNT_CENTS, amountOutOfBounds)
  .describe(`Montant en centimes d’euro (entier), ${AMOUNT_BOUND_RULE}`);
export const siret = z
  .string()
  .trim()
  .refine(isValidSiret, 'SIRET invalide : 14 chiffres dont la clé de Luhn est correcte')
  .transform(normalizeSiret);
export const iban = z
  .string()
  .trim()
  .refine(isValidIban, 'IBAN invalide (clé ISO 13616 mod 97)')
  .transform(normalizeIban);
export const bic = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/, 'BIC invalide (8 ou 11 caractères)')
  .describe('BIC de la banque : obligatoire pour payer un IBAN hors de l’Espace économique européen');
export const text = (max: number) => z.string().trim().min(1).max(max);

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
/** The CFA a user acting for several says it acts for (optional for a user of one CFA). */
export const actingCfaId = uuid
  .optional()
  .describe('Le CFA pour lequel agir : obligatoire pour un utilisateur de plusieurs CFA, sinon le sien');

export const cfaParams = z.object({ cfaId: uuid.describe('Identifiant du CFA') });
export const userParams = z.object({ userId: uuid.describe('Identifiant de l’utilisateur') });

// ---- Query strings and shared shapes ----------------------------------------------------------------------------

export const pagination = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).describe('Page, à partir de 1'),
  pageSize: z.coerce.number().int().min(1).max(200).default(50).describe('Éléments par page (200 au plus)'),
};

export const pageQuery = z.object(pagination).strict();

export const emptyBody = request(z.object({}).strict(), 'EmptyRequest', 'Aucun champ');

export const errorBody = response(
  z
    .object({
      error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).strict(),
    })
    .strict(),
  'Error',
  'Erreur : un code stable et un message en français',
);

export const listOf = <T extends z.ZodType>(item: T) =>
  z
    .object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() })
    .strict();

export const cfaRef = z.object({ id: uuid, siret: z.string(), name: z.string() }).strict();
export const nullableDateTime = isoDateTime.nullable();

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
