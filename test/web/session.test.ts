import crypto from 'node:crypto';
import request from 'supertest';
import { invitationSecret } from '../helpers/api';
import { checkPage, startWebStack, type WebStack } from '../helpers/browser';

describe('web pages: signing in', () => {
  jest.setTimeout(120_000);
  let web: WebStack;

  beforeAll(async () => {
    web = await startWebStack();
  });
  afterEach(() => {
    expect(web.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    await web?.teardown();
  });

  it('a signed-out visitor is sent to the login page; a wrong token is refused in words; the right one opens the session', async () => {
    const page = await web.newPage();
    await page.goto('/pro-formas');
    await page.waitForURL(/\/connexion\?retour=%2Fpro-formas/);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await checkPage(page, 'login');

    await page.getByLabel('Jeton d’accès').fill('not-a-token');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').getByText('Jeton inconnu, révoqué ou expiré.').waitFor();

    await page.getByLabel('Jeton d’accès').fill(web.api.users.cfa.token);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(/\/pro-formas$/);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/connexion/);
    // The session is over on the server too: the old cookie no longer opens anything.
    const replay = await page.context().request.get('/api/session', {
      headers: { Cookie: `session=${session?.value}` },
    });
    expect(replay.status()).toBe(401);
  });

  it('an invitation link opens the access: the API token shown once, the session opened, the link spent', async () => {
    const email = `nina-${crypto.randomBytes(4).toString('hex')}@cfa.example`;
    const created = await request(web.api.app)
      .post('/api/my-cfa/users')
      .set('Authorization', `Bearer ${web.api.users.cfa.token}`)
      .send({ name: 'Nina Invitée', email, rights: ['pro-formas:read', 'installments:read'] });
    expect(created.status).toBe(201);
    const secret = await invitationSecret(web.api, email);

    const page = await web.newPage();
    await page.goto(`/invitation#${secret}`);
    await page.getByRole('heading', { name: 'Invitation' }).waitFor();
    await checkPage(page, 'invitation');
    await page.getByRole('button', { name: 'Accepter l’invitation' }).click();
    await page.getByRole('heading', { name: 'Bienvenue, Nina Invitée' }).waitFor();
    // The secret is spent and leaves the address bar; the token is shown once, and it is the user's.
    expect(new URL(page.url()).hash).toBe('');
    const token = ((await page.locator('pre').textContent()) ?? '').trim();
    const me = await request(web.api.app).get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(me.body).toMatchObject({ name: 'Nina Invitée', email });
    await page.getByRole('link', { name: 'Accéder à mon espace' }).click();
    await page.waitForURL(/\/tableau-de-bord$/);
    await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();

    const again = await web.newPage();
    await again.goto(`/invitation#${secret}`);
    await again.getByRole('button', { name: 'Accepter l’invitation' }).click();
    await again.getByRole('alert').filter({ hasText: 'Invitation refusée' }).waitFor();
  });
});
