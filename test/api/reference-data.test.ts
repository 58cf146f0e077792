import crypto from 'node:crypto';
import fs from 'node:fs';
import { NamespaceNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import ExcelJS from 'exceljs';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createNotificationActivities } from '../../activities/notifications';
import { ibanAlertWorkflowId } from '../../api/admin.routes';
import { createApp } from '../../api/app';
import { parisDate } from '../../domain/dates';
import { BUNDLES } from '../../domain/rights';
import { MAIL_ATTEMPTS } from '../../domain/mail-templates';
import { createMailer } from '../../infra/mailer';
import { hashToken } from '../../infra/tokens';
import { TEST_IBAN, insertCfa, insertProForma, uniqueSiret } from '../helpers/fixtures';
import { binary, startApiStack, type ApiStack, type TestUser } from '../helpers/api';

jest.setTimeout(120_000);

const NEW_IBAN = 'FR1420041010050500013M02606';
const OTHER_IBAN = 'DE89370400440532013000';

/**
 * Reference data managed by admins, on the real stack: each change audited in its own transaction (author, before,
 * after; nothing for a refused change), the audit's list and exports, the alert of an IBAN changed while pro formas
 * await payment (a workflow, an e-mail per active admin), validators' portfolios, the refusal catalogue's versions.
 */
describe('reference data', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await startApiStack();
  });
  afterAll(() => api.teardown());

  const db = () => api.stack.database.db;
  const as = (user: TestUser = api.users.admin) => {
    const { agent, auth } = api.http(user);
    return {
      get: (path: string) => agent.get(path).set(auth),
      post: (path: string, body?: object) => agent.post(path).set(auth).send(body),
      patch: (path: string, body: object) => agent.patch(path).set(auth).send(body),
      put: (path: string, body: object) => agent.put(path).set(auth).send(body),
    };
  };
  const admin = () => as(api.users.admin);

  async function auditOf(entity: string, entityId: string) {
    return db()
      .selectFrom('reference_audit')
      .select(['action', 'actor', 'before', 'after'])
      .where('entity', '=', entity as 'CFA')
      .where('entity_id', '=', entityId)
      .orderBy('id')
      .execute();
  }
  const auditCount = async () =>
    Number(
      (
        await db()
          .selectFrom('reference_audit')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function newCfa(overrides: Partial<{ name: string; iban: string }> = {}) {
    const res = await admin().post('/api/admin/cfas', {
      siret: uniqueSiret(),
      name: overrides.name ?? `CFA ${crypto.randomBytes(3).toString('hex')}`,
      email: 'facturation@cfa.example',
      iban: overrides.iban ?? TEST_IBAN,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; siret: string; name: string; iban: string; bic: string | null };
  }

  describe('the audit of each change', () => {
    it('audits a CFA created and changed, with its author, before and after; a refused change writes nothing', async () => {
      const cfa = await newCfa({ name: 'CFA Audité' });
      const created = {
        siret: cfa.siret,
        name: 'CFA Audité',
        email: 'facturation@cfa.example',
        iban: TEST_IBAN,
        trusted: false,
        creditNoteSettlement: 'DEDUCTION',
      };
      expect(await auditOf('CFA', cfa.id)).toEqual([
        { action: 'CREATE', actor: api.users.admin.id, before: null, after: created },
      ]);

      const rowsBefore = await auditCount();
      const invalid = await admin().patch(`/api/admin/cfas/${cfa.id}`, { iban: 'FR76 0000 0000 0000' });
      expect(invalid.status).toBe(422);
      expect(invalid.body.error.details.issues).toEqual([
        { path: 'iban', message: 'IBAN invalide (clé ISO 13616 mod 97)' },
      ]);
      const unknown = await admin().patch(`/api/admin/cfas/${crypto.randomUUID()}`, { trusted: true });
      expect(unknown.status).toBe(404);
      // A request that changes nothing is not a change.
      const same = await admin().patch(`/api/admin/cfas/${cfa.id}`, { name: 'CFA Audité', trusted: false });
      expect(same.status).toBe(200);
      expect(await auditCount()).toBe(rowsBefore);

      const changed = await admin().patch(`/api/admin/cfas/${cfa.id}`, {
        name: 'CFA Renommé',
        email: 'compta@cfa.example',
        trusted: true,
        creditNoteSettlement: 'REMBOURSEMENT',
        iban: OTHER_IBAN,
      });
      expect(changed.status).toBe(200);
      expect(await auditOf('CFA', cfa.id)).toEqual([
        expect.objectContaining({ action: 'CREATE' }),
        {
          action: 'UPDATE',
          actor: api.users.admin.id,
          before: created,
          after: {
            siret: cfa.siret,
            name: 'CFA Renommé',
            email: 'compta@cfa.example',
            iban: OTHER_IBAN,
            trusted: true,
            creditNoteSettlement: 'REMBOURSEMENT',
          },
        },
      ]);
    });

    it('records a CFA’s BIC (upper case, checked), audits it, and shows it read-only in « Mon CFA »', async () => {
      const cfa = await newCfa({ iban: 'CH9300762011623852957' });
      expect(cfa).toMatchObject({ bic: null });
      const refused = await admin().patch(`/api/admin/cfas/${cfa.id}`, { bic: 'UBS' });
      expect(refused.status).toBe(422);
      const set = await admin().patch(`/api/admin/cfas/${cfa.id}`, { bic: 'ubswchzh80a' });
      expect(set.body.bic).toBe('UBSWCHZH80A');
      const [, update] = await auditOf('CFA', cfa.id);
      expect(update?.before).not.toHaveProperty('bic');
      expect(update?.after).toMatchObject({ bic: 'UBSWCHZH80A', iban: 'CH9300762011623852957' });
      const user = await api.createUser('cfa', cfa.id);
      const mine = await as(user).get('/api/my-cfa');
      expect(mine.body).toMatchObject({ iban: 'CH9300762011623852957', bic: 'UBSWCHZH80A' });
      expect((await as(user).patch('/api/my-cfa', { bic: 'AGRIFRPP' })).status).toBe(422);
      const cleared = await admin().patch(`/api/admin/cfas/${cfa.id}`, { bic: null });
      expect(cleared.body.bic).toBeNull();
    });

    it('audits a mandate created; a refused one writes nothing', async () => {
      const cfa = await newCfa();
      const rowsBefore = await auditCount();
      const refused = await admin().post(`/api/admin/cfas/${cfa.id}/mandates`, {
        validFrom: '2026-09-01',
        validTo: '2026-01-01',
      });
      expect(refused.status).toBe(422);
      expect(await auditCount()).toBe(rowsBefore);
      const res = await admin().post(`/api/admin/cfas/${cfa.id}/mandates`, {
        validFrom: '2026-01-01',
        validTo: '2026-12-31',
      });
      expect(res.status).toBe(201);
      expect(await auditOf('MANDATE', res.body.id)).toEqual([
        {
          action: 'CREATE',
          actor: api.users.admin.id,
          before: null,
          after: { cfaId: cfa.id, validFrom: '2026-01-01', validTo: '2026-12-31' },
        },
      ]);
    });

    it('audits a user created, changed, revoked and given a new token, never with a token or its hash', async () => {
      const email = `valideur-${crypto.randomBytes(4).toString('hex')}@opco.example`;
      const created = await admin().post('/api/admin/users', { role: 'validator', name: 'Valérie', email });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const tokens = [created.body.token as string];

      // Refused changes: nothing written.
      const rowsBefore = await auditCount();
      const refusals = [
        [{ role: 'cfa' }, 422, 'VALIDATION_FAILED'],
        [{ cfaId: api.cfa.id }, 422, 'VALIDATION_FAILED'],
        [{ role: 'cfa', cfaId: crypto.randomUUID() }, 422, 'UNKNOWN_CFA'],
        [{ email: 'pas-un-email' }, 422, 'VALIDATION_FAILED'],
        [{}, 422, 'VALIDATION_FAILED'],
        [{ token: 'x' }, 422, 'VALIDATION_FAILED'],
      ] as const;
      for (const [body, status, code] of refusals) {
        const res = await admin().patch(`/api/admin/users/${id}`, body);
        expect([JSON.stringify(body), res.status, res.body.error?.code]).toEqual([JSON.stringify(body), status, code]);
      }
      const taken = await admin().patch(`/api/admin/users/${id}`, {
        email: (
          await db()
            .selectFrom('users')
            .select('email')
            .where('id', '=', api.users.validator.id)
            .executeTakeFirstOrThrow()
        ).email,
      });
      expect(taken.status).toBe(409);
      expect(taken.body.error.code).toBe('USER_ALREADY_EXISTS');
      expect((await admin().patch(`/api/admin/users/${crypto.randomUUID()}`, { name: 'X' })).status).toBe(404);
      expect(await auditCount()).toBe(rowsBefore);

      const toCfa = await admin().patch(`/api/admin/users/${id}`, {
        role: 'cfa',
        cfaId: api.cfa.id,
        name: 'Valérie C.',
      });
      expect(toCfa.status).toBe(200);
      expect(toCfa.body).toMatchObject({ role: 'cfa', cfaId: api.cfa.id, name: 'Valérie C.' });
      // Back to staff: the CFA goes with the role.
      const toValidator = await admin().patch(`/api/admin/users/${id}`, { role: 'validator' });
      expect(toValidator.status).toBe(200);
      expect(toValidator.body).toMatchObject({ role: 'validator', cfaId: null });

      expect((await admin().post(`/api/admin/users/${id}/revoke`)).status).toBe(200);
      // Revoking again changes nothing, and is not audited again.
      expect((await admin().post(`/api/admin/users/${id}/revoke`)).status).toBe(200);
      const replaced = await admin().post(`/api/admin/users/${id}/token`);
      expect(replaced.status).toBe(200);
      tokens.push(replaced.body.token as string);
      const me = await as({ id, role: 'validator', cfaId: null, token: replaced.body.token }).get('/api/me');
      expect(me.status).toBe(200);

      const rows = await auditOf('USER', id);
      const tokenExpiresAt = rows[0]?.after?.tokenExpiresAt;
      const replacedExpiresAt = rows[4]?.after?.tokenExpiresAt;
      expect(typeof tokenExpiresAt).toBe('string');
      expect(typeof replacedExpiresAt).toBe('string');
      const base = {
        role: 'validator',
        name: 'Valérie',
        email,
        cfaIds: [],
        rights: [...BUNDLES.validator],
        status: 'ACTIVE',
        tokenExpiresAt,
        revokedAt: null,
      };
      // A change of role gives the new role's rights.
      const asCfa = { ...base, role: 'cfa', cfaIds: [api.cfa.id], rights: [...BUNDLES.cfa], name: 'Valérie C.' };
      const back = { ...asCfa, role: 'validator', cfaIds: [], rights: [...BUNDLES.validator] };
      const revokedAt = rows[3]?.after?.revokedAt;
      expect(typeof revokedAt).toBe('string');
      const revoked = { ...back, status: 'REVOKED', revokedAt };
      expect(rows).toEqual([
        { action: 'CREATE', actor: api.users.admin.id, before: null, after: base },
        { action: 'UPDATE', actor: api.users.admin.id, before: base, after: asCfa },
        { action: 'UPDATE', actor: api.users.admin.id, before: asCfa, after: back },
        { action: 'REVOKE', actor: api.users.admin.id, before: back, after: revoked },
        {
          action: 'TOKEN_REPLACED',
          actor: api.users.admin.id,
          before: revoked,
          after: { ...back, tokenExpiresAt: replacedExpiresAt },
        },
      ]);
      const written = JSON.stringify(await db().selectFrom('reference_audit').selectAll().execute());
      for (const token of tokens) {
        expect(written).not.toContain(token);
        expect(written).not.toContain(hashToken(token));
      }
    });
  });

  describe('the audit list and its exports', () => {
    let otherAdmin: TestUser;
    let cfaId: string;

    beforeAll(async () => {
      otherAdmin = await api.createUser('admin');
      cfaId = (await newCfa({ name: 'CFA Historique' })).id;
      expect((await as(otherAdmin).patch(`/api/admin/cfas/${cfaId}`, { name: 'CFA Historique 2' })).status).toBe(200);
      expect((await admin().patch(`/api/admin/cfas/${cfaId}`, { trusted: true })).status).toBe(200);
      // A change from last winter, at 00:30 in Paris on 16 January (23:30 UTC the day before).
      await db()
        .insertInto('reference_audit')
        .values({
          entity: 'CFA',
          entity_id: cfaId,
          action: 'UPDATE',
          actor: otherAdmin.id,
          before: JSON.stringify({ name: 'Avant' }),
          after: JSON.stringify({ name: 'Après' }),
          at: '2026-01-15T23:30:00Z',
        })
        .execute();
    });

    it('filters by entity and id, newest first, with the author', async () => {
      const res = await admin().get(`/api/admin/audit?entity=CFA&entityId=${cfaId}`);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(4);
      expect(res.body.items.map((i: { action: string; actor: { id: string } }) => [i.action, i.actor.id])).toEqual([
        ['UPDATE', api.users.admin.id],
        ['UPDATE', otherAdmin.id],
        ['CREATE', api.users.admin.id],
        ['UPDATE', otherAdmin.id],
      ]);
      expect(res.body.items[0]).toMatchObject({
        entity: 'CFA',
        entityLabel: 'CFA',
        entityId: cfaId,
        actionLabel: 'Modification',
        before: { trusted: false },
        after: { trusted: true, name: 'CFA Historique 2' },
      });
      const paged = await admin().get(`/api/admin/audit?entity=CFA&entityId=${cfaId}&page=2&pageSize=3`);
      expect(paged.body).toMatchObject({ total: 4, page: 2, pageSize: 3 });
      expect(paged.body.items).toHaveLength(1);
      expect(paged.body.items[0].at).toBe('2026-01-15T23:30:00.000Z');
    });

    it('filters by author and by Paris days', async () => {
      const byActor = await admin().get(`/api/admin/audit?actor=${otherAdmin.id}`);
      expect(byActor.status).toBe(200);
      expect(byActor.body.total).toBe(2);
      expect(byActor.body.items.every((i: { actor: { id: string } }) => i.actor.id === otherAdmin.id)).toBe(true);

      const day = async (from: string, to = from) =>
        (await admin().get(`/api/admin/audit?entityId=${cfaId}&from=${from}&to=${to}`)).body.items.map(
          (i: { at: string }) => i.at,
        );
      expect(await day('2026-01-16')).toEqual(['2026-01-15T23:30:00.000Z']);
      expect(await day('2026-01-15')).toEqual([]);
      const today = parisDate(new Date());
      expect(await day(today)).toHaveLength(3);
      expect(await day('2026-01-01', today)).toHaveLength(4);

      const backwards = await admin().get('/api/admin/audit?from=2026-02-01&to=2026-01-01');
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.details.issues).toEqual([{ path: 'from', message: 'from est postérieur à to' }]);
      expect((await admin().get('/api/admin/audit?entity=CONTRACT')).status).toBe(400);
      expect((await as(api.users.validator).get('/api/admin/audit')).status).toBe(403);
    });

    it('exports the filtered audit as an Excel workbook, typed cells, French headers', async () => {
      const res = await admin().get(`/api/admin/audit/export.xlsx?entityId=${cfaId}`).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('spreadsheetml');
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.body as unknown as ExcelJS.Buffer);
      const sheet = book.worksheets[0];
      expect(sheet).toBeDefined();
      const values = (n: number) => (sheet?.getRow(n).values as unknown[]).slice(1);
      expect(values(1)).toEqual([
        'N°',
        'Date',
        'Objet',
        'Identifiant',
        'Action',
        'Auteur',
        'E-mail de l’auteur',
        'Avant',
        'Après',
      ]);
      expect(sheet?.rowCount).toBe(5);
      const oldest = values(5);
      expect(oldest[1]).toEqual(new Date('2026-01-16T00:30:00Z')); // Paris wall clock, as Excel has no time zone
      expect(oldest.slice(2, 5)).toEqual(['CFA', cfaId, 'Modification']);
      expect(typeof oldest[0]).toBe('number');
      expect(oldest[7]).toBe('{"name":"Avant"}');
      expect(values(4).slice(2, 5)).toEqual(['CFA', cfaId, 'Création']);
    });

    it('exports it as CSV for French Excel', async () => {
      const res = await admin().get(`/api/admin/audit/export.csv?entityId=${cfaId}&from=2026-01-16&to=2026-01-16`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const text = res.text.replace(/^\uFEFF/, '');
      const lines = text.split('\r\n');
      expect(lines[0]).toBe('N°;Date;Objet;Identifiant;Action;Auteur;E-mail de l’auteur;Avant;Après');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(new RegExp(`^\\d+;16/01/2026 00:30;CFA;${cfaId};Modification;`));
      expect(lines[1]).toContain(';"{""name"":""Avant""}";"{""name"":""Après""}"');
    });
  });

  describe('the alert of an IBAN changed while pro formas await payment', () => {
    async function ibanMails(since: number) {
      return db()
        .selectFrom('notifications')
        .select(['recipient', 'status', 'pro_forma_id', 'subject', 'location', 'idempotency_key'])
        .where('template', '=', 'IBAN_CHANGED')
        .where('created_at', '>=', new Date(since))
        .orderBy('recipient')
        .execute();
    }

    async function activeAdminEmails(): Promise<string[]> {
      const rows = await db()
        .selectFrom('users')
        .select('email')
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .orderBy('email')
        .execute();
      return rows.map((r) => r.email);
    }

    it('sends one e-mail per active admin, naming the CFA, the masked IBANs and the pro formas; none otherwise', async () => {
      const start = Date.now() - 1000;
      const revokedAdmin = await api.createUser('admin');
      expect((await admin().post(`/api/admin/users/${revokedAdmin.id}/revoke`)).status).toBe(200);
      await api.createUser('admin');
      const admins = await activeAdminEmails();
      expect(admins.length).toBeGreaterThanOrEqual(2);

      // A CFA with nothing awaiting payment (a pro forma paid, one awaiting its invoice): no alert.
      const quiet = await insertCfa(db(), { siret: uniqueSiret(), iban: TEST_IBAN });
      await insertProForma(db(), quiet.id, { status: 'PAID' });
      await insertProForma(db(), quiet.id);
      const quietChange = await admin().patch(`/api/admin/cfas/${quiet.id}`, { iban: NEW_IBAN });
      expect(quietChange.status).toBe(200);
      const quietAudit = await db()
        .selectFrom('reference_audit')
        .select('id')
        .where('entity_id', '=', quiet.id)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      await expect(
        api.stack.client.workflow.getHandle(ibanAlertWorkflowId(quiet.id, Number(quietAudit.id))).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);

      // A CFA with two pro formas validated, awaiting payment.
      const watched = await insertCfa(db(), { siret: uniqueSiret(), iban: TEST_IBAN });
      const validated = [
        (await insertProForma(db(), watched.id, { status: 'VALIDATED' })).number,
        (await insertProForma(db(), watched.id, { status: 'VALIDATED' })).number,
      ].sort();
      // Another field than the IBAN: no alert.
      expect((await admin().patch(`/api/admin/cfas/${watched.id}`, { trusted: true })).status).toBe(200);
      const change = await admin().patch(`/api/admin/cfas/${watched.id}`, { iban: NEW_IBAN });
      expect(change.status).toBe(200);
      expect(change.body.iban).toBe(NEW_IBAN);

      const deadline = Date.now() + 60_000;
      let mails = await ibanMails(start);
      while ((mails.length < admins.length || mails.some((m) => m.status !== 'SENT')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        mails = await ibanMails(start);
      }
      expect(mails.map((m) => [m.recipient, m.status, m.pro_forma_id])).toEqual(
        admins.map((email) => [email, 'SENT', null]),
      );
      // Only the watched CFA was alerted about.
      for (const m of mails)
        expect(m.subject).toBe(
          `Alerte — IBAN modifié pour le CFA ${watched.name} (2 pro forma(s) en attente de paiement)`,
        );
      const mail = await simpleParser(fs.readFileSync(mails[0]?.location as string));
      const text = mail.text ?? '';
      expect(text).toContain(`L’IBAN du CFA ${watched.name} (SIRET ${watched.siret}) a été modifié par `);
      expect(text).toContain('Ancien IBAN : **** **** **** **** **** *** 0189');
      expect(text).toContain('Nouvel IBAN : **** **** **** **** **** *** 2606');
      expect(text).toContain(`2 pro forma(s) validée(s) en attente de paiement : ${validated.join(', ')}.`);
      expect(text).toMatch(/le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2} \(heure de Paris\)/);
      expect(text).not.toContain(NEW_IBAN);
      expect(text).not.toContain(TEST_IBAN);

      // The alert's workflow has done its work, once.
      const changeAudit = await db()
        .selectFrom('reference_audit')
        .select('id')
        .where('entity_id', '=', watched.id)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      const handle = api.stack.client.workflow.getHandle(ibanAlertWorkflowId(watched.id, Number(changeAudit.id)));
      expect(await handle.result()).toEqual({ sent: admins.length });
      expect(new Set(mails.map((m) => m.idempotency_key)).size).toBe(admins.length);
    });

    it('sends nothing for a change whose transaction has not committed: retried, then given up at the last attempt', async () => {
      const activities = createNotificationActivities({
        db: db(),
        mailer: createMailer({ outboxDir: api.stack.outboxDir, from: 'test@opco.example' }),
      });
      const alert = {
        key: `iban-changed-${crypto.randomUUID()}-0`,
        auditId: 2_000_000_000,
        template: 'IBAN_CHANGED' as const,
        data: {
          cfaName: 'CFA Fantôme',
          cfaSiret: '73282932000074',
          oldIban: TEST_IBAN,
          newIban: NEW_IBAN,
          awaitingPaymentCount: 1,
          awaitingPaymentNumbers: ['PRO-00000001'],
          changedByName: 'Admin',
          changedByEmail: 'admin@opco.example',
          changedAt: new Date().toISOString(),
        },
      };
      await expect(new MockActivityEnvironment({ attempt: 1 }).run(activities.alertAdmins, alert)).rejects.toThrow(
        'is not committed',
      );
      expect(await new MockActivityEnvironment({ attempt: MAIL_ATTEMPTS }).run(activities.alertAdmins, alert)).toEqual({
        sent: 0,
      });
      const written = await db()
        .selectFrom('notifications')
        .select('id')
        .where('idempotency_key', 'like', `${alert.key}%`)
        .execute();
      expect(written).toEqual([]);
    });

    it('changes nothing when the alert cannot be started (Temporal unreachable): 503, no audit row', async () => {
      const cfa = await insertCfa(db(), { siret: uniqueSiret(), iban: TEST_IBAN });
      await insertProForma(db(), cfa.id, { status: 'VALIDATED' });
      const rowsBefore = await auditCount();
      const unreachable = {
        withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
        workflow: {
          start: async () => {
            throw new NamespaceNotFoundError(api.deps.config.temporal.namespace);
          },
        },
      } as unknown as Client;
      const app = createApp({ logger: api.deps.logger, readiness: {}, api: { ...api.deps, temporal: unreachable } });
      const res = await request(app)
        .patch(`/api/admin/cfas/${cfa.id}`)
        .set('Authorization', `Bearer ${api.users.admin.token}`)
        .send({ iban: NEW_IBAN });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('TEMPORAL_UNAVAILABLE');
      expect(await auditCount()).toBe(rowsBefore);
      const row = await db().selectFrom('cfas').select('iban').where('id', '=', cfa.id).executeTakeFirstOrThrow();
      expect(row.iban).toBe(TEST_IBAN);
      // Without pro formas awaiting payment, Temporal is not needed: the change goes through.
      const quiet = await insertCfa(db(), { siret: uniqueSiret(), iban: TEST_IBAN });
      const ok = await request(app)
        .patch(`/api/admin/cfas/${quiet.id}`)
        .set('Authorization', `Bearer ${api.users.admin.token}`)
        .send({ iban: NEW_IBAN });
      expect(ok.status).toBe(200);
    });
  });

  describe('portfolios', () => {
    it('replaces a validator’s portfolio, lists them with the CFAs in none, and audits each change', async () => {
      const validator = await api.createUser('validator');
      const a = await newCfa({ name: 'AAA Portefeuille' });
      const b = await newCfa({ name: 'BBB Portefeuille' });
      const loose = await newCfa({ name: 'CCC Sans portefeuille' });
      const path = `/api/admin/validators/${validator.id}/portfolio`;

      const assigned = await admin().put(path, { cfaIds: [b.id, a.id, a.id] });
      expect(assigned.status).toBe(200);
      expect(assigned.body.validator.id).toBe(validator.id);
      expect(assigned.body.cfas.map((c: { id: string }) => c.id)).toEqual([a.id, b.id]);

      const list = await admin().get('/api/admin/portfolios');
      expect(list.status).toBe(200);
      const mine = list.body.validators.find((v: { validator: { id: string } }) => v.validator.id === validator.id);
      expect(mine.cfas).toEqual([
        { id: a.id, siret: a.siret, name: 'AAA Portefeuille' },
        { id: b.id, siret: b.siret, name: 'BBB Portefeuille' },
      ]);
      const unassigned = list.body.unassignedCfas.map((c: { id: string }) => c.id);
      expect(unassigned).toContain(loose.id);
      expect(unassigned).not.toContain(a.id);
      expect(unassigned).not.toContain(b.id);
      expect(
        list.body.validators.some((v: { validator: { id: string } }) => v.validator.id === api.users.admin.id),
      ).toBe(false);

      const rowsBefore = await auditCount();
      const unknownUser = await admin().put(`/api/admin/validators/${crypto.randomUUID()}/portfolio`, { cfaIds: [] });
      expect(unknownUser.status).toBe(404);
      const notValidator = await admin().put(`/api/admin/validators/${api.users.admin.id}/portfolio`, {
        cfaIds: [a.id],
      });
      expect(notValidator.status).toBe(422);
      expect(notValidator.body.error.code).toBe('NOT_A_VALIDATOR');
      const ghost = crypto.randomUUID();
      const unknownCfa = await admin().put(path, { cfaIds: [a.id, ghost] });
      expect(unknownCfa.status).toBe(422);
      expect(unknownCfa.body.error).toMatchObject({
        code: 'UNKNOWN_CFA',
        details: { issues: [{ path: 'cfaIds.1', message: 'CFA inconnu' }] },
      });
      const badBody = await admin().put(path, { cfaIds: ['pas-un-uuid'] });
      expect(badBody.status).toBe(422);
      expect((await admin().put(path, { cfaIds: [a.id, b.id] })).status).toBe(200); // the same set: no change
      expect(await auditCount()).toBe(rowsBefore);

      expect((await admin().put(path, { cfaIds: [b.id, loose.id] })).status).toBe(200);
      // A validator who becomes an admin leaves its portfolio.
      expect((await admin().patch(`/api/admin/users/${validator.id}`, { role: 'admin' })).status).toBe(200);
      const remaining = await db()
        .selectFrom('validator_portfolios')
        .select('cfa_id')
        .where('user_id', '=', validator.id)
        .execute();
      expect(remaining).toEqual([]);

      const sorted = (ids: string[]) => [...ids].sort();
      expect(await auditOf('PORTFOLIO', validator.id)).toEqual([
        {
          action: 'ASSIGN',
          actor: api.users.admin.id,
          before: { cfaIds: [] },
          after: { cfaIds: sorted([a.id, b.id]) },
        },
        {
          action: 'ASSIGN',
          actor: api.users.admin.id,
          before: { cfaIds: sorted([a.id, b.id]) },
          after: { cfaIds: sorted([b.id, loose.id]) },
        },
        {
          action: 'ASSIGN',
          actor: api.users.admin.id,
          before: { cfaIds: sorted([b.id, loose.id]) },
          after: { cfaIds: [] },
        },
      ]);
    });
  });

  describe('the refusal catalogue', () => {
    it('versions a reason’s label and letter, retires it, hides it from the list, and refuses to edit it then', async () => {
      const code = `MOTIF_${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
      const created = await admin().post('/api/admin/refusal-reasons', {
        code,
        label: 'Pièce manquante',
        letter: 'Madame, monsieur, il manque une pièce.',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        code,
        label: 'Pièce manquante',
        letter: 'Madame, monsieur, il manque une pièce.',
        automatic: false,
        active: true,
        version: 1,
        retiredAt: null,
      });

      const revised = await admin().patch(`/api/admin/refusal-reasons/${code}`, {
        letter: 'Madame, monsieur, la pièce {{numeroProForma}} manque.',
      });
      expect(revised.status).toBe(200);
      expect(revised.body).toMatchObject({
        label: 'Pièce manquante',
        letter: 'Madame, monsieur, la pièce {{numeroProForma}} manque.',
        version: 2,
        active: true,
      });
      // The same text again makes no new version.
      const same = await admin().patch(`/api/admin/refusal-reasons/${code}`, { label: 'Pièce manquante' });
      expect(same.status).toBe(200);
      expect(same.body.version).toBe(2);
      expect((await admin().patch(`/api/admin/refusal-reasons/${code}`, {})).status).toBe(422);
      expect((await admin().patch(`/api/admin/refusal-reasons/${code}`, { label: '  ' })).status).toBe(422);

      const detail = await as(api.users.validator).get(`/api/admin/refusal-reasons/${code}`);
      expect(detail.status).toBe(200);
      expect(
        detail.body.versions.map((v: { version: number; letter: string; createdBy: string }) => [
          v.version,
          v.letter,
          v.createdBy,
        ]),
      ).toEqual([
        [1, 'Madame, monsieur, il manque une pièce.', api.users.admin.id],
        [2, 'Madame, monsieur, la pièce {{numeroProForma}} manque.', api.users.admin.id],
      ]);

      const listed = async (query = '') =>
        (await admin().get(`/api/admin/refusal-reasons?pageSize=200${query}`)).body.items.map(
          (r: { code: string }) => r.code,
        );
      expect(await listed()).toContain(code);

      const retired = await admin().post(`/api/admin/refusal-reasons/${code}/retire`);
      expect(retired.status).toBe(200);
      expect(retired.body).toMatchObject({ code, active: false, version: 2 });
      expect(typeof retired.body.retiredAt).toBe('string');
      expect(await listed()).not.toContain(code);
      expect(await listed()).toContain('OTHER');
      expect(await listed('&includeRetired=true')).toContain(code);
      expect((await admin().get('/api/admin/refusal-reasons?includeRetired=oui')).status).toBe(400);

      const rowsBefore = await auditCount();
      const edit = await admin().patch(`/api/admin/refusal-reasons/${code}`, { label: 'Autre libellé' });
      expect(edit.status).toBe(409);
      expect(edit.body.error.code).toBe('REFUSAL_REASON_RETIRED');
      // Retiring again changes nothing.
      const again = await admin().post(`/api/admin/refusal-reasons/${code}/retire`);
      expect(again.body.retiredAt).toBe(retired.body.retiredAt);
      const automatic = await db()
        .selectFrom('refusal_reasons')
        .select('code')
        .where('automatic', '=', true)
        .executeTakeFirstOrThrow();
      const retireAutomatic = await admin().post(`/api/admin/refusal-reasons/${automatic.code}/retire`);
      expect(retireAutomatic.status).toBe(409);
      expect(retireAutomatic.body.error.code).toBe('REFUSAL_REASON_AUTOMATIC');
      expect((await admin().patch('/api/admin/refusal-reasons/INCONNU_XYZ', { label: 'X' })).status).toBe(404);
      expect((await admin().get('/api/admin/refusal-reasons/pas-un-code')).status).toBe(404);
      expect(await auditCount()).toBe(rowsBefore);

      const snapshot = (version: number, letter: string, retiredAt: string | null = null) => ({
        label: 'Pièce manquante',
        letter,
        version,
        active: retiredAt === null,
        retiredAt,
      });
      expect(await auditOf('REFUSAL_REASON', code)).toEqual([
        {
          action: 'CREATE',
          actor: api.users.admin.id,
          before: null,
          after: snapshot(1, 'Madame, monsieur, il manque une pièce.'),
        },
        {
          action: 'NEW_VERSION',
          actor: api.users.admin.id,
          before: snapshot(1, 'Madame, monsieur, il manque une pièce.'),
          after: snapshot(2, 'Madame, monsieur, la pièce {{numeroProForma}} manque.'),
        },
        {
          action: 'RETIRE',
          actor: api.users.admin.id,
          before: snapshot(2, 'Madame, monsieur, la pièce {{numeroProForma}} manque.'),
          after: snapshot(2, 'Madame, monsieur, la pièce {{numeroProForma}} manque.', retired.body.retiredAt),
        },
      ]);
    });
  });
});
