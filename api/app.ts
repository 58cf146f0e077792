import crypto from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { Router, type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { MAX_FILE_BYTES } from '../domain/deposit-rules';
import { MAX_BANK_FILE_BYTES } from '../extraction/bank-statement';
import { adminEndpoints } from './admin.routes';
import { contractEndpoints } from './contracts.routes';
import { decisionEndpoints } from './decisions.routes';
import { documentEndpoints } from './documents.routes';
import type { ApiDeps } from './deps';
import { mandateEndpoints } from './mandates.routes';
import { metricsEndpoints } from './metrics.routes';
import { myCfaEndpoints } from './my-cfa.routes';
import { mountEndpoints, type AnyEndpoint, type MountOptions } from './endpoint';
import { errorHandler, notFoundHandler } from './errors';
import { openApiDocument } from './openapi';
import { proFormaEndpoints } from './pro-formas.routes';
import { uploadRateLimit } from './uploads';
import { paymentRunEndpoints } from './payment-runs.routes';
import { loginRateLimit, sessionEndpoints } from './session.routes';
import { accountEndpoints, adminUserEndpoints, cfaUserEndpoints } from './users.routes';
import { validationQueueEndpoints } from './validation-queue.routes';
import { webPages } from './web';

export interface AppDeps {
  logger: Logger;
  /** Readiness: each check resolves true when its dependency answers. */
  readiness: Record<string, () => Promise<boolean>>;
  api: ApiDeps;
  /** The built web pages (default web/dist); false: the API alone. */
  webRoot?: string | false;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every endpoint of the API, in mounting order (fixed paths such as export.xlsx before `:number`). */
export function apiEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    ...sessionEndpoints(deps),
    ...accountEndpoints(deps),
    ...documentEndpoints(deps),
    ...proFormaEndpoints(deps),
    ...validationQueueEndpoints(deps),
    ...decisionEndpoints(deps),
    ...metricsEndpoints(deps),
    ...adminUserEndpoints(deps),
    ...adminEndpoints(deps),
    ...paymentRunEndpoints(deps),
    ...contractEndpoints(deps),
    ...mandateEndpoints(deps),
    ...myCfaEndpoints(deps),
    ...cfaUserEndpoints(deps),
  ];
}

function createRouter(endpoints: readonly AnyEndpoint[], options: MountOptions): Router {
  const router = Router();
  mountEndpoints(router, endpoints, options);
  return router;
}

export const createProFormasRouter = (deps: ApiDeps, options: MountOptions) =>
  createRouter(proFormaEndpoints(deps), options);
export const createDecisionsRouter = (deps: ApiDeps, options: MountOptions) =>
  createRouter(decisionEndpoints(deps), options);
export const createAdminRouter = (deps: ApiDeps, options: MountOptions) => createRouter(adminEndpoints(deps), options);

/** The Express application without `listen`, so tests drive it with supertest. */
export function createApp(deps: AppDeps): Express {
  const { api } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: deps.logger.child({ component: 'http' }),
      // A caller's request id (a load balancer's) is kept when sane; it is echoed back and names every log line.
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/health' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // The validation desk shows deposited images from blob: URLs and renders PDFs with pdf.js's worker.
          'img-src': ["'self'", 'data:', 'blob:'],
          'worker-src': ["'self'", 'blob:'],
        },
      },
    }),
  );
  app.use(express.json({ limit: api.config.api.jsonLimitBytes }));
  // The web pages' session cookie (api/session.routes.ts); API clients send bearer tokens instead.
  app.use(cookieParser());
  const web = deps.webRoot === false ? undefined : webPages(deps.webRoot);
  if (web) app.use(web.assets);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/ready', async (_req, res) => {
    const names = Object.keys(deps.readiness);
    const results = await Promise.all(
      names.map((name) => (deps.readiness[name] as () => Promise<boolean>)().catch(() => false)),
    );
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'ok' : 'unavailable']));
    const ready = results.every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });

  const document = openApiDocument(apiEndpoints(api));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });

  const options: MountOptions = {
    db: api.db,
    uploadLimits: { invoice: MAX_FILE_BYTES, workbook: api.config.api.importMaxBytes, bankFile: MAX_BANK_FILE_BYTES },
    uploadRateLimit: uploadRateLimit(api.config.api.uploadRateLimit),
    checkResponses: api.checkResponses,
  };
  app.post('/api/session', loginRateLimit(api.config.api.loginRateLimit));
  // Every endpoint the OpenAPI document describes, in the order of apiEndpoints (the queue and the metrics included).
  app.use(createRouter(apiEndpoints(api), options));
  if (web) app.use(web.page);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
