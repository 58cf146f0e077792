import type { Request, RequestHandler, Response, Router } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema';
import { authenticate, authorize, userOf, type Right, type User } from './auth';
import { HttpError } from './errors';
import { receiveFile, type UploadedFile, type UploadKind } from './uploads';

/**
 * An endpoint is declared once, as data: its path, the right it needs, the schemas of its inputs and outputs, and a
 * thin handler (one call, one answer). The same declaration mounts the Express route (authentication, rights,
 * validation, uploads: in one place, in this order) and describes the operation in /api/openapi.json, so the
 * document cannot drift from what is served.
 */

export type Method = 'get' | 'post' | 'put' | 'patch';

export interface ResponseDoc {
  description: string;
  /** JSON body. */
  schema?: z.ZodType;
  /** Another media type (a file); its body is described as binary. */
  contentType?: string;
}

export interface EndpointContext<P, Q, B> {
  req: Request;
  res: Response;
  /** The authenticated user (a public endpoint that reads it answers 401). */
  user: User;
  params: P;
  query: Q;
  body: B;
  /** The uploaded file, for an endpoint with `upload`. */
  file: UploadedFile | undefined;
  /** Sends `body` as JSON; in tests, checks it against `schema` first (the OpenAPI document must be true). */
  reply<S extends z.ZodType>(status: number, schema: S, body: z.input<S>): void;
}

export interface Endpoint<
  P extends z.ZodType = z.ZodNever,
  Q extends z.ZodType = z.ZodNever,
  B extends z.ZodType = z.ZodNever,
> {
  operationId: string;
  method: Method;
  /** Express path (`/api/pro-formas/:number`). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The right it needs; null for the public endpoints that take no token (accepting an invitation). */
  right: Right | null;
  params?: P;
  query?: Q;
  body?: B;
  upload?: UploadKind;
  /** Text fields accepted beside the uploaded file (multipart), validated by `body` (none by default). */
  uploadFields?: readonly string[];
  /** Reads the `Idempotency-Key` header. */
  idempotent?: boolean;
  responses: Record<number, ResponseDoc>;
  /** Error statuses the endpoint may answer, besides 400, 401, 403 and 500 (shared by all). */
  errors?: readonly number[];
  // A method (not a function property), so that endpoints of different input types fit in one list.
  handle(ctx: EndpointContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<void>;
}

/** Declares an endpoint, inferring its input types from its schemas. */
export function endpoint<
  P extends z.ZodType = z.ZodNever,
  Q extends z.ZodType = z.ZodNever,
  B extends z.ZodType = z.ZodNever,
>(spec: Endpoint<P, Q, B>): Endpoint<P, Q, B> {
  return spec;
}

export type AnyEndpoint = Endpoint<z.ZodType, z.ZodType, z.ZodType>;

export interface MountOptions {
  db: Kysely<Database>;
  /** Largest upload per kind, in bytes. */
  uploadLimits: Record<UploadKind, number>;
  uploadRateLimit: RequestHandler;
  /** Check every JSON answer against its schema (tests). */
  checkResponses?: boolean;
}

const fr = z.locales.fr();

function issues(error: z.ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

function parse<S extends z.ZodType>(schema: S, value: unknown, onError: (error: z.ZodError) => HttpError): z.output<S> {
  const result = schema.safeParse(value, { error: fr.localeError });
  if (!result.success) throw onError(result.error);
  return result.data;
}

function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return (length !== undefined && length !== '0') || req.get('transfer-encoding') !== undefined;
}

/** Mounts each endpoint on `router`: authenticate, authorize, path parameters (404), upload, query and body, handle. */
export function mountEndpoints(router: Router, endpoints: readonly AnyEndpoint[], options: MountOptions): void {
  const authenticated = authenticate(options.db);
  for (const spec of endpoints) {
    const chain: RequestHandler[] = spec.right === null ? [] : [authenticated, authorize(spec.right)];
    chain.push((req, res, next) => {
      // A path parameter that cannot name anything (`/api/pro-formas/abc`) is an unknown resource.
      res.locals.params = spec.params
        ? parse(spec.params, req.params, () => new HttpError(404, 'NOT_FOUND', `Ressource introuvable : ${req.path}`))
        : {};
      next();
    });
    if (spec.upload) {
      chain.push(options.uploadRateLimit, receiveFile(options.uploadLimits[spec.upload], spec.uploadFields));
    }
    chain.push(async (req, res) => {
      const query = spec.query
        ? parse(
            spec.query,
            req.query,
            (e) => new HttpError(400, 'INVALID_QUERY', 'Paramètres de requête invalides.', { issues: issues(e) }),
          )
        : undefined;
      let body: unknown;
      if (spec.body) {
        if (req.body === undefined && hasBody(req)) {
          throw new HttpError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            'Le corps de la requête doit être du JSON (Content-Type: application/json).',
          );
        }
        body = parse(
          spec.body,
          req.body ?? {},
          (e) => new HttpError(422, 'VALIDATION_FAILED', 'Données invalides.', { issues: issues(e) }),
        );
      }
      await spec.handle({
        req,
        res,
        get user() {
          return userOf(req);
        },
        params: res.locals.params,
        query,
        body,
        file: req.upload,
        reply: (status, schema, payload) => {
          if (options.checkResponses) {
            const checked = schema.safeParse(payload);
            if (!checked.success) {
              throw new Error(
                `${spec.operationId}: the answer does not match its schema: ${JSON.stringify(issues(checked.error))}`,
              );
            }
          }
          res.status(status).json(payload);
        },
      });
    });
    router[spec.method](spec.path, ...chain);
  }
}
