import crypto from 'node:crypto';
import request from 'supertest';
import { BUNDLES, type Right } from '../../domain/rights';
import { insertCfa, TEST_IBAN, uniqueSiret } from '../helpers/fixtures';
import { recordHistory } from '../helpers/histories';
import {
  invitationSecret as invitationSecretOf,
  seedInstallments,
  startApiStack,
  type ApiStack,
  type TestCfa,
  type TestUser,
} from '../helpers/api';

jest.setTimeout(120_000);

/**
 * Users and rights on the real stack: a user acting for several CFAs sees exactly those; a CFA's user manager creates
 * a user with chosen rights and invites it by e-mail (a one-time link that sets its token), changes and revokes it;
 * tokens expire and are rotated.
 */
describe('users, rights and invitations', () => {
  let api: ApiStack;
  /** A third CFA: neither the multi-CFA user's nor the manager's. */
  let third: TestCfa;

  const as = (user: { token: string }) => {
    const agent = request.agent(api.app);
    const auth = { Authorization: `Bearer ${user.token}` };
    return {
      get: (url: string) => agent.get(url).set(auth),
      post: (url: string, body: object = {}) => agent.post(url).set(auth).send(body),
      patch: (url: string, body: object) => agent.patch(url).set(auth).send(body),
    };
  };

  const email = (who: string) => `${who}-${crypto.randomBytes(4).toString('hex')}@cfa.example`;

  const invitationSecret = (to: string, after?: Date) => invitationSecretOf(api, to, after);

  const accept = (secret: string) => request(api.app).post('/api/invitations/accept').send({ token: secret });

  async function generate(user: TestUser, cfa: TestCfa, amount: number, cfaId?: string): Promise<string> {
    const { installmentIds } = await seedInstallments(api, cfa.id, [amount]);
    const res = await as(user).post('/api/pro-formas', { nature: 'PEDAGOGIE', installmentIds, cfaId });
    expect(res.status).toBe(201);
    return res.body.proFormas[0].number as string;
  }

  beforeAll(async () => {
    api = await startApiStack();
    const row = await insertCfa(api.stack.database.db, { siret: uniqueSiret(), iban: TEST_IBAN });
    third = { id: row.id, siret: row.siret, iban: row.iban, name: row.name };
  });
  afterAll(() => api.teardown());

  describe('a user acting for several CFAs', () => {
    let multi: TestUser;
    const numbers: Record<'first' | 'other' | 'third', string> = { first: '', other: '', third: '' };

    beforeAll(async () => {
      multi = await api.createUser('cfa', null, { cfaIds: [api.cfa.id, api.otherCfa.id] });
      const thirdUser = await api.createUser('cfa', third.id);
      numbers.first = await generate(multi, api.cfa, 11_100, api.cfa.id);
      numbers.other = await generate(multi, api.otherCfa, 22_200, api.otherCfa.id);
      numbers.third = await generate(thirdUser, third, 33_300);
    });

    it('says who it is: its CFAs, its rights with their labels, its token’s expiry', async () => {
      const me = await as(multi).get('/api/me');
      expect(me.status).toBe(200);
      expect(me.body.cfaIds.sort()).toEqual([api.cfa.id, api.otherCfa.id].sort());
      expect(me.body.cfas.map((c: { siret: string }) => c.siret).sort()).toEqual(
        [api.cfa.siret, api.otherCfa.siret].sort(),
      );
      expect(me.body.rights).toEqual([...BUNDLES.cfa]);
      expect(me.body.rightLabels).toContainEqual({ right: 'pro-formas:deposit', label: 'Déposer des factures' });
      expect(me.body.tokenExpiresAt).toBeNull();
    });

    it('lists, counts and opens the pro formas of its CFAs, and no other', async () => {
      const list = await as(multi).get('/api/pro-formas?pageSize=200');
      const listed = list.body.items.map((p: { number: string }) => p.number);
      expect(listed).toEqual(expect.arrayContaining([numbers.first, numbers.other]));
      expect(listed).not.toContain(numbers.third);
      const cfas = new Set(list.body.items.map((p: { cfa: { id: string } }) => p.cfa.id));
      expect([...cfas].sort()).toEqual([api.cfa.id, api.otherCfa.id].sort());
      expect((await as(multi).get(`/api/pro-formas/${numbers.other}`)).status).toBe(200);
      expect((await as(multi).get(`/api/pro-formas/${numbers.third}`)).status).toBe(404);
      expect((await as(multi).get(`/api/pro-formas/${numbers.third}/document.pdf`)).status).toBe(404);
      // A filter on a CFA it does not act for gives nothing; on one of its own, that CFA's only.
      expect((await as(multi).get(`/api/pro-formas?cfaId=${third.id}`)).body.total).toBe(0);
      const own = await as(multi).get(`/api/pro-formas?cfaId=${api.otherCfa.id}&pageSize=200`);
      expect(own.body.items.map((p: { number: string }) => p.number)).toContain(numbers.other);
      expect(own.body.items.every((p: { cfa: { id: string } }) => p.cfa.id === api.otherCfa.id)).toBe(true);
      const csv = await as(multi).get('/api/pro-formas/export.csv');
      expect(csv.text).toContain(numbers.first);
      expect(csv.text).toContain(numbers.other);
      expect(csv.text).not.toContain(numbers.third);
    });

    it('counts on the dashboard the pro formas of its CFAs together', async () => {
      const mine = await as(multi).get('/api/dashboard');
      const first = await as(api.users.cfa).get('/api/dashboard');
      const other = await as(api.users.otherCfa).get('/api/dashboard');
      const count = (body: { counters: { category: string; count: number }[] }, category: string) =>
        body.counters.find((c) => c.category === category)?.count ?? -1;
      for (const { category } of mine.body.counters as { category: string }[]) {
        expect(count(mine.body, category)).toBe(count(first.body, category) + count(other.body, category));
      }
    });

    it('reads the contracts and mandates of its CFAs only', async () => {
      const contracts = await as(multi).get('/api/contracts?pageSize=200');
      const cfaIds = new Set(contracts.body.items.map((c: { cfaId: string }) => c.cfaId));
      expect([...cfaIds].sort()).toEqual([api.cfa.id, api.otherCfa.id].sort());
      const mandates = await as(multi).get('/api/mandates');
      expect(mandates.body.items.length).toBeGreaterThan(0);
      for (const m of mandates.body.items) expect([api.cfa.id, api.otherCfa.id]).toContain(m.cfaId);
    });

    it('says for which CFA it generates: 422 without it, 404 for a CFA it does not act for', async () => {
      const { installmentIds } = await seedInstallments(api, api.cfa.id, [44_400]);
      const unsaid = await as(multi).post('/api/pro-formas', { nature: 'PEDAGOGIE', installmentIds });
      expect(unsaid.status).toBe(422);
      expect(unsaid.body.error.details.issues[0].path).toBe('cfaId');
      const foreign = await as(multi).post('/api/pro-formas', { nature: 'PEDAGOGIE', installmentIds, cfaId: third.id });
      expect(foreign.status).toBe(404);
      expect((await as(multi).get('/api/installments/eligible?nature=PEDAGOGIE')).status).toBe(422);
      const eligible = await as(multi).get(`/api/installments/eligible?nature=PEDAGOGIE&cfaId=${api.cfa.id}`);
      expect(eligible.body.items.map((i: { id: string }) => i.id)).toContain(installmentIds[0]);
      expect((await as(multi).get(`/api/my-cfa?cfaId=${api.otherCfa.id}`)).body.siret).toBe(api.otherCfa.siret);
      expect((await as(multi).get(`/api/my-cfa?cfaId=${third.id}`)).status).toBe(404);
      expect((await as(multi).get('/api/my-cfa')).status).toBe(422);
    });
  });

  describe('a CFA’s user manager', () => {
    let manager: TestUser;

    beforeAll(async () => {
      manager = await api.createUser('cfa', api.cfa.id);
    });

    it('creates a user with chosen rights, who sets its token through the e-mailed link, once', async () => {
      const address = email('deposant');
      const rights: Right[] = ['pro-formas:read', 'pro-formas:deposit'];
      const created = await as(manager).post('/api/my-cfa/users', { name: 'Déposant', email: address, rights });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        role: 'cfa',
        cfaIds: [api.cfa.id],
        rights,
        status: 'INVITED',
        manageable: true,
        invitation: { sentAt: null },
      });
      expect(created.body).not.toHaveProperty('token');

      const secret = await invitationSecret(address);
      const mail = await api.stack.database.db
        .selectFrom('notifications')
        .select('subject')
        .where('recipient', '=', address)
        .executeTakeFirstOrThrow();
      expect(mail.subject).toBe('Votre accès au service de facturation des contrats d’apprentissage');
      // Only the link's hash is stored.
      const stored = await api.stack.database.db
        .selectFrom('invitations')
        .select('token_hash')
        .where('user_id', '=', created.body.id)
        .executeTakeFirstOrThrow();
      expect(stored.token_hash).toBe(crypto.createHash('sha256').update(secret).digest('hex'));
      // The e-mail went by a workflow, which Temporal UI shows; its history never holds the secret.
      const invitation = await api.stack.database.db
        .selectFrom('invitations')
        .select('id')
        .where('user_id', '=', created.body.id)
        .executeTakeFirstOrThrow();
      const workflow = api.stack.client.workflow.getHandle(`invitation-${invitation.id}`);
      expect(await workflow.result()).toEqual({ sent: true });
      const history = JSON.stringify(await workflow.fetchHistory());
      expect(history).toContain(invitation.id);
      expect(history).not.toContain(secret);
      await recordHistory(workflow, 'invitation-sent');

      const accepted = await accept(secret);
      expect(accepted.status).toBe(200);
      expect(accepted.body.user).toEqual({ id: created.body.id, name: 'Déposant', email: address, role: 'cfa' });
      const again = await accept(secret);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('INVITATION_USED');
      expect((await accept(crypto.randomBytes(32).toString('base64url'))).status).toBe(404);

      const user = { token: accepted.body.token as string };
      const me = await as(user).get('/api/me');
      expect(me.body).toMatchObject({ id: created.body.id, rights, cfaIds: [api.cfa.id] });
      // What its rights allow, and nothing else.
      expect((await as(user).get('/api/pro-formas')).status).toBe(200);
      const generation = await as(user).post('/api/pro-formas', { nature: 'PEDAGOGIE' });
      expect(generation.status).toBe(403);
      expect(generation.body.error).toMatchObject({ code: 'FORBIDDEN', details: { right: 'pro-formas:generate' } });
      expect((await as(user).get('/api/pro-formas/export.csv')).status).toBe(403);
      expect((await as(user).get('/api/my-cfa/users')).status).toBe(403);

      const listed = await as(manager).get('/api/my-cfa/users?pageSize=200');
      expect(listed.body.items.find((u: { id: string }) => u.id === created.body.id)).toMatchObject({
        status: 'ACTIVE',
        invitation: null,
      });
    });

    it('changes a user’s rights (at once), revokes it, and brings it back with a new invitation', async () => {
      const address = email('lecteur');
      const created = await as(manager).post('/api/my-cfa/users', {
        name: 'Lecteur',
        email: address,
        rights: ['pro-formas:read'],
      });
      const user = { token: (await accept(await invitationSecret(address))).body.token as string };
      expect((await as(user).get('/api/pro-formas/export.csv')).status).toBe(403);

      const changed = await as(manager).patch(`/api/my-cfa/users/${created.body.id}`, {
        rights: ['pro-formas:read', 'pro-formas:export'],
      });
      expect(changed.status).toBe(200);
      expect(changed.body.rights).toEqual(['pro-formas:read', 'pro-formas:export']);
      expect((await as(user).get('/api/pro-formas/export.csv')).status).toBe(200);

      const revoked = await as(manager).post(`/api/my-cfa/users/${created.body.id}/revoke`);
      expect(revoked.body.status).toBe('REVOKED');
      expect((await as(user).get('/api/me')).body.error.message).toBe('Jeton révoqué.');

      const before = new Date();
      const invited = await as(manager).post(`/api/my-cfa/users/${created.body.id}/invitation`);
      expect(invited.status).toBe(201);
      const back = await accept(await invitationSecret(address, before));
      expect(back.status).toBe(200);
      expect((await as({ token: back.body.token }).get('/api/pro-formas/export.csv')).status).toBe(200);
      // The old token stays dead.
      expect((await as(user).get('/api/me')).status).toBe(401);

      const audit = await api.stack.database.db
        .selectFrom('reference_audit')
        .select(['action', 'actor', 'after'])
        .where('entity', '=', 'USER')
        .where('entity_id', '=', created.body.id)
        .orderBy('id')
        .execute();
      expect(audit.map((a) => a.action)).toEqual([
        'CREATE',
        'INVITE',
        'INVITATION_ACCEPTED',
        'UPDATE',
        'REVOKE',
        'INVITE',
        'INVITATION_ACCEPTED',
      ]);
      expect(audit.filter((a) => a.action !== 'INVITATION_ACCEPTED').every((a) => a.actor === manager.id)).toBe(true);
      expect(JSON.stringify(audit)).not.toContain(back.body.token);
    });

    it('makes only the latest invitation link work', async () => {
      const address = email('relance');
      const created = await as(manager).post('/api/my-cfa/users', { name: 'R', email: address, rights: [] });
      const first = await invitationSecret(address);
      const before = new Date();
      await as(manager).post(`/api/my-cfa/users/${created.body.id}/invitation`);
      const second = await invitationSecret(address, before);
      expect(second).not.toBe(first);
      const stale = await accept(first);
      expect(stale.status).toBe(409);
      expect(stale.body.error.code).toBe('INVITATION_CANCELLED');
      expect((await accept(second)).status).toBe(200);
    });

    it('refuses an expired invitation', async () => {
      const address = email('tardif');
      const created = await as(manager).post('/api/my-cfa/users', { name: 'T', email: address, rights: [] });
      const secret = await invitationSecret(address);
      await api.stack.database.db
        .updateTable('invitations')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', created.body.id)
        .execute();
      const late = await accept(secret);
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('INVITATION_EXPIRED');
    });

    it('gives only rights it holds and its role allows, to users of its own CFAs, never to itself', async () => {
      const limited = await api.createUser('cfa', api.cfa.id, { rights: ['cfa-users:manage', 'pro-formas:read'] });
      const beyond = await as(limited).post('/api/my-cfa/users', {
        name: 'X',
        email: email('x'),
        rights: ['pro-formas:deposit'],
      });
      expect(beyond.status).toBe(422);
      expect(beyond.body.error.details.issues[0].message).toContain('pro-formas:deposit');
      const staffRight = await as(manager).post('/api/my-cfa/users', {
        name: 'Y',
        email: email('y'),
        rights: ['admin:manage'],
      });
      expect(staffRight.status).toBe(422);
      const foreignCfa = await as(manager).post('/api/my-cfa/users', {
        name: 'Z',
        email: email('z'),
        rights: [],
        cfaIds: [api.otherCfa.id],
      });
      expect(foreignCfa.status).toBe(404);

      // Another CFA's user is unknown; a user acting for another CFA too is the Opco's to change; oneself neither.
      expect((await as(manager).post(`/api/my-cfa/users/${api.users.otherCfa.id}/revoke`)).status).toBe(404);
      const shared = await api.createUser('cfa', null, { cfaIds: [api.cfa.id, third.id] });
      const sharedChange = await as(manager).patch(`/api/my-cfa/users/${shared.id}`, { rights: [] });
      expect(sharedChange.status).toBe(403);
      const listed = await as(manager).get('/api/my-cfa/users?pageSize=200');
      expect(listed.body.items.find((u: { id: string }) => u.id === shared.id)).toMatchObject({
        manageable: false,
        cfaIds: [api.cfa.id],
      });
      const self = await as(manager).post(`/api/my-cfa/users/${manager.id}/revoke`);
      expect(self.status).toBe(409);
      expect(self.body.error.code).toBe('OWN_ACCOUNT');
      expect((await as(manager).get('/api/me')).status).toBe(200);
    });
  });

  describe('tokens', () => {
    it('refuses an expired token', async () => {
      const user = await api.createUser('validator', null, { tokenExpiresAt: new Date(Date.now() - 1000) });
      const res = await as(user).get('/api/me');
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('Jeton expiré : demandez-en un nouveau (invitation ou administrateur).');
    });

    it('rotates a token: the new one valid for TOKEN_TTL, the old one dead at once', async () => {
      const user = await api.createUser('cfa', api.cfa.id);
      const rotated = await as(user).post('/api/me/token');
      expect(rotated.status).toBe(200);
      const expiresAt = Date.parse(rotated.body.tokenExpiresAt);
      expect(expiresAt).toBeGreaterThan(Date.now() + 89 * 86_400_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 90 * 86_400_000);
      expect((await as(user).get('/api/me')).status).toBe(401);
      expect((await as({ token: rotated.body.token }).get('/api/me')).body.id).toBe(user.id);
      const audit = await api.stack.database.db
        .selectFrom('reference_audit')
        .select(['action', 'actor'])
        .where('entity_id', '=', user.id)
        .where('action', '=', 'TOKEN_ROTATED')
        .execute();
      expect(audit).toEqual([{ action: 'TOKEN_ROTATED', actor: user.id }]);
    });

    it('lets a token issued under a short TOKEN_TTL expire', async () => {
      const app = api.appWith({ TOKEN_TTL: '2s' });
      const user = await api.createUser('validator');
      const rotated = await request(app).post('/api/me/token').set('Authorization', `Bearer ${user.token}`).send({});
      const token = rotated.body.token as string;
      expect((await request(app).get('/api/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_200));
      const late = await request(app).get('/api/me').set('Authorization', `Bearer ${token}`);
      expect(late.status).toBe(401);
    });

    it('lets an admin create a user with chosen rights and CFAs, invited rather than given a token', async () => {
      const address = email('admin-invite');
      const created = await as(api.users.admin).post('/api/admin/users', {
        role: 'cfa',
        name: 'Invitée',
        email: address,
        cfaIds: [api.cfa.id, third.id],
        rights: ['pro-formas:read'],
        invite: true,
      });
      expect(created.status).toBe(201);
      expect(created.body).not.toHaveProperty('token');
      expect(created.body).toMatchObject({ status: 'INVITED', rights: ['pro-formas:read'] });
      expect(created.body.cfaIds.sort()).toEqual([api.cfa.id, third.id].sort());
      const accepted = await accept(await invitationSecret(address));
      expect((await as({ token: accepted.body.token }).get('/api/me')).body.cfaIds.sort()).toEqual(
        [api.cfa.id, third.id].sort(),
      );
      const wrong = await as(api.users.admin).post('/api/admin/users', {
        role: 'validator',
        name: 'V',
        email: email('v'),
        rights: ['pro-formas:deposit'],
      });
      expect(wrong.status).toBe(422);
    });
  });
});
