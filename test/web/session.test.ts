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
});
