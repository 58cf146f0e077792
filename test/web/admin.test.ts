import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { ensurePaymentRunSchedule } from '../../worker/schedules';
import type { TestUser } from '../helpers/api';
import { checkPage, euros, startWebStack, TABLET, type WebStack } from '../helpers/browser';
import { uniqueSiret } from '../helpers/fixtures';
import { bookedDebit, camt054, deleteSchedule } from '../helpers/payment-runs';
import { deposit, generate, perfectReading, randomSha, seedCfa, waitFor } from '../helpers/stack';

/** The bank's camt.054 booking the first transfer of `run` for 1 234,56 €. */
const booked = (run: string) => camt054(bookedDebit(`${run}-0001`, '1234.56', 'BANK-REF-1'));

/** The page as a user reads it: notifications closed (one fading in would be half transparent), scrolled to the top. */
async function check(page: Page, name: string): Promise<void> {
  const close = page.getByRole('button', { name: 'Fermer la notification' });
  while ((await close.count()) > 0) {
    await close
      .first()
      .click({ timeout: 2000 })
      .catch(() => undefined);
    await page.waitForTimeout(100);
  }
  await page.evaluate('window.scrollTo(0, 0)');
  await checkPage(page, name);
}

/**
 * The admin pages in a real browser, against the real stack: the dashboard's charts and key numbers, a CFA created
 * and edited (IBAN, trust, IBAN flag, a mandate, a portfolio), a user created with chosen rights and its token shown
 * once, the refusal catalogue, a payment run started from the page (its transfer in euros, its SEPA file) and a
 * broken bank file refused in words, the audit of all that, and a validator kept out.
 */
describe('web pages: administration', () => {
  jest.setTimeout(120_000);
  const scheduleId = `payment-runs-web-${crypto.randomBytes(4).toString('hex')}`;
  const invoiceCents = 123_456;
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
  let web: WebStack;
  let admin: TestUser;
  let adminPage: Page;
  /** The CFA the CFA test creates (its audit is read later). */
  const created = { id: '', name: `CFA Web ${crypto.randomBytes(3).toString('hex')}` };

  /** A trusted CFA's invoice validated automatically (paid by the run), another CFA's refused for its amount. */
  async function seedDecisions() {
    const { stack } = web.api;
    const readings = new Map<string, ReturnType<typeof perfectReading>>();
    stack.extract.mockImplementation(async ({ sha256 }) => {
      const reading = readings.get(sha256);
      if (!reading) throw new Error(`no reading for ${sha256}`);
      return reading;
    });
    const decided = async (trusted: boolean, readTotal: (total: number) => number, done: (s: string) => boolean) => {
      const scenario = await seedCfa(stack, [invoiceCents], { trusted });
      const [proForma] = await generate(stack, scenario);
      if (!proForma) throw new Error('no pro forma generated');
      const sha = randomSha();
      readings.set(sha, perfectReading(proForma.number, readTotal(proForma.totalCents), scenario));
      await deposit(stack, proForma.number, sha);
      await waitFor(stack, proForma.number, (v) => done(v.status) && (v.status !== 'VALIDATED' || v.payment !== null));
    };
    await Promise.all([
      decided(
        true,
        (t) => t,
        (s) => s === 'VALIDATED',
      ),
      decided(
        false,
        (t) => t - 5_000,
        (s) => s === 'REFUSED',
      ),
    ]);
  }

  beforeAll(async () => {
    web = await startWebStack({ paymentRunScheduleId: scheduleId });
    admin = web.api.users.admin;
    // The test's own schedule, on a day that never comes during a test (1 January, 03:00).
    await ensurePaymentRunSchedule(web.api.stack.client, {
      taskQueue: web.api.stack.deps.config.temporal.taskQueue,
      cron: '0 3 1 1 *',
      scheduleId,
    });
    await seedDecisions();
    adminPage = await web.newPage(admin);
  });
  afterEach(() => {
    expect(web.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    if (web) await deleteSchedule(web.api.stack.client, scheduleId);
    await web?.teardown();
  });

  /** The period of the dashboard set to the last 30 days up to today (the API's default ends on its fixed "now"). */
  async function showToday(page: Page) {
    await page
      .getByLabel('Du', { exact: true })
      .fill(new Date(Date.parse(`${today}T12:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10));
    await page.getByLabel('Au (inclus)').fill(today);
    await page.getByRole('button', { name: 'Afficher la période' }).click();
    await page.getByRole('group', { name: 'Décisions', exact: true }).getByText('2', { exact: true }).waitFor();
  }

  it('the dashboard shows its key numbers and a chart in each figure, with the numbers for screen readers', async () => {
    const page = adminPage;
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Tableau de bord', level: 1 }).waitFor();
    await showToday(page);
    expect(await page.getByRole('group', { name: 'Taux de refus' }).textContent()).toMatch(/50\s%/);
    expect(await page.getByRole('group', { name: 'Validations automatiques' }).textContent()).toMatch(/100\s%/);

    for (const name of [
      'Délai de traitement, du dépôt à la décision',
      'Décisions par jour',
      'File d’attente par ancienneté du dépôt',
      'Refus par motif',
    ]) {
      const figure = page.getByRole('figure', { name });
      await figure.locator('svg').first().waitFor();
      expect(await figure.locator('svg').count()).toBeGreaterThan(0);
    }
    // The refusal, by its reason: in the figure's summary and its table (read by screen readers).
    const refusals = page.getByRole('figure', { name: 'Refus par motif' });
    expect(await refusals.getByRole('table').textContent()).toMatch(/Montant.*automatique.*1/);
    await check(page, 'admin-dashboard');

    const tablet = await web.newPage(admin, TABLET);
    await tablet.goto('/admin');
    await showToday(tablet);
    await tablet.getByRole('figure', { name: 'Refus par motif' }).locator('svg').first().waitFor();
    await check(tablet, 'admin-dashboard-tablet');
    await tablet.close();
  });

  it('creates a CFA, edits its IBAN and trust, lifts its IBAN flag, adds a mandate and puts it in a portfolio', async () => {
    const page = adminPage;
    await page.goto('/admin/cfas');
    await page.getByRole('heading', { name: 'CFA', level: 1 }).waitFor();
    await page.getByRole('cell', { name: web.api.cfa.name }).first().waitFor();
    await check(page, 'admin-cfas');

    await page.getByRole('button', { name: 'Nouveau CFA' }).click();
    const dialog = page.getByRole('dialog', { name: 'Nouveau CFA' });
    await dialog.getByLabel('Nom').fill(created.name);
    await dialog.getByLabel('SIRET').fill(uniqueSiret());
    await dialog.getByLabel('E-mail').fill('compta@cfa-web.example');
    await dialog.getByRole('textbox', { name: 'IBAN', exact: true }).fill('FR76 3000 6000 0112 3456 7890 189');
    await dialog.getByRole('button', { name: 'Enregistrer le CFA' }).click();
    await page.waitForURL(/\/admin\/cfas\/[0-9a-f-]{36}$/);
    created.id = page.url().split('/').pop() as string;
    await page.getByRole('heading', { name: created.name, level: 1 }).waitFor();

    await page.getByRole('textbox', { name: 'IBAN', exact: true }).fill('FR14 2004 1010 0505 0001 3M02 606');
    await page.getByRole('switch', { name: /CFA de confiance/ }).check();
    await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
    await page.getByText('CFA modifié').waitFor();
    const saved = await cfaOf(created.id);
    expect(saved).toMatchObject({ iban: 'FR1420041010050500013M02606', trusted: true });
    await page.getByText('De confiance', { exact: true }).waitFor();

    // A rejected transfer flagged the IBAN: « IBAN vérifié » lifts the flag.
    await web.api.stack.database.db
      .updateTable('cfas')
      .set({ iban_flag: 'AC04 Compte clôturé', iban_flagged_at: new Date() })
      .where('id', '=', created.id)
      .execute();
    await page.reload();
    await page.getByText(/La banque a rejeté un virement .* AC04 Compte clôturé/).waitFor();
    await page.getByRole('button', { name: 'IBAN vérifié', exact: true }).click();
    await page.getByText(/La banque a rejeté un virement/).waitFor({ state: 'detached' });
    expect((await cfaOf(created.id)).ibanFlag).toBeNull();

    const mandates = page.getByRole('table', { name: `Mandats de facturation de ${created.name}` });
    await mandates.getByText('Aucun mandat', { exact: false }).waitFor();
    await page.getByLabel('Valable du').fill('2026-01-01');
    await page.getByRole('button', { name: 'Ajouter le mandat' }).click();
    await mandates.getByRole('cell', { name: '01/01/2026' }).waitFor();
    expect(await mandates.getByRole('cell', { name: 'Sans fin' }).count()).toBe(1);
    await check(page, 'admin-cfa');

    await page.goto('/admin/portefeuilles');
    await page
      .getByRole('button', { name: /^Modifier le portefeuille de validator/ })
      .first()
      .click();
    const portfolio = page.getByRole('dialog', { name: /Portefeuille de/ });
    await portfolio.getByLabel('CFA du portefeuille').fill(created.name);
    await page.getByRole('option', { name: new RegExp(created.name) }).click();
    // A click beside the list closes it.
    await portfolio.getByRole('heading', { name: /Portefeuille de/ }).click();
    await portfolio.getByRole('button', { name: 'Enregistrer le portefeuille' }).click();
    await portfolio.waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Les valideurs et leurs portefeuilles' }).getByText(created.name).waitFor();
    await check(page, 'admin-portfolios');

    // The template, sent back empty: the import's report says so.
    await page.goto('/admin/contrats');
    const [template] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Télécharger le modèle Excel' }).click(),
    ]);
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Déposer le classeur des contrats' }).click(),
    ]);
    await chooser.setFiles({
      name: 'modele-import-contrats.xlsx',
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: fs.readFileSync(await template.path()),
    });
    await page
      .getByRole('status')
      .getByText(/0 échéance importée, 0 déjà présente à l’identique, 0 ligne refusée/)
      .waitFor();
    await check(page, 'admin-contracts-import');
  });

  async function cfaOf(id: string) {
    const { agent, auth } = web.api.http(admin);
    const res = await agent.get('/api/admin/cfas?pageSize=200').set(auth);
    return (res.body.items as { id: string; iban: string; trusted: boolean; ibanFlag: unknown }[]).find(
      (c) => c.id === id,
    ) as { iban: string; trusted: boolean; ibanFlag: unknown };
  }

  it('creates a user with the rights chosen and shows its token once', async () => {
    const page = adminPage;
    await page.goto('/admin/utilisateurs');
    await page.getByRole('heading', { name: 'Utilisateurs et droits' }).waitFor();
    await page
      .getByRole('button', { name: /^Actions pour / })
      .first()
      .waitFor();
    await check(page, 'admin-users');

    const name = `Valideuse ${crypto.randomBytes(3).toString('hex')}`;
    await page.getByRole('button', { name: 'Nouvel utilisateur' }).click();
    const dialog = page.getByRole('dialog', { name: 'Nouvel utilisateur' });
    await dialog.getByRole('textbox', { name: 'Nom' }).fill(name);
    await dialog.getByRole('textbox', { name: 'E-mail' }).fill(`${name.replace(' ', '.').toLowerCase()}@opco.example`);
    // The validator's usual rights are checked; one is taken away.
    const correct = dialog.getByRole('checkbox', { name: 'Corriger la lecture d’une facture' });
    expect(await correct.isChecked()).toBe(true);
    expect(await dialog.getByRole('group', { name: 'Portail CFA' }).count()).toBe(0);
    await correct.uncheck();
    await check(page, 'admin-user-create');
    await dialog.getByRole('button', { name: 'Créer l’utilisateur' }).click();

    const shown = page.getByRole('dialog', { name: `Jeton de ${name}` });
    await shown.getByText('Ce jeton n’est montré qu’une seule fois', { exact: false }).waitFor();
    const token = ((await shown.locator('pre').textContent()) ?? '').trim();
    expect(token.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: 'Copier le jeton' }).waitFor();
    const { agent } = web.api.http();
    const me = await agent.get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name, role: 'validator' });
    expect(me.body.rights).toContain('pro-formas:decide');
    expect(me.body.rights).not.toContain('pro-formas:correct');

    await shown.getByRole('button', { name: 'J’ai copié le jeton' }).click();
    await shown.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: `Actions pour ${name}` }).waitFor();
    expect(await page.getByText(token).count()).toBe(0);
  });

  it('adds, revises and retires a refusal reason', async () => {
    const page = adminPage;
    const code = `PIECE_${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
    await page.goto('/admin/motifs');
    await page.getByRole('cell', { name: 'AMOUNT_MISMATCH', exact: true }).waitFor();
    await check(page, 'admin-refusal-reasons');

    await page.getByRole('button', { name: 'Nouveau motif' }).click();
    const create = page.getByRole('dialog', { name: 'Nouveau motif de refus' });
    await create.getByLabel('Code').fill(code);
    await create.getByLabel('Libellé').fill('Pièce justificative manquante');
    await create.getByLabel('Lettre de refus').fill('Votre facture {{numeroFacture}} ne joint pas la pièce demandée.');
    await create.getByRole('button', { name: 'Ajouter le motif' }).click();
    const row = page.getByRole('row', { name: new RegExp(code) });
    await row.getByText('Pièce justificative manquante').waitFor();

    await row.getByRole('button', { name: `Modifier ${code}` }).click();
    const edit = page.getByRole('dialog', { name: `Modifier le motif ${code}` });
    await edit.getByText('Version 1 — Pièce justificative manquante').waitFor();
    await edit.getByLabel('Libellé').fill('Pièce justificative absente');
    await edit.getByRole('button', { name: 'Enregistrer la nouvelle version' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.getByText('Pièce justificative absente').waitFor();
    expect(await row.getByRole('cell', { name: '2', exact: true }).count()).toBe(1);

    await row.getByRole('button', { name: `Retirer ${code}` }).click();
    await page
      .getByRole('dialog', { name: `Retirer le motif ${code}` })
      .getByRole('button', { name: 'Retirer le motif' })
      .click();
    await row.waitFor({ state: 'detached' });
    await page.getByRole('switch', { name: 'Afficher les motifs retirés' }).check();
    await row.getByText(/^Retiré le/).waitFor();
  });

  it('pauses and resumes the schedule, runs a payment, downloads its SEPA file, refuses a broken bank file in words', async () => {
    const page = adminPage;
    await page.goto('/admin/paiements');
    const schedule = page.getByRole('region', { name: 'Planification' });
    await schedule.getByText('Active', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Suspendre la planification' }).click();
    const pause = page.getByRole('dialog', { name: 'Suspendre la planification' });
    await pause.getByLabel('Motif de la suspension').fill('Clôture comptable');
    await pause.getByRole('button', { name: 'Suspendre' }).click();
    await schedule.getByText('Suspendue', { exact: true }).waitFor();
    await schedule.getByText(/Clôture comptable/).waitFor();
    await page.getByRole('button', { name: 'Reprendre la planification' }).click();
    await schedule.getByText('Active', { exact: true }).waitFor();
    await check(page, 'admin-payments');

    await page.getByRole('button', { name: 'Lancer une campagne' }).click();
    const start = page.getByRole('dialog', { name: 'Lancer une campagne de paiement' });
    await start.getByRole('button', { name: 'Lancer la campagne' }).click();
    await page.waitForURL(/\/admin\/paiements\/RUN-\d{8}-\d{2,}$/, { timeout: 60_000 });
    const runNumber = page.url().split('/').pop() as string;
    await page.getByRole('heading', { name: `Campagne ${runNumber}` }).waitFor();
    const transfers = page.getByRole('table', { name: `Les virements de la campagne ${runNumber}` });
    await transfers
      .getByRole('cell', { name: euros(invoiceCents), exact: true })
      .first()
      .waitFor();
    expect(await page.getByRole('region', { name: 'Synthèse de la campagne' }).textContent()).toContain(
      euros(invoiceCents),
    );
    await check(page, 'admin-payment-run');

    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Télécharger le fichier SEPA' }).click(),
    ]);
    expect(file.suggestedFilename()).toBe(`${runNumber}.xml`);
    const xml = fs.readFileSync(await file.path(), 'utf8');
    expect(xml.startsWith('<?xml')).toBe(true);
    expect(xml).toContain(`<CtrlSum>${(invoiceCents / 100).toFixed(2)}</CtrlSum>`);

    await page.getByRole('link', { name: 'Retour aux paiements' }).click();
    await page.getByRole('link', { name: runNumber }).waitFor();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Déposer un relevé de la banque (camt.054 ou pain.002)' }).click(),
    ]);
    await chooser.setFiles({
      name: 'releve.xml',
      mimeType: 'application/xml',
      buffer: Buffer.from('<?xml version="1.0"?><Document><Autre/></Document>'),
    });
    const refused = page.getByRole('alert').filter({ hasText: 'Fichier refusé' });
    await refused.getByText('Fichier bancaire illisible : Ni camt.054', { exact: false }).waitFor();

    // The bank's camt.054 booking the transfer: applied, line by line, and listed with the files received.
    const [camt] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Déposer un relevé de la banque (camt.054 ou pain.002)' }).click(),
    ]);
    await camt.setFiles({ name: 'camt054.xml', mimeType: 'application/xml', buffer: Buffer.from(booked(runNumber)) });
    const report = page.getByRole('status').filter({ hasText: 'camt054.xml intégré' });
    await report.getByText('1 ligne(s) appliquée(s), 0 signalée(s).', { exact: false }).waitFor({ timeout: 60_000 });
    expect(await report.getByRole('cell', { name: 'Appliquée : Virement débité' }).count()).toBe(1);
    await report.getByRole('link', { name: 'Voir le compte rendu' }).click();
    await page.getByRole('heading', { name: 'Fichier de la banque camt054.xml' }).waitFor();
    await page.getByRole('cell', { name: euros(invoiceCents), exact: true }).waitFor();
    await check(page, 'admin-bank-file');
  });

  it('the audit lists the changes just made, filtered by object', async () => {
    const page = adminPage;
    await page.goto(`/admin/audit?entity=CFA&entityId=${created.id}`);
    const rows = page.getByRole('table', { name: /Les modifications des données de référence/ });
    await rows.getByRole('cell', { name: 'Création' }).waitFor();
    expect(await rows.getByRole('cell', { name: 'Modification' }).count()).toBe(2);
    expect(await rows.textContent()).toContain('FR1420041010050500013M02606');
    await check(page, 'admin-audit');

    await page.getByLabel('Objet').selectOption('REFUSAL_REASON');
    await page.getByLabel('Identifiant').fill('');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await rows.getByRole('cell', { name: 'Retrait' }).waitFor();
    expect(await rows.getByRole('cell', { name: 'Nouvelle version' }).count()).toBe(1);
  });

  it('a validator sees no admin link and the admin addresses show the « page introuvable » state', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto('/admin/motifs');
    await page.getByRole('cell', { name: 'AMOUNT_MISMATCH', exact: true }).waitFor();
    // The catalogue is the validators' to read, not to change.
    expect(await page.getByRole('button', { name: 'Nouveau motif' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Modifier / }).count()).toBe(0);
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    for (const href of ['/admin', '/admin/cfas', '/admin/utilisateurs', '/admin/paiements', '/admin/audit']) {
      expect(await nav.locator(`a[href="${href}"]`).count()).toBe(0);
    }
    for (const address of ['/admin', '/admin/cfas', '/admin/utilisateurs', '/admin/paiements', '/admin/audit']) {
      await page.goto(address);
      await page.getByRole('heading', { name: 'Page introuvable' }).waitFor();
    }
    await check(page, 'admin-not-allowed');
    await page.close();
  });
});
