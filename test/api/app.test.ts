import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { apiEndpoints } from '../../api/app';
import { openApiPath } from '../../api/openapi';
import { generateToken } from '../../infra/tokens';
import { startApiStack, type ApiStack } from '../helpers/api';

jest.setTimeout(60_000);

/** Log lines of the app, as JSON objects. */
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  }),
);

describe('the API application', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await startApiStack({ logger });
  });
  afterAll(() => api.teardown());

  describe('OpenAPI document', () => {
    let document: {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    beforeAll(async () => {
      const res = await api.http().agent.get('/api/openapi.json');
      expect(res.status).toBe(200);
      document = res.body;
    });

    it('is an OpenAPI 3.1 document served without a token', () => {
      expect(document.openapi).toBe('3.1.0');
    });

    it('describes every endpoint the application serves, and nothing else', () => {
      const served = apiEndpoints(api.deps)
        .map((e) => `${e.method.toUpperCase()} ${openApiPath(e.path)}`)
        .concat(['GET /health', 'GET /ready', 'GET /api/openapi.json'])
        .sort();
      const described = Object.entries(document.paths)
        .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
        .sort();
      expect(described).toEqual(served);
    });

    it('contains every path and code of the contract', () => {
      const contract: [string, string, string[]][] = [
        ['get', '/health', ['200']],
        ['get', '/ready', ['200', '503']],
        ['post', '/api/admin/cfas', ['201', '409', '422']],
        ['post', '/api/admin/users', ['201']],
        ['post', '/api/admin/cfas/{cfaId}/mandates', ['201']],
        ['post', '/api/admin/contracts', ['201']],
        ['post', '/api/admin/imports/contracts', ['200', '413', '415']],
        ['get', '/api/admin/imports/contracts/template.xlsx', ['200']],
        ['get', '/api/admin/refusal-reasons', ['200']],
        ['post', '/api/admin/refusal-reasons', ['201']],
        ['get', '/api/installments/eligible', ['200']],
        ['post', '/api/pro-formas', ['201', '409']],
        ['get', '/api/pro-formas', ['200']],
        ['get', '/api/pro-formas/{number}', ['200', '404']],
        ['post', '/api/pro-formas/{number}/invoice', ['202', '409', '413', '415', '422']],
        ['post', '/api/pro-formas/{number}/cancel', ['200', '409']],
        ['get', '/api/pro-formas/{number}/refusal', ['200']],
        ['get', '/api/pro-formas/{number}/documents/{version}', ['200']],
        ['get', '/api/pro-formas/{number}/contracts.xlsx', ['200']],
        ['get', '/api/pro-formas/export.xlsx', ['200']],
        ['get', '/api/pro-formas/export.csv', ['200']],
        ['get', '/api/dashboard', ['200']],
        ['get', '/api/validation/queue', ['200']],
        ['post', '/api/pro-formas/{number}/decision', ['200', '409', '422']],
        ['post', '/api/pro-formas/{number}/payment-confirmation', ['200']],
      ];
      const missing = contract.flatMap(([method, path, codes]) => {
        const operation = document.paths[path]?.[method];
        if (!operation) return [`${method} ${path}`];
        return codes.filter((code) => !(code in operation.responses)).map((code) => `${method} ${path} ${code}`);
      });
      expect(missing).toEqual([]);
    });

    it('names the schemas of the contract’s bodies', () => {
      expect(Object.keys(document.components.schemas)).toEqual(
        expect.arrayContaining(['Error', 'ProFormaDetail', 'ProFormaList', 'Dashboard', 'DecisionRequest']),
      );
      expect(document.paths['/api/pro-formas/{number}']?.get?.responses['200']).toEqual({
        description: 'La pro forma',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ProFormaDetail' } } },
      });
    });
  });

  describe('errors', () => {
    it('answers an unknown route with the contract’s JSON error, never an HTML page', async () => {
      const res = await api.http().agent.get('/api/nothing-here');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        error: { code: 'NOT_FOUND', message: 'Ressource introuvable : GET /api/nothing-here' },
      });
    });

    it('answers a pro forma number that cannot exist with 404', async () => {
      const { agent, auth } = api.http(api.users.validator);
      const res = await agent.get('/api/pro-formas/PRO-1').set(auth);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });

    it('answers malformed JSON with 400 and no stack trace', async () => {
      const { agent, auth } = api.http(api.users.admin);
      const res = await agent
        .post('/api/admin/refusal-reasons')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send('{"code": "X", ');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { code: 'MALFORMED_JSON', message: 'Le corps de la requête n’est pas un JSON valide.' },
      });
    });
  });

  describe('hardening', () => {
    it('sends the security headers of helmet', async () => {
      const res = await api.http().agent.get('/health');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('gives every request an id, echoed in the answer and named in the log line', async () => {
      const { agent, auth } = api.http(api.users.admin);
      const mine = await agent.get('/api/dashboard').set(auth).set('X-Request-Id', 'lb-1234.abcd');
      expect(mine.headers['x-request-id']).toBe('lb-1234.abcd');
      const generated = await agent.get('/api/dashboard').set(auth).set('X-Request-Id', 'no spaces <allowed>');
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((r) => setTimeout(r, 50));
      const line = logLines.find((l) => (l.req as { id?: string } | undefined)?.id === 'lb-1234.abcd');
      expect(line).toMatchObject({ req: { method: 'GET', url: '/api/dashboard' }, res: { statusCode: 200 } });
    });

    // Sends its own requests, answered and failing, so the test does not hang on other tests' log lines.
    it('never logs a bearer token, neither of a request served nor of one refused', async () => {
      const { agent } = api.http();
      const run = crypto.randomBytes(4).toString('hex');
      const unknownToken = generateToken();
      const requests: [id: string, token: string, method: 'get' | 'post', path: string, status: number][] = [
        [`served-${run}`, api.users.admin.token, 'get', '/api/dashboard', 200],
        [`not-found-${run}`, api.users.validator.token, 'get', '/api/pro-formas/PRO-1', 404],
        [`forbidden-${run}`, api.users.cfa.token, 'get', '/api/admin/refusal-reasons', 403],
        [`unknown-token-${run}`, unknownToken, 'get', '/api/dashboard', 401],
        [`malformed-json-${run}`, api.users.admin.token, 'post', '/api/admin/refusal-reasons', 400],
      ];
      for (const [id, token, method, path, status] of requests) {
        const req = agent[method](path).set('Authorization', `Bearer ${token}`).set('X-Request-Id', id);
        const res = method === 'post' ? await req.set('Content-Type', 'application/json').send('{"code": ') : await req;
        expect(res.status).toBe(status);
      }
      await new Promise((r) => setTimeout(r, 50));

      const ids = requests.map(([id]) => id);
      const idOf = (l: Record<string, unknown>) => (l.req as { id?: string } | undefined)?.id ?? l.reqId;
      const mine = logLines.filter((l) => ids.includes(idOf(l) as string));
      expect([...new Set(mine.map(idOf))].sort()).toEqual([...ids].sort());
      const tokens = [unknownToken, ...Object.values(api.users).map((u) => u.token)];
      const text = JSON.stringify(logLines);
      expect(tokens.filter((t) => text.includes(t))).toEqual([]);
    });
  });
});
