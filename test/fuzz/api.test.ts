import fc from 'fast-check';
import { sql } from 'kysely';
import type request from 'supertest';
import { z } from 'zod';
import { apiEndpoints } from '../../api/app';
import { rolesWith } from '../../api/auth';
import type { AnyEndpoint } from '../../api/endpoint';
import { errorBody } from '../../api/schemas/common';
import { seedInstallments, startApiStack, type ApiStack } from '../helpers/api';

jest.setTimeout(120_000);

/**
 * Every input of the API, fuzzed through HTTP: for each endpoint that takes path parameters, a query or a body (the
 * list is the app's own, api/app.ts apiEndpoints), random and hostile values (wrong types, huge strings, nesting,
 * prototype-pollution keys, unicode, numbers out of range, arrays for objects) never get a 500, always get the
 * contract's JSON error when refused, and a refused request changes nothing in the database.
 */

const RUNS = 15;
const TABLES = [
  'cfas',
  'users',
  'mandates',
  'contracts',
  'installments',
  'pro_formas',
  'pro_forma_lines',
  'documents',
  'decisions',
  'refusal_reasons',
  'audit_events',
] as const;

// ---- Hostile JSON, kept as text so that keys such as __proto__ reach the server as written -------------------------

type Json = null | boolean | number | string | { raw: string } | Json[] | { entries: [string, Json][] };

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'é'];

/** Hostile strings short enough for a URL (Node refuses a request line past 16 KB before the app sees it). */
const shortHostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => wellFormed(s)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'PRO-00000001',
      'PEDAGOGIE',
      'APPROVE',
      'REFUSE',
      'admin',
      'cfa',
      '2026-02-30',
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      '73282932000074',
      'FR7630006000011234567890189',
      'x@y.z',
      '00000000-0000-0000-0000-000000000000',
      '<script>alert(1)</script>',
      "'; drop table pro_formas; --",
      '\u0000',
      '\u202e',
      '😀',
      '{{numeroProForma}}',
    ),
  },
);

/** The same, and strings past every length limit of the schemas. */
const hostileString = fc.oneof(
  { weight: 9, arbitrary: shortHostileString },
  { weight: 1, arbitrary: fc.integer({ min: 201, max: 20_000 }).map((n) => 'é'.repeat(n)) },
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1.5, -1, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, 99_999_999_999, 100_000_000_000, 5000, 5001),
);

/** A number JSON cannot hold in a double, printed as is (1e400, a 400-digit integer). */
const rawNumber = fc.constantFrom('1e400', '-1e400', '9'.repeat(400), '1.0000000000000000000000001', '0e0', '-0');

function jsonTree(keys: readonly string[]): fc.Arbitrary<Json> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...keys) },
    { weight: 2, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      hostileNumber,
      rawNumber.map((raw) => ({ raw })),
      hostileString,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('tree')), { maxLength: 5 }).map((entries) => ({ entries })),
    ),
  }));
  return tree;
}

function serialize(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    if ('raw' in value) return value.raw;
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fields an endpoint's body or query schema names (strict objects, refined or not). */
function fieldsOf(schema: z.ZodType | undefined): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}

/** A whole body: mostly an object of the schema's fields with wrong values, else any JSON (arrays, scalars). */
function hostileBody(spec: AnyEndpoint): fc.Arbitrary<string> {
  const keys = [...fieldsOf(spec.body), 'surprise'];
  const tree = jsonTree(keys);
  const field = fc.tuple(fc.constantFrom(...keys, ...DANGEROUS_KEYS), tree);
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(field, { minLength: 1, maxLength: 6 }).map((entries) => serialize({ entries })) },
    { weight: 2, arbitrary: tree.map(serialize) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"__proto__": {"admin": true, "role": "admin"}}',
        '{"constructor": {"prototype": {"polluted": true}}}',
        '{"__proto__": null}',
        '[{"__proto__": {"x": 1}}]',
        '{"a": 1, "a": 2}',
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"x": ${'{"x": '.repeat(2000)}1${'}'.repeat(2000)}}`,
        '"just a string"',
        '12',
        'null',
        'true',
        '{"nature": "PEDAGOGIE" ',
        '\ufeff{}x',
        '{"comment": "\\ud800"}',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 110_000, max: 200_000 }).map((n) => `{"name": "${'x'.repeat(n)}"}`) },
  );
}

// ---- Hostile query strings and path segments ---------------------------------------------------------------------

function hostileQuery(spec: AnyEndpoint): fc.Arbitrary<string> {
  const keys = [...fieldsOf(spec.query), 'page', 'pageSize', 'sort', ...DANGEROUS_KEYS];
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...keys) },
    { weight: 1, arbitrary: fc.constantFrom(...keys).map((k) => `${k}[]`) },
    { weight: 1, arbitrary: fc.constantFrom(...keys).map((k) => `${k}[a][b]`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).filter((s) => wellFormed(s)) },
  );
  const value = fc.oneof(
    { weight: 3, arbitrary: shortHostileString.filter((s) => wellFormed(s)) },
    { weight: 2, arbitrary: hostileNumber.map(String) },
    { weight: 1, arbitrary: fc.constantFrom('PAID', 'PEDAGOGIE', 'INVOICE', 'EMISES', 'ENGAGE', 'READING', '') },
  );
  const pair = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(key, value).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`) },
    // Raw pieces no encoder writes: broken escapes, bare keys, separators.
    {
      weight: 1,
      arbitrary: fc.constantFrom('%', '%zz', 'page=%E0%A4%A', 'a=%00', '=', '&&', 'nature', 'page=1&page=2'),
    },
  );
  return fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.join('&'));
}

/** A path segment that names nothing: wrong shapes, encodings, traversal, unicode, long. */
const hostileSegment = fc.oneof(
  { weight: 4, arbitrary: shortHostileString.filter((s) => wellFormed(s) && s !== '').map(encodeURIComponent) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'PRO-1',
      'pro-00000001',
      'PRO-000000001',
      '0',
      '-1',
      '1e3',
      '1.5',
      '99999999999999999999',
      'null',
      'undefined',
      '__proto__',
      'constructor',
      '..',
      '..%2F..%2Fetc%2Fpasswd',
      '%2e%2e',
      '%00',
      '%',
      '%zz',
      '%E0%A4%A',
      'x'.repeat(3000),
      '00000000-0000-0000-0000-000000000000',
      '00000000-0000-0000-0000-00000000000g',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 99_999_999 }).map((n) => `PRO-${String(n).padStart(8, '0')}`),
  },
  { weight: 1, arbitrary: fc.uuid() },
);

describe('API inputs under fuzzing', () => {
  let api: ApiStack;
  let endpoints: AnyEndpoint[];
  let number: string;
  let throwaway: string;
  /** The real values of the path parameters: what a fuzzed segment must not be. */
  let real: Record<string, string>;

  beforeAll(async () => {
    api = await startApiStack({ env: { UPLOAD_RATE_LIMIT: '100000' } });
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [150_000]);
    const { agent, auth } = api.http(api.users.cfa);
    const res = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    number = res.body.proFormas[0].number;
    throwaway = (await api.createUser('validator')).id;
    real = { number, cfaId: api.cfa.id, userId: throwaway, version: '1' };
    endpoints = apiEndpoints(api.deps);
    // The new pro forma's workflow stamps its row once started: wait for it, so that the database is still.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const pending = await api.stack.database.db
        .selectFrom('pro_formas')
        .select('number')
        .where('workflow_started_at', 'is', null)
        .execute();
      if (pending.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  afterAll(() => api?.teardown());

  /** Every row of every table, hashed: what "nothing changed" means. */
  async function snapshot(): Promise<Record<string, string>> {
    const db = api.stack.database.db;
    const columns = TABLES.map(
      (table) =>
        sql`(select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from ${sql.table(table)} t) as ${sql.ref(table)}`,
    );
    const { rows } = await sql<Record<string, string>>`select ${sql.join(columns)}`.execute(db);
    return rows[0] ?? {};
  }

  function userFor(spec: AnyEndpoint) {
    const [role] = spec.right === null ? ['cfa' as const] : rolesWith(spec.right);
    if (!role) throw new Error(`no role holds ${spec.right}`);
    return api.users[role];
  }

  function pathOf(spec: AnyEndpoint, overrides: Record<string, string> = {}): string {
    return spec.path.replace(/:(\w+)/g, (_, name: string) => overrides[name] ?? real[name] ?? name);
  }

  function send(spec: AnyEndpoint, path: string): request.Test {
    const { agent, auth } = api.http(userFor(spec));
    return agent[spec.method](path).set(auth);
  }

  /** A refusal: a 4xx (never a 5xx), a JSON body of the contract's shape. */
  function expectContractRefusal(res: request.Response, what: string): void {
    const seen = { what, status: res.status, body: res.body as unknown };
    expect({ ...seen, status: res.status >= 400 && res.status < 500 }).toEqual({ ...seen, status: true });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect({ what, issues: errorBody.safeParse(res.body).error?.issues ?? [] }).toEqual({ what, issues: [] });
  }

  const withBody = () => endpoints.filter((e) => e.body !== undefined || e.upload !== undefined);
  const withQuery = () => endpoints.filter((e) => e.query !== undefined);
  const withParams = () => endpoints.filter((e) => e.params !== undefined);

  it('lists the endpoints that take input from the app itself', () => {
    // Not vacuous: the properties below run on each of these.
    expect(withBody().length).toBeGreaterThanOrEqual(13);
    expect(withQuery().length).toBeGreaterThanOrEqual(7);
    expect(withParams().length).toBeGreaterThanOrEqual(11);
  });

  it('refuses any hostile JSON body with a 4xx of the contract’s shape, changing nothing', async () => {
    let sent = 0;
    for (const spec of withBody()) {
      await fc.assert(
        fc.asyncProperty(hostileBody(spec), async (raw) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw);
          } catch {
            parsed = undefined;
          }
          // A body the schema accepts is a real request, not a refusal: out of this property.
          fc.pre(spec.body === undefined || parsed === undefined || !spec.body.safeParse(parsed).success);
          const before = await snapshot();
          const res = await send(spec, pathOf(spec)).set('Content-Type', 'application/json').send(raw);
          sent += 1;
          expectContractRefusal(res, `${spec.method.toUpperCase()} ${spec.path} ${raw.slice(0, 200)}`);
          expect(await snapshot()).toEqual(before);
        }),
        { numRuns: RUNS },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(withBody().length * RUNS * 0.8);
  });

  it('answers any hostile query without a 5xx, with the contract’s error when refused', async () => {
    let refused = 0;
    for (const spec of withQuery()) {
      await fc.assert(
        fc.asyncProperty(hostileQuery(spec), async (query) => {
          const path = `${pathOf(spec)}?${query}`;
          const res = await send(spec, path).buffer(true);
          const seen = { path, status: res.status };
          expect({ ...seen, status: res.status < 500 }).toEqual({ ...seen, status: true });
          if (res.status >= 400) {
            refused += 1;
            expectContractRefusal(res, `GET ${path}`);
            expect([400, 404]).toContain(res.status);
          }
        }),
        { numRuns: RUNS },
      );
    }
    // Most hostile queries are refused: the property checked the error shape, not only the absence of 500s.
    expect(refused).toBeGreaterThan(withQuery().length * RUNS * 0.3);
  });

  it('answers 404 (or 400) with the contract’s error for any path parameter that names nothing, changing nothing', async () => {
    for (const spec of withParams()) {
      const names = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...names), hostileSegment, async (name, segment) => {
          fc.pre(decodeURIComponentSafe(segment) !== real[name]);
          // A version that exists is not a bad version: numbers name nothing only past the pro forma's one document.
          fc.pre(!(name === 'version' && /^0*1$/.test(decodeURIComponentSafe(segment))));
          const before = spec.method === 'get' ? null : await snapshot();
          const path = pathOf(spec, { [name]: segment });
          const req = send(spec, path);
          const res = spec.method === 'get' ? await req : await req.send({});
          expectContractRefusal(res, `${spec.method.toUpperCase()} ${path.slice(0, 200)}`);
          // A malformed parameter is a 404 (400 when not even decodable); past a well-formed one that names nothing,
          // the body's check (422, or 415 for an upload sent JSON) may come before the lookup.
          expect([400, 404, 415, 422]).toContain(res.status);
          if (res.status === 415 || res.status === 422) {
            const decoded = { ...real, [name]: decodeURIComponentSafe(segment) };
            expect(spec.params?.safeParse(decoded).success).toBe(true);
          }
          if (before) expect(await snapshot()).toEqual(before);
        }),
        { numRuns: RUNS },
      );
    }
  });
});

/** No lone surrogate (String.prototype.isWellFormed is past this project's ES target). */
function wellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function decodeURIComponentSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
