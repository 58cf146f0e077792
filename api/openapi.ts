import { z } from 'zod';
import { rolesWith } from './auth';
import type { AnyEndpoint, ResponseDoc } from './endpoint';
import { healthResponse, readyResponse, requestSchemas, responseSchemas } from './schemas/common';

/**
 * The OpenAPI 3.1 document of the API, served at GET /api/openapi.json. It is built from the same endpoint
 * declarations that mount the routes and from the same zod schemas that validate the requests (JSON Schema 2020-12,
 * which OpenAPI 3.1 uses as is), so it describes exactly what is served.
 */

type JsonSchema = Record<string, unknown>;

const COMPONENT = (id: string) => `#/components/schemas/${id}`;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Requête mal formée (JSON invalide, paramètres de requête invalides, multipart invalide)',
  401: 'Jeton absent, inconnu ou révoqué',
  403: 'Le rôle ne permet pas cette action',
  404: 'Inconnu, ou appartenant à un autre CFA',
  409:
    'Action impossible au statut actuel (le message nomme le statut), traitement bloqué (WORKFLOW_NOT_READY) ' +
    'ou doublon',
  413: 'Corps ou fichier trop volumineux',
  415: 'Type de contenu ou de fichier non accepté',
  422: 'Bien formée mais invalide',
  429: 'Trop de dépôts pour ce jeton : réessayer plus tard',
  500: 'Erreur interne (message neutre)',
  503: 'Temporal ne répond pas avant l’échéance ou est surchargé (TEMPORAL_UNAVAILABLE) : réessayer après Retry-After',
};

function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function components(): Record<string, JsonSchema> {
  const requests = z.toJSONSchema(requestSchemas, { io: 'input', uri: COMPONENT, unrepresentable: 'any' });
  const responses = z.toJSONSchema(responseSchemas, {
    io: 'output',
    uri: COMPONENT,
    unrepresentable: 'any',
    // Answers may gain fields (the contract grows by addition): clients must not reject unknown ones.
    override: (ctx) => {
      if (ctx.jsonSchema.additionalProperties === false) delete ctx.jsonSchema.additionalProperties;
    },
  });
  const all = { ...requests.schemas, ...responses.schemas };
  return Object.fromEntries(Object.entries(all).map(([id, schema]) => [id, clean(schema as JsonSchema)]));
}

/** The part of an object's JSON Schema a multipart form's fields take. */
interface MultipartFields {
  properties?: Record<string, unknown>;
  required?: string[];
}

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const id = (io === 'input' ? requestSchemas : responseSchemas).get(schema)?.id;
  if (id) return { $ref: COMPONENT(id) };
  return clean(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema);
}

function parameters(location: 'path' | 'query', schema: z.ZodType | undefined): JsonSchema[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const rendered = schemaOf(field, 'input');
    const { description, ...fieldSchema } = rendered;
    return {
      name,
      in: location,
      required: location === 'path' || !field.safeParse(undefined).success,
      ...(description !== undefined && { description }),
      schema: fieldSchema,
    };
  });
}

function content(doc: ResponseDoc): JsonSchema | undefined {
  if (doc.schema) return { 'application/json': { schema: schemaOf(doc.schema, 'output') } };
  if (doc.contentType) return { [doc.contentType]: { schema: { type: 'string', contentMediaType: doc.contentType } } };
  return undefined;
}

function operation(spec: AnyEndpoint): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, doc] of Object.entries(spec.responses)) {
    const body = content(doc);
    responses[status] = { description: doc.description, ...(body && { content: body }) };
  }
  // A reused Idempotency-Key is a 422 on every endpoint that reads one.
  const idempotency = spec.idempotent ? [422] : [];
  const errors = [...new Set([400, 401, 403, ...(spec.errors ?? []), ...idempotency, 500])].sort((a, b) => a - b);
  for (const status of errors) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Erreur',
      content: { 'application/json': { schema: { $ref: COMPONENT('Error') } } },
    };
  }
  const headers = spec.idempotent
    ? [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'La même clé (pour le même utilisateur et la même action) est appliquée une seule fois ; réutilisée pour ' +
            'une autre requête (autre contenu ou autre pro forma) : 422 IDEMPOTENCY_KEY_REUSED',
          schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,200}$' },
        },
      ]
    : [];
  // An upload's text fields beside the file are its body schema's (validated by it once multer has read them).
  const fields =
    spec.upload && spec.body
      ? (clean(z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }) as JsonSchema) as MultipartFields)
      : undefined;
  const requestBody = spec.upload
    ? {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['file', ...(fields?.required ?? [])],
              additionalProperties: false,
              properties: {
                file: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream' },
                ...fields?.properties,
              },
            },
          },
        },
      }
    : spec.body
      ? { required: true, content: { 'application/json': { schema: schemaOf(spec.body, 'input') } } }
      : undefined;
  return {
    operationId: spec.operationId,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description && { description: spec.description }),
    ...(spec.right === null
      ? { security: [] }
      : { security: [{ bearer: [] }], 'x-right': spec.right, 'x-roles': rolesWith(spec.right) }),
    parameters: [...parameters('path', spec.params), ...parameters('query', spec.query), ...headers],
    ...(requestBody && { requestBody }),
    responses,
  };
}

/** `/api/pro-formas/:number` → `/api/pro-formas/{number}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function publicOperation(operationId: string, summary: string, responses: Record<string, JsonSchema>): JsonSchema {
  return { operationId, tags: ['Service'], summary, security: [], responses };
}

export function openApiDocument(endpoints: readonly AnyEndpoint[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {
    '/health': {
      get: publicOperation('getHealth', 'Le processus répond', {
        200: {
          description: 'En marche',
          content: { 'application/json': { schema: schemaOf(healthResponse, 'output') } },
        },
      }),
    },
    '/ready': {
      get: publicOperation('getReadiness', 'PostgreSQL et Temporal répondent', {
        200: { description: 'Prêt', content: { 'application/json': { schema: schemaOf(readyResponse, 'output') } } },
        503: {
          description: 'Une dépendance ne répond pas',
          content: { 'application/json': { schema: schemaOf(readyResponse, 'output') } },
        },
      }),
    },
    '/api/openapi.json': {
      get: publicOperation('getOpenApi', 'Ce document', {
        200: {
          description: 'Le document OpenAPI 3.1',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      }),
    },
  };
  for (const spec of endpoints) {
    const path = openApiPath(spec.path);
    paths[path] = { ...paths[path], [spec.method]: operation(spec) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Factures pro forma des CFA',
      version: '1.0.0',
      description:
        'API du service de traitement des factures pro forma, du dépôt au paiement. Montants en centimes d’euro ' +
        '(entiers), dates ISO 8601. Erreurs : {"error": {"code", "message", "details"}}. Listes : ?page=&pageSize= → ' +
        '{items, total, page, pageSize}. Chaque objet ayant un status a aussi son statusLabel (libellé français).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    // Every tag an endpoint names, in the order they first appear (the service's own first).
    tags: [...new Set(['Service', ...endpoints.map((spec) => spec.tag)])].map((name) => ({ name })),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Jeton montré une fois à sa création' },
      },
      schemas: components(),
    },
    paths,
  };
}
