import { startApiStack, type ApiStack } from '../helpers/api';
import request from 'supertest';

/** Browser sessions: a cookie opened with a token, CSRF on writes, bearer tokens unchanged. */
describe('browser sessions', () => {
  jest.setTimeout(60_000);
  let api: ApiStack;

  beforeAll(async () => {
    api = await startApiStack();
  });
  afterAll(async () => {
    await api?.teardown();
  });

  async function signIn(token: string) {
    const agent = request.agent(api.app);
    const opened = await agent.post('/api/session').send({ token });
    return { agent, opened };
  }

  it('opens a session with a token: an httpOnly SameSite=Strict cookie, the user and a CSRF token', async () => {
    const { agent, opened } = await signIn(api.users.cfa.token);
    expect(opened.status).toBe(201);
    const cookie = String(opened.headers['set-cookie']);
    expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(opened.body).toMatchObject({
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      user: { id: api.users.cfa.id, role: 'cfa', cfaIds: [api.cfa.id] },
      temporalUiUrl: null,
    });
    // The cookie alone reads; the session answers the same CSRF token.
    const read = await agent.get('/api/session');
    expect(read.status).toBe(200);
    expect(read.body.csrfToken).toBe(opened.body.csrfToken);
    expect((await agent.get('/api/pro-formas')).status).toBe(200);
  });

  it('refuses a write of the session without its CSRF token (403), accepts it with the token', async () => {
    const { agent, opened } = await signIn(api.users.admin.token);
    const body = { code: `WEB${Date.now() % 100000}`, label: 'Motif du web', letter: 'Lettre du web.' };
    const without = await agent.post('/api/admin/refusal-reasons').send(body);
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('CSRF_REJECTED');
    const wrong = await agent.post('/api/admin/refusal-reasons').set('X-CSRF-Token', 'x'.repeat(32)).send(body);
    expect(wrong.status).toBe(403);
    const withToken = await agent
      .post('/api/admin/refusal-reasons')
      .set('X-CSRF-Token', opened.body.csrfToken)
      .send(body);
    expect(withToken.status).toBe(201);
  });

  it('refuses an unknown token (401) and a revoked user’s session at once', async () => {
    expect((await signIn('nope')).opened.status).toBe(401);
    const user = await api.createUser('validator');
    const { agent } = await signIn(user.token);
    expect((await agent.get('/api/validation/queue')).status).toBe(200);
    await request(api.app)
      .post(`/api/admin/users/${user.id}/revoke`)
      .set('Authorization', `Bearer ${api.users.admin.token}`)
      .send({})
      .expect(200);
    expect((await agent.get('/api/validation/queue')).status).toBe(401);
  });

  it('signs out: the cookie stops working, the token keeps working for API clients', async () => {
    const { agent, opened } = await signIn(api.users.validator.token);
    const cookie = String(opened.headers['set-cookie']).split(';')[0] as string;
    const out = await agent.post('/api/session/logout').set('X-CSRF-Token', opened.body.csrfToken).send({});
    expect(out.status).toBe(204);
    const replay = await request(api.app).get('/api/session').set('Cookie', cookie);
    expect(replay.status).toBe(401);
    const bearer = await request(api.app).get('/api/me').set('Authorization', `Bearer ${api.users.validator.token}`);
    expect(bearer.status).toBe(200);
  });

  it('a session never outlives its token', async () => {
    const soon = new Date(Date.now() + 60_000);
    const user = await api.createUser('cfa', api.cfa.id, { tokenExpiresAt: soon });
    const { opened } = await signIn(user.token);
    expect(opened.status).toBe(201);
    expect(new Date(opened.body.expiresAt).getTime()).toBe(soon.getTime());
  });

  it('answers 429 after LOGIN_RATE_LIMIT failed sign-ins from one address; successful ones do not count', async () => {
    const app = api.appWith({ LOGIN_RATE_LIMIT: '2' });
    const open = (token: string) => request(app).post('/api/session').send({ token });
    for (let i = 0; i < 3; i++) expect((await open(api.users.cfa.token)).status).toBe(201);
    expect((await open('wrong-1')).status).toBe(401);
    expect((await open('wrong-2')).status).toBe(401);
    const limited = await open(api.users.cfa.token);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      message: 'Trop de tentatives de connexion : réessayez dans un quart d’heure.',
    });
  });
});
