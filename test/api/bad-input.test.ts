import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import request from 'supertest';
import { TEST_IBAN } from '../helpers/fixtures';
import { binary, seedInstallments, startApiStack, storedFiles, type ApiStack, type TestUser } from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';

jest.setTimeout(90_000);

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

/**
 * Bad input on every endpoint that takes some: the contract's code, a JSON error body, nothing stored and nothing
 * changed.
 */
describe('bad input', () => {
  let api: ApiStack;
  let number: string;
  let throwaway: string;
  beforeAll(async () => {
    api = await startApiStack({ env: { UPLOAD_RATE_LIMIT: '1000' } });
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [150_000]);
    const { agent, auth } = api.http(api.users.cfa);
    const res = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    number = res.body.proFormas[0].number;
    throwaway = (await api.createUser('validator')).id;
  });
  afterAll(() => api.teardown());

  /** Row counts of every table and every pro forma's status: what "nothing changed" means. */
  async function snapshot() {
    const db = api.stack.database.db;
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
      counts[table] = rows[0]?.n ?? -1;
    }
    const statuses = await db
      .selectFrom('pro_formas')
      .select(['number', 'status', 'stage'])
      .orderBy('number')
      .execute();
    const revoked = await db.selectFrom('users').select('id').where('revoked_at', 'is not', null).execute();
    return { counts, statuses, revoked, files: storedFiles(api) };
  }

  interface JsonEndpoint {
    name: string;
    as: () => TestUser;
    method: 'post' | 'patch';
    path: () => string;
    /** Well-formed JSON whose values have the wrong types or shapes. */
    wrongTypes: Record<string, unknown>;
  }

  const jsonEndpoints: JsonEndpoint[] = [
    {
      name: 'POST /api/pro-formas',
      as: () => api.users.cfa,
      method: 'post',
      path: () => '/api/pro-formas',
      wrongTypes: { nature: 5, installmentIds: 'all' },
    },
    {
      name: 'POST /api/pro-formas/:number/decision',
      as: () => api.users.validator,
      method: 'post',
      path: () => `/api/pro-formas/${number}/decision`,
      wrongTypes: { decision: true, comment: 12 },
    },
    {
      name: 'POST /api/pro-formas/:number/payment-confirmation',
      as: () => api.users.admin,
      method: 'post',
      path: () => `/api/pro-formas/${number}/payment-confirmation`,
      wrongTypes: { paidAt: 'yesterday', reference: 5 },
    },
    {
      name: 'POST /api/pro-formas/:number/cancel',
      as: () => api.users.cfa,
      method: 'post',
      path: () => `/api/pro-formas/${number}/cancel`,
      wrongTypes: { reason: 1 },
    },
    {
      name: 'POST /api/admin/cfas',
      as: () => api.users.admin,
      method: 'post',
      path: () => '/api/admin/cfas',
      wrongTypes: { siret: 73282932000074, name: [], email: 'nope', iban: 'FR00', trusted: 'yes' },
    },
    {
      name: 'PATCH /api/admin/cfas/:cfaId',
      as: () => api.users.admin,
      method: 'patch',
      path: () => `/api/admin/cfas/${api.cfa.id}`,
      wrongTypes: { trusted: 'yes', creditNoteSettlement: 'CASH' },
    },
    {
      name: 'POST /api/admin/cfas/:cfaId/mandates',
      as: () => api.users.admin,
      method: 'post',
      path: () => `/api/admin/cfas/${api.cfa.id}/mandates`,
      wrongTypes: { validFrom: '31/12/2026' },
    },
    {
      name: 'POST /api/admin/users',
      as: () => api.users.admin,
      method: 'post',
      path: () => '/api/admin/users',
      wrongTypes: { role: 'root', name: 1, email: 'x' },
    },
    {
      name: 'POST /api/admin/users/:userId/revoke',
      as: () => api.users.admin,
      method: 'post',
      path: () => `/api/admin/users/${throwaway}/revoke`,
      wrongTypes: { at: 1 },
    },
    {
      name: 'POST /api/admin/users/:userId/token',
      as: () => api.users.admin,
      method: 'post',
      path: () => `/api/admin/users/${throwaway}/token`,
      wrongTypes: { token: 'mine' },
    },
    {
      name: 'POST /api/admin/contracts',
      as: () => api.users.admin,
      method: 'post',
      path: () => '/api/admin/contracts',
      wrongTypes: { cfaId: 'abc', number: 7, installments: [{ nature: 'PEDAGOGIE', amountCents: 1.5 }] },
    },
    {
      name: 'POST /api/admin/refusal-reasons',
      as: () => api.users.admin,
      method: 'post',
      path: () => '/api/admin/refusal-reasons',
      wrongTypes: { code: 'lower case', label: 3 },
    },
  ];

  it.each(jsonEndpoints.map((e) => [e.name, e] as const))(
    '%s refuses malformed JSON, wrong types, unknown fields, oversized and non-JSON bodies, changing nothing',
    async (_name, endpoint) => {
      const before = await snapshot();
      const { agent, auth } = api.http(endpoint.as());
      const send = () => agent[endpoint.method](endpoint.path()).set(auth);

      const malformed = await send().set('Content-Type', 'application/json').send('{"nature": ');
      expect([malformed.status, malformed.body]).toEqual([
        400,
        { error: { code: 'MALFORMED_JSON', message: 'Le corps de la requête n’est pas un JSON valide.' } },
      ]);

      const wrong = await send().send(endpoint.wrongTypes);
      expect(wrong.status).toBe(422);
      expect(wrong.body.error.code).toBe('VALIDATION_FAILED');
      expect(wrong.body.error.message).toBe('Données invalides.');
      expect(wrong.body.error.details.issues.length).toBeGreaterThan(0);

      const unknown = await send().send({ ...endpoint.wrongTypes, surprise: true });
      expect(unknown.status).toBe(422);
      expect(unknown.body.error.details.issues).toContainEqual({
        path: '',
        message: expect.stringMatching(/^Clés? non reconnues? : .*"surprise"/),
      });

      const huge = await send().send({ comment: 'x'.repeat(200_000) });
      expect([huge.status, huge.body]).toEqual([
        413,
        { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Le corps de la requête est trop volumineux.' } },
      ]);

      const text = await send().set('Content-Type', 'text/plain').send('nature=PEDAGOGIE');
      expect([text.status, text.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);

      const array = await send().send([endpoint.wrongTypes]);
      expect(array.status).toBe(422);

      expect(await snapshot()).toEqual(before);
    },
  );

  it.each([
    ['GET /api/pro-formas?status=FOO', 'admin'],
    ['GET /api/pro-formas?page=0', 'admin'],
    ['GET /api/pro-formas?pageSize=500', 'admin'],
    ['GET /api/pro-formas?page=abc', 'admin'],
    ['GET /api/pro-formas?status=PAID&status=REFUSED', 'admin'],
    ['GET /api/pro-formas?number=12', 'admin'],
    ['GET /api/pro-formas?sort=asc', 'admin'],
    ['GET /api/pro-formas?cfaId=not-a-uuid', 'admin'],
    ['GET /api/pro-formas/export.xlsx?category=ALL', 'admin'],
    ['GET /api/pro-formas/export.csv?page=2', 'admin'],
    ['GET /api/installments/eligible', 'cfa'],
    ['GET /api/installments/eligible?nature=PEDAGOGIE&startFrom=2026-13-01', 'cfa'],
    ['GET /api/installments/eligible?nature=PEDAGOGIE&employerSiret=123', 'cfa'],
    ['GET /api/validation/queue?pageSize=-1', 'validator'],
    ['GET /api/admin/cfas?page=x', 'admin'],
    ['GET /api/admin/users?extra=1', 'admin'],
    ['GET /api/admin/refusal-reasons?page=1.5', 'admin'],
  ] as const)('%s is a bad query: 400 INVALID_QUERY with the reasons', async (line, role) => {
    const path = line.slice(4);
    const { agent, auth } = api.http(api.users[role]);
    const res = await agent.get(path).set(auth);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_QUERY');
    expect(res.body.error.details.issues.length).toBeGreaterThan(0);
  });

  it.each([
    '/api/pro-formas/PRO-123',
    '/api/pro-formas/pro-00000001',
    `/api/pro-formas/PRO-00000001/documents/abc`,
    `/api/pro-formas/PRO-00000001/documents/0`,
    '/api/pro-formas/PRO-00000001/refusal',
  ])('GET %s names nothing that can exist: 404', async (path) => {
    const { agent, auth } = api.http(api.users.admin);
    const res = await agent.get(path).set(auth);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('answers 404 for an identifier that is not one, in a path', async () => {
    const { agent, auth } = api.http(api.users.admin);
    expect((await agent.patch('/api/admin/cfas/123').set(auth).send({ trusted: true })).status).toBe(404);
    expect((await agent.post('/api/admin/users/xyz/revoke').set(auth)).status).toBe(404);
    expect((await agent.post(`/api/admin/users/${crypto.randomUUID()}/revoke`).set(auth)).status).toBe(404);
  });

  describe('invoice files', () => {
    const upload = (content: Buffer, fileName: string) => {
      const { agent, auth } = api.http(api.users.cfa);
      return agent.post(`/api/pro-formas/${number}/invoice`).set(auth).attach('file', content, fileName);
    };
    const goodPdf = () =>
      invoicePdf({
        proFormaNumber: number,
        invoiceNumber: 'FA-1',
        totalCents: 150_000,
        siret: api.cfa.siret,
        iban: TEST_IBAN,
      });

    it.each([
      [
        'a renamed executable',
        () =>
          Buffer.concat([
            Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'),
            Buffer.alloc(200),
          ]),
        'facture.pdf',
        415,
        {
          code: 'FILE_TYPE_NOT_ACCEPTED',
          message: 'Type de fichier non accepté : seuls les fichiers PDF, JPG, JPEG, GIF et PNG sont acceptés.',
          details: { detected: 'application/x-msdownload' },
        },
      ],
      [
        'a 6 MB file',
        () => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(6 * 1024 * 1024, 0x20)]),
        'facture.pdf',
        413,
        {
          code: 'FILE_TOO_LARGE',
          message: 'Le fichier dépasse la taille maximale autorisée de 5 Mo.',
          details: { maxBytes: 5_242_880 },
        },
      ],
      [
        'a 51-character name',
        goodPdf,
        `${'é'.repeat(47)}.pdf`,
        422,
        {
          code: 'FILE_NAME_TOO_LONG',
          message:
            'Le nom du fichier dépasse 50 caractères (extension comprise). Renommez-le puis déposez-le à nouveau.',
          details: { length: 51, maxLength: 50 },
        },
      ],
      [
        'an empty file',
        () => Buffer.alloc(0),
        'facture.pdf',
        422,
        { code: 'FILE_EMPTY', message: 'Le fichier est vide.' },
      ],
      [
        'a corrupt (truncated) PDF',
        () => goodPdf().subarray(0, 300),
        'facture.pdf',
        422,
        {
          code: 'FILE_UNREADABLE',
          message: 'Le fichier est illisible ou endommagé.',
          details: { mimeType: 'application/pdf' },
        },
      ],
      [
        'random bytes named as a PDF',
        () => crypto.randomBytes(4096),
        'facture.pdf',
        415,
        expect.objectContaining({ code: 'FILE_TYPE_NOT_ACCEPTED' }),
      ],
    ])(
      'refuses %s with the contract’s code, storing and changing nothing',
      async (_what, content, name, status, error) => {
        const before = await snapshot();
        const res = await upload(content(), name);
        expect(res.status).toBe(status);
        expect(res.body).toEqual({ error });
        expect(await snapshot()).toEqual(before);
        expect(before.files).toEqual([]);
      },
    );

    it('refuses a request without the file, with another field, two files, or JSON instead of multipart', async () => {
      const before = await snapshot();
      const { agent, auth } = api.http(api.users.cfa);
      const path = `/api/pro-formas/${number}/invoice`;
      const none = await agent.post(path).set(auth).field('comment', 'sans fichier');
      expect([none.status, none.body.error.code]).toEqual([400, 'INVALID_MULTIPART']);
      const wrongField = await agent.post(path).set(auth).attach('document', goodPdf(), 'f.pdf');
      expect(wrongField.body).toEqual({
        error: {
          code: 'INVALID_MULTIPART',
          message: 'Le fichier est attendu dans le champ « file ».',
          details: { reason: 'LIMIT_UNEXPECTED_FILE' },
        },
      });
      const two = await agent
        .post(path)
        .set(auth)
        .attach('file', goodPdf(), 'a.pdf')
        .attach('file', goodPdf(), 'b.pdf');
      expect([two.status, two.body.error.code]).toEqual([400, 'INVALID_MULTIPART']);
      const json = await agent.post(path).set(auth).send({ file: 'JVBERi0=' });
      expect([json.status, json.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const truncated = await agent
        .post(path)
        .set(auth)
        .set('Content-Type', 'multipart/form-data; boundary=xyz')
        .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7');
      expect([truncated.status, truncated.body.error.code]).toEqual([400, 'INVALID_MULTIPART']);
      expect(await snapshot()).toEqual(before);
    });

    it('keeps an accented name of 50 characters intact, counting characters and not bytes', async () => {
      const name = `Facture_réception_${'é'.repeat(28)}.pdf`;
      expect([...name]).toHaveLength(50);
      expect(Buffer.byteLength(name)).toBeGreaterThan(50);
      // Typed on a Mac, the name arrives decomposed (e + combining accent): it is stored composed.
      const res = await upload(goodPdf(), name.normalize('NFD'));
      expect(res.status).toBe(202);
      expect(res.body.documents).toEqual([expect.objectContaining({ version: 1, fileName: name })]);
      expect(storedFiles(api)).toHaveLength(1);
    });
  });

  describe('contract imports', () => {
    const importFile = (content: Buffer, name = 'contrats.xlsx', app = api.app) =>
      request(app)
        .post('/api/admin/imports/contracts')
        .set('Authorization', `Bearer ${api.users.admin.token}`)
        .attach('file', content, name);

    it('refuses a file that is not a workbook, a damaged one and one not in the template’s layout', async () => {
      const before = await snapshot();
      const pdf = await importFile(
        invoicePdf({
          proFormaNumber: number,
          invoiceNumber: 'X',
          totalCents: 1,
          siret: api.cfa.siret,
          iban: TEST_IBAN,
        }),
        'c.xlsx',
      );
      expect(pdf.body).toEqual({
        error: { code: 'FILE_TYPE_NOT_ACCEPTED', message: 'Seuls les classeurs Excel (.xlsx) sont acceptés.' },
      });
      expect(pdf.status).toBe(415);
      const damaged = await importFile(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), crypto.randomBytes(500)]));
      expect([damaged.status, damaged.body.error.code]).toEqual([422, 'FILE_UNREADABLE']);
      const book = new ExcelJS.Workbook();
      book.addWorksheet('Feuil1').addRow(['Contrat', 'Montant']);
      const other = await importFile(Buffer.from(await book.xlsx.writeBuffer()));
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('TEMPLATE_MISMATCH');
      expect(other.body.error.details.expected[0]).toBe('SIRET du CFA');
      const empty = await importFile(Buffer.alloc(0));
      expect([empty.status, empty.body.error.code]).toEqual([422, 'FILE_EMPTY']);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a workbook over IMPORT_MAX_BYTES while reading it', async () => {
      const small = api.appWith({ IMPORT_MAX_BYTES: '2048' });
      const { agent, auth } = api.http(api.users.admin);
      const template = (
        await agent.get('/api/admin/imports/contracts/template.xlsx').set(auth).buffer(true).parse(binary)
      ).body as Buffer;
      expect(template.length).toBeGreaterThan(2048);
      const res = await importFile(template, 'modele.xlsx', small);
      expect(res.status).toBe(413);
      expect(res.body.error).toEqual({
        code: 'FILE_TOO_LARGE',
        message: 'Le fichier dépasse la taille maximale autorisée (2048 octets).',
        details: { maxBytes: 2048 },
      });
    });
  });

  it('limits uploads per token: beyond UPLOAD_RATE_LIMIT a token gets 429, another token is not held back', async () => {
    const limited = api.appWith({ UPLOAD_RATE_LIMIT: '2', UPLOAD_RATE_WINDOW: '1m' });
    const send = (user: TestUser) =>
      request(limited)
        .post(`/api/pro-formas/${number}/invoice`)
        .set('Authorization', `Bearer ${user.token}`)
        .attach('file', Buffer.alloc(0), 'vide.pdf');
    expect((await send(api.users.cfa)).status).toBe(422);
    expect((await send(api.users.cfa)).status).toBe(422);
    const third = await send(api.users.cfa);
    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: 'Trop d’envois de fichiers en peu de temps : réessayez dans quelques instants.',
        details: { limit: 2, windowMs: 60_000 },
      },
    });
    expect(third.headers.ratelimit).toBeDefined();
    expect((await send(api.users.otherCfa)).status).toBe(404);
  });
});
