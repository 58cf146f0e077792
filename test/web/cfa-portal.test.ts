import crypto from 'node:crypto';
import type { Page } from 'playwright-core';
import { BUNDLES } from '../../domain/rights';
import {
  matchingInvoice,
  programReadings,
  seedInstallments,
  waitForProForma,
  generatedProForma,
  type TestUser,
} from '../helpers/api';
import { checkPage, startWebStack, TABLET, type WebStack } from '../helpers/browser';

/**
 * The CFA portal in a real browser: dashboard counters and their lists, eligible installments (search, selection,
 * recap, generation, a selection changed meanwhile), contracts and schedules, « Mon CFA », the CFA's users, and what a
 * user without the right does not see.
 */

const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const euros = (cents: number) => EUROS.format(cents / 100);
const PARIS = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });

describe('web pages: the CFA portal', () => {
  jest.setTimeout(120_000);
  let web: WebStack;
  const tag = crypto.randomBytes(3).toString('hex').toUpperCase();

  /** The API as the CFA user (supertest with its token). */
  const as = (user: TestUser) => {
    const { agent, auth } = web.api.http(user);
    return {
      get: (path: string) => agent.get(path).set(auth),
      post: (path: string, body: object) => agent.post(path).set(auth).send(body),
    };
  };

  beforeAll(async () => {
    web = await startWebStack();
  });
  afterEach(() => {
    expect(web.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    await web?.teardown();
  });

  /** The recap under the list (a region named by its heading). */
  const recap = (page: Page) =>
    page.getByRole('region', { name: 'Récapitulatif des échéances éligibles pour facturation' });

  /** The recap is computed (no calculation pending). */
  const settled = (page: Page) =>
    recap(page).getByLabel('Calcul du récapitulatif').waitFor({ state: 'detached', timeout: 5_000 });

  /** Searches the eligible installments by contract number and waits for the count the page announces. */
  async function searchNumber(page: Page, number: string, expected: string) {
    await page.getByLabel('N° de contrat').fill(number);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByText(expected).waitFor();
  }

  it('a CFA user sees its counters; a counter opens the list filtered on its category', async () => {
    const proForma = await generatedProForma(web.api, 123_456);
    const readings = programReadings(web.api);
    const { pdf } = matchingInvoice(web.api, readings, proForma);
    const { agent, auth } = web.api.http(web.api.users.cfa);
    const deposit = await agent
      .post(`/api/pro-formas/${proForma.number}/invoice`)
      .set(auth)
      .attach('file', pdf, 'facture.pdf');
    expect(deposit.status).toBe(202);
    await waitForProForma(web.api, web.api.users.cfa, proForma.number, (p) => p.status === 'UNDER_VALIDATION');
    const dashboard = await as(web.api.users.cfa).get('/api/dashboard');
    const emises = (
      dashboard.body as { counters: { category: string; count: number; updatedAt: string }[] }
    ).counters.find((c) => c.category === 'EMISES');
    expect(emises?.count).toBeGreaterThanOrEqual(1);

    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/');
    await page.waitForURL(/\/tableau-de-bord$/);
    await page.getByRole('heading', { name: 'Tableau de bord', level: 1 }).waitFor();
    const counters = page.getByRole('list', { name: 'Compteurs des pro formas' });
    const emisesLink = { name: `Émises ${emises!.count} pro forma${emises!.count > 1 ? 's' : ''}`, exact: true };
    const link = counters.getByRole('link', emisesLink);
    await link.waitFor();
    const card = counters.getByRole('listitem').filter({ has: page.getByRole('link', emisesLink) });
    expect(await card.textContent()).toContain(`Mis à jour le ${PARIS.format(new Date(emises!.updatedAt))}`);
    for (const label of ['Transmises', 'Refusées', 'Rejetées', 'Prises en charge']) {
      await counters.getByRole('link', { name: new RegExp(`^${label} \\d+ pro formas?$`) }).waitFor();
    }
    expect(await counters.getByRole('listitem').count()).toBe(5);
    expect(await page.getByRole('link', { name: 'Générer une pro forma' }).getAttribute('href')).toBe('/echeances');
    await checkPage(page, 'cfa-dashboard');

    await link.click();
    await page.waitForURL(/\/pro-formas\?category=EMISES$/);
  });

  it('/echeances: the search narrows the list, the selection changes the recap, generating creates the pro formas', async () => {
    await seedInstallments(web.api, web.api.cfa.id, [120_000, 80_050], {
      number: `ECH-A-${tag}`,
      apprenticeName: 'Camille Dufresne',
    });
    await seedInstallments(web.api, web.api.cfa.id, [45_000, -17_500], {
      number: `ECH-B-${tag}`,
      apprenticeName: 'Jules Fontaine',
      status: 'RUPTURE',
    });
    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/echeances');
    await page.getByRole('heading', { name: 'Échéances éligibles', level: 1 }).waitFor();
    expect(await page.getByRole('tab', { name: 'Pédagogie' }).getAttribute('aria-selected')).toBe('true');

    // The search by number: only contract A's two installments, both selected by default.
    await searchNumber(page, `ECH-A-${tag}`, '2 échéances éligibles · 2 sélectionnées');
    expect(await page.getByRole('checkbox', { name: /contrat ECH-B/ }).count()).toBe(0);
    await recap(page).getByText(euros(200_050)).first().waitFor();

    // Unticking February's installment: the recap counts one included, 1 200,00 €.
    await page
      .getByRole('checkbox', { name: `Sélectionner l’échéance du contrat ECH-A-${tag} du 01/02/2026` })
      .uncheck();
    await page.getByText('2 échéances éligibles · 1 sélectionnée').waitFor();
    await recap(page).getByText(euros(120_000)).first().waitFor();
    await settled(page);
    expect(await recap(page).textContent()).not.toContain(euros(200_050));
    await checkPage(page, 'cfa-installments');
    await page.getByRole('button', { name: 'Tout sélectionner' }).click();
    await recap(page).getByText(euros(200_050)).first().waitFor();

    // The advanced search: contract B is the only one of this apprentice in « Rupture ».
    await page.getByRole('button', { name: 'Réinitialiser les filtres' }).click();
    await page.getByRole('button', { name: 'Recherche avancée' }).click();
    await page.getByLabel('Nom de l’apprenti').fill('Fontaine');
    await page.getByLabel('Statut du contrat').selectOption('RUPTURE');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByText('2 échéances éligibles · 2 sélectionnées').waitFor();
    expect(await page.getByRole('checkbox', { name: /contrat ECH-A/ }).count()).toBe(0);
    await recap(page).getByText(euros(27_500)).waitFor();
    const figures = await recap(page).textContent();
    expect(figures).toContain(euros(45_000));
    expect(figures).toContain(euros(-17_500));

    // Generating: an invoice and a credit note, the credit note settled by repayment.
    await page.getByRole('button', { name: 'Générer pro forma pédagogie' }).click();
    const dialog = page.getByRole('dialog', { name: 'Générer pro forma pédagogie' });
    await dialog.getByText('Deux pro formas seront générées :').waitFor();
    await dialog.getByRole('radio', { name: 'Remboursement' }).check();
    await dialog.getByText('Vous remboursez le montant de l’avoir').waitFor();
    await dialog.getByRole('button', { name: 'Générer', exact: true }).click();
    await dialog.getByText('Génération terminée !').waitFor();
    const links = dialog.getByRole('link', { name: /^Pro forma PRO-\d{8}$/ });
    expect(await links.count()).toBe(2);
    const numbers = (await links.allTextContents()).map((t) => t.replace('Pro forma ', ''));
    const created = await Promise.all(numbers.map((n) => as(web.api.users.cfa).get(`/api/pro-formas/${n}`)));
    expect(created.map((r) => [r.status, r.body.kind, r.body.totalCents, r.body.settlementMode]).sort()).toEqual([
      [200, 'CREDIT_NOTE', -17_500, 'REMBOURSEMENT'],
      [200, 'INVOICE', 45_000, null],
    ]);
    expect(await links.first().getAttribute('href')).toBe(`/pro-formas/${numbers[0]}`);
    await checkPage(page, 'cfa-generated');

    // The pro forma's PDF, downloaded under its number.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: `Télécharger la pro forma ${numbers[0]}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${numbers[0]}.pdf`);

    // Back on the list, the generated installments are no longer eligible.
    await dialog.getByRole('button', { name: 'Fermer', exact: true }).click();
    await page.getByText('Aucune échéance éligible pour cette recherche.').waitFor();
    await recap(page).getByText('Aucune échéance sélectionnée').waitFor();
    await settled(page);
  });

  it('a selection changed meanwhile (an installment generated by the API in the background) is refused in words', async () => {
    const c = await seedInstallments(web.api, web.api.cfa.id, [33_300, 44_400], { number: `ECH-C-${tag}` });
    const page = await web.newPage(web.api.users.cfa, TABLET);
    await page.goto('/echeances');
    await searchNumber(page, `ECH-C-${tag}`, '2 échéances éligibles · 2 sélectionnées');
    await recap(page).getByText(euros(77_700)).first().waitFor();
    await settled(page);
    await checkPage(page, 'cfa-installments-tablet');

    await page.getByRole('button', { name: 'Générer pro forma pédagogie' }).click();
    const dialog = page.getByRole('dialog', { name: 'Générer pro forma pédagogie' });
    await dialog.getByText('Une pro forma sera générée :').waitFor();
    const meanwhile = await as(web.api.users.cfa).post('/api/pro-formas', {
      nature: 'PEDAGOGIE',
      installmentIds: [c.installmentIds[0]],
    });
    expect(meanwhile.status).toBe(201);

    await dialog.getByRole('button', { name: 'Générer', exact: true }).click();
    const alert = dialog.getByRole('alert').filter({ hasText: 'La génération n’a pas abouti' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('La sélection a changé depuis le récapitulatif');
    expect(await dialog.getByRole('button', { name: 'Générer', exact: true }).isDisabled()).toBe(true);
    await checkPage(page, 'cfa-generation-refused');
    // Nothing was generated: the second installment is still eligible.
    const still = await as(web.api.users.cfa).get(
      `/api/installments/eligible?nature=PEDAGOGIE&contractNumber=ECH-C-${tag}`,
    );
    expect(still.body.items.map((i: { id: string }) => i.id)).toEqual([c.installmentIds[1]]);

    // Back to the selection: the list and the recap are refreshed.
    await dialog.getByRole('button', { name: 'Revenir à la sélection' }).click();
    await page.getByText('1 échéance éligible · 1 sélectionnée').waitFor();
    await recap(page).getByText(euros(44_400)).first().waitFor();

    // A search the API refuses (422) is explained field by field.
    await page.getByRole('button', { name: 'Recherche avancée' }).click();
    await page.getByLabel('SIRET adhérent (employeur)').fill('123');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Recherche impossible' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('SIRET attendu : 14 chiffres');
  });

  it('lists the contracts with a search, and shows a contract’s schedule with its pro forma', async () => {
    const d = await seedInstallments(web.api, web.api.cfa.id, [10_000, 20_000, 30_000], {
      number: `CTR-${tag}`,
      apprenticeName: 'Inès Marchand',
    });
    const generated = await as(web.api.users.cfa).post('/api/pro-formas', {
      nature: 'PEDAGOGIE',
      installmentIds: [d.installmentIds[0]],
    });
    expect(generated.status).toBe(201);
    const number = generated.body.proFormas[0].number as string;

    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/contrats');
    await page.getByRole('heading', { name: 'Mes contrats', level: 1 }).waitFor();
    await page.getByRole('link', { name: `ECH-A-${tag}` }).waitFor();
    await page.getByLabel('Nom de l’apprenti').fill('marchand');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForURL(/apprenti=marchand/);
    await page.getByText('1–1 sur 1').waitFor();
    expect(await page.getByRole('link', { name: `ECH-A-${tag}` }).count()).toBe(0);
    await checkPage(page, 'cfa-contracts');

    await page.getByRole('link', { name: `CTR-${tag}` }).click();
    await page.getByRole('heading', { name: `Contrat CTR-${tag}`, level: 1 }).waitFor();
    const rows = page.getByRole('table', { name: 'Échéancier du contrat' }).getByRole('row');
    await rows.nth(3).getByText(euros(30_000)).waitFor();
    expect(await rows.count()).toBe(4);
    const first = await rows.nth(1).textContent();
    expect(first).toContain(euros(10_000));
    expect(first).toContain('Dans une pro forma');
    expect(first).toContain(number);
    expect(await rows.nth(2).textContent()).toContain('Éligible');
    expect(await page.getByRole('link', { name: number }).getAttribute('href')).toBe(`/pro-formas/${number}`);
    await page.getByText('Inès Marchand').waitFor();
    await checkPage(page, 'cfa-contract-detail');
  });

  it('« Mon CFA » shows the CFA’s SIRET and IBAN and saves the settings', async () => {
    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/mon-cfa');
    await page.getByRole('heading', { name: 'Mon CFA', level: 1 }).waitFor();
    await page.getByText(web.api.cfa.siret, { exact: true }).waitFor();
    await page.getByText(web.api.cfa.iban.replace(/(.{4})(?=.)/g, '$1 '), { exact: true }).waitFor();
    await page.getByRole('table', { name: 'Mandats de facturation' }).getByText('01/01/2020').waitFor();

    await page.getByRole('button', { name: 'Ajouter une adresse' }).click();
    const email = `compta-${tag.toLowerCase()}@cfa.example`;
    await page.getByRole('textbox', { name: 'Adresse 1' }).fill(email);
    await page
      .getByRole('group', { name: 'E-mails reçus par l’adresse 1' })
      .getByLabel('Relance : facture attendue')
      .uncheck();
    await page.getByRole('radio', { name: 'Remboursement' }).check();
    await checkPage(page, 'cfa-my-cfa');
    await page.getByRole('button', { name: 'Enregistrer les réglages' }).click();
    await page.getByRole('status').filter({ hasText: 'Vos réglages sont enregistrés.' }).waitFor();

    const saved = await as(web.api.users.cfa).get('/api/my-cfa');
    expect(saved.body.creditNoteSettlement).toBe('REMBOURSEMENT');
    expect(saved.body.notificationEmails).toHaveLength(1);
    expect(saved.body.notificationEmails[0].email).toBe(email);
    expect(saved.body.notificationEmails[0].kinds).not.toContain('REMINDER');
    expect(saved.body.notificationEmails[0].kinds).toContain('REFUSED');

    // A user of two CFAs chooses the CFA it acts for.
    const both = await web.api.createUser('cfa', null, { cfaIds: [web.api.cfa.id, web.api.otherCfa.id] });
    const multi = await web.newPage(both);
    await multi.goto('/mon-cfa');
    await multi.getByLabel('CFA', { exact: true }).selectOption(web.api.otherCfa.id);
    await multi.getByText(web.api.otherCfa.siret, { exact: true }).waitFor();
    await multi.getByLabel('CFA', { exact: true }).selectOption(web.api.cfa.id);
    await multi.getByText(web.api.cfa.siret, { exact: true }).waitFor();
    expect(await multi.getByRole('alert').filter({ hasText: 'IBAN à vérifier' }).count()).toBe(0);

    // The bank refused a transfer to the other CFA's IBAN: its users are told why their payments wait.
    await web.api.stack.database.db
      .updateTable('cfas')
      .set({ iban_flag: 'AC04 — compte clôturé', iban_flagged_at: new Date() })
      .where('id', '=', web.api.otherCfa.id)
      .execute();
    await multi.getByLabel('CFA', { exact: true }).selectOption(web.api.otherCfa.id);
    const flag = multi.getByRole('alert').filter({ hasText: 'IBAN à vérifier' });
    await flag.getByText('AC04 — compte clôturé', { exact: false }).waitFor();
    // Only the mandate of the CFA shown (each test CFA has one).
    await multi.getByRole('table', { name: 'Mandats de facturation' }).getByText('01/01/2020').waitFor();
    expect(await multi.getByRole('table', { name: 'Mandats de facturation' }).getByText('01/01/2020').count()).toBe(1);
    await checkPage(multi, 'cfa-my-cfa-iban-flagged');
  });

  it('a user manager invites a user, who shows as invited', async () => {
    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/utilisateurs');
    await page.getByRole('heading', { name: 'Utilisateurs', level: 1 }).waitFor();
    await page.getByRole('row', { name: /\(vous\)/ }).waitFor();
    await page.getByRole('button', { name: 'Inviter un utilisateur' }).click();
    const dialog = page.getByRole('dialog', { name: 'Inviter un utilisateur' });
    const name = `Nora Belkacem ${tag}`;
    await dialog.getByLabel('Nom').fill(name);
    await dialog.getByLabel('Adresse e-mail').fill(`nora-${tag.toLowerCase()}@cfa.example`);
    await dialog.getByLabel('Gérer les utilisateurs du CFA').waitFor();
    expect(await dialog.getByLabel('Gérer les utilisateurs du CFA').isChecked()).toBe(false);
    expect(await dialog.getByLabel('Déposer des factures').isChecked()).toBe(true);
    await checkPage(page, 'cfa-users-invite');
    await dialog.getByRole('button', { name: 'Envoyer l’invitation' }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.getByRole('row', { name: new RegExp(name) });
    await row.getByText('Invité', { exact: true }).waitFor();
    await checkPage(page, 'cfa-users');
    const users = await as(web.api.users.cfa).get('/api/my-cfa/users');
    const invited = (users.body.items as { name: string; status: string; rights: string[] }[]).find(
      (u) => u.name === name,
    );
    expect(invited?.status).toBe('INVITED');
    expect(invited?.rights).toContain('pro-formas:deposit');
    expect(invited?.rights).not.toContain('cfa-users:manage');
  });

  it('a CFA user without the user-management right sees no « Utilisateurs » link, and the page is not found', async () => {
    const limited = await web.api.createUser('cfa', web.api.cfa.id, {
      rights: BUNDLES.cfa.filter((r) => r !== 'cfa-users:manage'),
    });
    const page = await web.newPage(limited);
    await page.goto('/tableau-de-bord');
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    await nav.getByRole('link', { name: 'Mon CFA' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Échéances éligibles' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Utilisateurs' }).count()).toBe(0);

    await page.goto('/utilisateurs');
    await page.getByRole('heading', { name: 'Page introuvable', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Inviter un utilisateur' }).count()).toBe(0);
    await checkPage(page, 'cfa-users-not-found');

    // The API refuses anyway.
    expect((await as(limited).get('/api/my-cfa/users')).status).toBe(403);

    // Without the right to generate, the eligible installments are shown without selection nor generation.
    const reader = await web.api.createUser('cfa', web.api.cfa.id, {
      rights: BUNDLES.cfa.filter((r) => r !== 'pro-formas:generate'),
    });
    const readOnly = await web.newPage(reader);
    await readOnly.goto('/echeances');
    await readOnly
      .getByText('Vos droits permettent de consulter les échéances, pas de générer de pro forma.')
      .waitFor();
    expect(await readOnly.getByRole('button', { name: 'Générer pro forma pédagogie' }).count()).toBe(0);
    expect(await readOnly.getByRole('checkbox').count()).toBe(0);
  });
});
