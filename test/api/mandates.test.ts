import crypto from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { parisDate } from '../../domain/dates';
import type { ExtractionResult } from '../../extraction/types';
import { ensureMandateExpirySchedule } from '../../worker/schedules';
import { TEST_IBAN, insertCfa } from '../helpers/fixtures';
import {
  binary,
  programReadings,
  seedInstallments,
  startApiStack,
  storedFiles,
  waitForProForma,
  type ApiStack,
  type TestUser,
} from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';
import { perfectReading } from '../helpers/stack';

jest.setTimeout(120_000);

const sha256Of = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

/** `today` plus `days` days (calendar dates). */
function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** A signed mandate: a small valid PDF, different each time. */
const mandatePdf = () =>
  invoicePdf({
    proFormaNumber: 'PRO-00000000',
    invoiceNumber: `MANDAT-${crypto.randomBytes(4).toString('hex')}`,
    totalCents: 100,
    siret: '73282932000074',
    iban: TEST_IBAN,
  });

describe('billing mandates as documents', () => {
  let api: ApiStack;
  let readings: Map<string, ExtractionResult>;

  beforeAll(async () => {
    api = await startApiStack();
    readings = programReadings(api);
  });
  afterAll(() => api.teardown());

  function upload(cfaId: string, file: Buffer, name: string, fields: Record<string, string>, as = api.users.admin) {
    const { agent, auth } = api.http(as);
    let req = agent.post(`/api/admin/cfas/${cfaId}/mandates/document`).set(auth);
    for (const [key, value] of Object.entries(fields)) req = req.field(key, value);
    return req.attach('file', file, name);
  }

  async function listed(as: TestUser, query: Record<string, string> = {}) {
    const { agent, auth } = api.http(as);
    const res = await agent.get('/api/mandates').query(query).set(auth);
    expect(res.status).toBe(200);
    return res.body.items as { id: string; cfaId: string; document: { sha256: string; fileName: string } | null }[];
  }

  const download = (as: TestUser, id: string) => {
    const { agent, auth } = api.http(as);
    return agent.get(`/api/mandates/${id}/document`).set(auth).buffer(true).parse(binary);
  };

  it('stores an uploaded PDF mandate, audits it, lists it for its CFA and downloads the same bytes', async () => {
    const pdf = mandatePdf();
    const res = await upload(api.cfa.id, pdf, 'Mandat signé.pdf', { validFrom: '2026-01-01', validTo: '2026-12-31' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      cfaId: api.cfa.id,
      validFrom: '2026-01-01',
      validTo: '2026-12-31',
      document: {
        sha256: sha256Of(pdf),
        fileName: 'Mandat signé.pdf',
        mimeType: 'application/pdf',
        size: pdf.length,
        uploadedBy: api.users.admin.id,
      },
      expiryNotifiedAt: null,
    });
    const id = res.body.id as string;
    expect(await api.store.has(sha256Of(pdf))).toBe(true);
    const audit = await api.stack.database.db
      .selectFrom('reference_audit')
      .select(['action', 'actor', 'after'])
      .where('entity', '=', 'MANDATE')
      .where('entity_id', '=', id)
      .execute();
    expect(audit).toEqual([
      {
        action: 'CREATE',
        actor: api.users.admin.id,
        after: expect.objectContaining({
          validFrom: '2026-01-01',
          document: expect.objectContaining({ sha256: sha256Of(pdf) }),
        }),
      },
    ]);

    // The CFA's user sees it (and the mandate of the stack, recorded without a document); the other CFA's does not.
    const own = await listed(api.users.cfa);
    expect(own.map((m) => m.cfaId)).toEqual(own.map(() => api.cfa.id));
    expect(own.find((m) => m.id === id)?.document?.sha256).toBe(sha256Of(pdf));
    expect(own.some((m) => m.document === null)).toBe(true);
    expect((await listed(api.users.otherCfa)).map((m) => m.id)).not.toContain(id);
    expect((await listed(api.users.validator, { cfaId: api.cfa.id })).map((m) => m.id)).toContain(id);
    expect((await listed(api.users.validator, { cfaId: api.otherCfa.id })).map((m) => m.id)).not.toContain(id);

    const got = await download(api.users.cfa, id);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/pdf');
    expect(got.headers['content-disposition']).toContain('.pdf');
    expect(Buffer.compare(got.body as Buffer, pdf)).toBe(0);
    expect((await download(api.users.otherCfa, id)).status).toBe(404);
    expect((await download(api.users.admin, id)).status).toBe(200);
    // A mandate recorded without its document has nothing to download.
    const bare = own.find((m) => m.document === null) as { id: string };
    expect((await download(api.users.cfa, bare.id)).status).toBe(404);
  });

  it('refuses a file that is not a PDF (judged on its content) with 415, storing nothing', async () => {
    const before = storedFiles(api);
    const text = await upload(api.cfa.id, Buffer.from('Ceci est un mandat, promis.\n'), 'mandat.pdf', {
      validFrom: '2026-01-01',
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('FILE_TYPE_NOT_ACCEPTED');
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const image = await upload(api.cfa.id, png, 'mandat.pdf', { validFrom: '2026-01-01' });
    expect(image.status).toBe(415);
    expect(image.body.error).toMatchObject({ code: 'FILE_TYPE_NOT_ACCEPTED', details: { detected: 'image/png' } });
    expect(storedFiles(api)).toEqual(before);
  });

  it('validates the form fields in French (422), refuses an unexpected one (400) and a CFA user (403)', async () => {
    const missing = await upload(api.cfa.id, mandatePdf(), 'm.pdf', { validTo: '2026-12-31' });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Données invalides.' });
    const reversed = await upload(api.cfa.id, mandatePdf(), 'm.pdf', {
      validFrom: '2026-12-31',
      validTo: '2026-01-01',
    });
    expect(reversed.status).toBe(422);
    expect(reversed.body.error.details.issues).toEqual([{ path: 'validTo', message: 'validTo précède validFrom' }]);
    const extra = await upload(api.cfa.id, mandatePdf(), 'm.pdf', { validFrom: '2026-01-01', iban: TEST_IBAN });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('INVALID_MULTIPART');
    expect((await upload(crypto.randomUUID(), mandatePdf(), 'm.pdf', { validFrom: '2026-01-01' })).status).toBe(404);
    expect((await upload(api.cfa.id, mandatePdf(), 'm.pdf', { validFrom: '2026-01-01' }, api.users.cfa)).status).toBe(
      403,
    );
  });

  it('names the uploaded mandate in the MANDATE_VALID control of a deposited invoice', async () => {
    const row = await insertCfa(api.stack.database.db);
    const cfa = { id: row.id, siret: row.siret, iban: row.iban, name: row.name };
    const user = await api.createUser('cfa', cfa.id);
    const uploaded = await upload(cfa.id, mandatePdf(), 'mandat.pdf', {
      validFrom: '2020-01-01',
      validTo: '2099-12-31',
    });
    expect(uploaded.status).toBe(201);
    const mandateId = uploaded.body.id as string;

    const total = 100_000 + crypto.randomInt(1, 99_999);
    const { installmentIds } = await seedInstallments(api, cfa.id, [total]);
    const { agent, auth } = api.http(user);
    const generated = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    expect(generated.status).toBe(201);
    const number = generated.body.proFormas[0].number as string;
    const invoiceNumber = `FA-${crypto.randomBytes(4).toString('hex')}`;
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber,
      totalCents: total,
      siret: cfa.siret,
      iban: TEST_IBAN,
    });
    readings.set(sha256Of(pdf), perfectReading(number, total, { cfa, installments: [] }, { invoiceNumber }));
    expect((await agent.post(`/api/pro-formas/${number}/invoice`).set(auth).attach('file', pdf, 'f.pdf')).status).toBe(
      202,
    );
    await waitForProForma(api, user, number, (p) => p.stage === 'AWAITING_DECISION' || p.status === 'REFUSED');

    const control = await api.stack.database.db
      .selectFrom('control_results as r')
      .innerJoin('pro_formas as p', 'p.id', 'r.pro_forma_id')
      .select(['r.outcome', 'r.message', 'r.evidence'])
      .where('p.number', '=', number)
      .where('r.code', '=', 'MANDATE_VALID')
      .executeTakeFirstOrThrow();
    expect(control).toMatchObject({
      outcome: 'PASSED',
      evidence: { mandateId, validFrom: '2020-01-01', validTo: '2099-12-31' },
    });
    expect(control.message).toMatch(
      new RegExp(`^Mandat de facturation du 01/01/2020 au 31/12/2099 \\(n° ${mandateId}\\) valide à la date du dépôt`),
    );
  });

  describe('the expiry reminder', () => {
    const today = parisDate(new Date());

    async function cfaWithMandates(...endsInDays: number[]) {
      const cfa = await insertCfa(api.stack.database.db);
      const ids: string[] = [];
      for (const days of endsInDays) {
        const res = await upload(cfa.id, mandatePdf(), 'mandat.pdf', {
          validFrom: '2025-01-01',
          validTo: addDays(today, days),
        });
        expect(res.status).toBe(201);
        ids.push(res.body.id as string);
      }
      return { cfa, ids };
    }

    const mailsTo = (email: string) =>
      api.stack.database.db
        .selectFrom('notifications')
        .select(['template', 'subject', 'status'])
        .where('recipient', '=', email)
        .execute();

    const notifiedAt = async (id: string) =>
      (
        await api.stack.database.db
          .selectFrom('mandates')
          .select('expiry_notified_at')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).expiry_notified_at;

    const runReminder = () =>
      api.stack.client.workflow.execute('mandateExpiryWorkflow', {
        taskQueue: api.deps.config.temporal.taskQueue,
        workflowId: `mandate-expiry-test-${crypto.randomUUID()}`,
        args: [{}],
      }) as Promise<{ sent: number; failed: number }>;

    it('sends the reminder to the address « Mon CFA » gives for it, not to the main one', async () => {
      const { cfa } = await cfaWithMandates(25);
      await api.stack.database.db
        .insertInto('cfa_notification_emails')
        .values({ cfa_id: cfa.id, email: `juridique-${cfa.siret}@cfa.example`, kinds: ['MANDATE_EXPIRING'] })
        .execute();
      expect((await runReminder()).failed).toBe(0);
      expect(await mailsTo(`juridique-${cfa.siret}@cfa.example`)).toEqual([
        expect.objectContaining({ template: 'MANDATE_EXPIRING', status: 'SENT' }),
      ]);
      expect(await mailsTo(cfa.email)).toEqual([]);
    });

    it('e-mails the CFA once for a mandate ending in 20 days, not for one ending in 60', async () => {
      const { cfa, ids } = await cfaWithMandates(20, 60);
      const [soon, later] = ids as [string, string];

      const first = await runReminder();
      expect(first.failed).toBe(0);
      expect(first.sent).toBeGreaterThanOrEqual(1);
      const [y, m, d] = addDays(today, 20).split('-');
      expect(await mailsTo(cfa.email)).toEqual([
        {
          template: 'MANDATE_EXPIRING',
          subject: `Votre mandat de facturation expire le ${d}/${m}/${y}`,
          status: 'SENT',
        },
      ]);
      expect(await notifiedAt(soon)).toBeInstanceOf(Date);
      expect(await notifiedAt(later)).toBeNull();

      // Once: the next day's run sends nothing more to this CFA.
      await runReminder();
      expect(await mailsTo(cfa.email)).toHaveLength(1);
      const { agent, auth } = api.http(api.users.admin);
      const shown = await agent.get('/api/mandates').query({ cfaId: cfa.id }).set(auth);
      expect(
        (shown.body.items as { id: string; expiryNotifiedAt: string | null }[]).map((i) => [
          i.id,
          i.expiryNotifiedAt !== null,
        ]),
      ).toEqual(
        expect.arrayContaining([
          [soon, true],
          [later, false],
        ]),
      );
    });

    it('runs from a Temporal Schedule, daily at 07:00 Paris time, created once', async () => {
      const scheduleId = `mandate-expiry-test-${crypto.randomBytes(4).toString('hex')}`;
      const taskQueue = api.deps.config.temporal.taskQueue;
      const handle = api.stack.client.schedule.getHandle(scheduleId);
      try {
        expect(await ensureMandateExpirySchedule(api.stack.client, { taskQueue, scheduleId })).toBe(true);
        expect(await ensureMandateExpirySchedule(api.stack.client, { taskQueue, scheduleId })).toBe(false);
        const described = await handle.describe();
        expect(described.spec.timezone).toBe('Europe/Paris');
        expect(described.spec.calendars?.[0]).toMatchObject({
          hour: [{ start: 7, end: 7, step: 1 }],
          minute: [{ start: 0, end: 0, step: 1 }],
        });
        expect(described.action).toMatchObject({
          type: 'startWorkflow',
          workflowType: 'mandateExpiryWorkflow',
          taskQueue,
        });
        // A worker started with another task queue moves the schedule to it (and back).
        expect(await ensureMandateExpirySchedule(api.stack.client, { taskQueue: 'elsewhere', scheduleId })).toBe(false);
        expect((await handle.describe()).action).toMatchObject({ taskQueue: 'elsewhere' });
        await ensureMandateExpirySchedule(api.stack.client, { taskQueue, scheduleId });
        expect((await handle.describe()).action).toMatchObject({ taskQueue });

        const { cfa } = await cfaWithMandates(10);
        await handle.trigger();
        const deadline = Date.now() + 30_000;
        while ((await mailsTo(cfa.email)).length === 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
        }
        expect((await mailsTo(cfa.email)).map((n) => n.template)).toEqual(['MANDATE_EXPIRING']);
      } finally {
        await handle.delete().catch((error: unknown) => {
          if (!(error instanceof ScheduleNotFoundError)) throw error;
        });
      }
    });
  });
});
