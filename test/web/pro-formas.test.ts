import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import type { ExtractionResult } from '../../extraction/types';
import { seedInstallments, waitForProForma, type ApiStack, type TestUser } from '../helpers/api';
import { checkPage, startWebStack, TABLET, type WebStack } from '../helpers/browser';
import { TEST_IBAN } from '../helpers/fixtures';
import { invoicePdf } from '../helpers/invoices';
import { perfectReading } from '../helpers/stack';

/**
 * The pro formas' list and detail in a real browser (web/src/pages/shared): filters kept in the URL, another CFA's
 * pro forma out of sight, the lines and total in French, the PDF download, the deposit's checks before an upload,
 * a real deposit refused by the automatic controls with its reason and two ways out, a corrected version, and a
 * cancellation confirmed first.
 */

const TEMPORAL_UI = 'http://temporal-ui.test:8233';

/** « 1 234,56 € » with ordinary spaces, whatever spaces Intl used. */
const plain = (text: string | null) => (text ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();

describe('web pages: pro formas', () => {
  jest.setTimeout(120_000);
  let web: WebStack;
  let api: ApiStack;
  /** The readings the stubbed OCR gives, per file's SHA-256, and the readings held until a test lets them go. */
  const readings = new Map<string, ExtractionResult>();
  const held = new Map<string, Promise<void>>();
  const releases: (() => void)[] = [];

  beforeAll(async () => {
    web = await startWebStack({ env: { TEMPORAL_UI_URL: TEMPORAL_UI } });
    api = web.api;
    api.stack.extract.mockImplementation(async (input) => {
      await held.get(input.sha256);
      const reading = readings.get(input.sha256);
      if (!reading) throw new Error(`no reading programmed for ${input.sha256}`);
      return reading;
    });
  });
  afterEach(() => {
    expect(web.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    // A reading still held would keep its worker from shutting down.
    for (const release of releases) release();
    await web?.teardown();
  });

  /** A pro forma generated through the API for `as`'s CFA, on a new contract with one installment. */
  async function generate(as: TestUser, totalCents: number) {
    const { contractNumber, installmentIds } = await seedInstallments(api, as.cfaId as string, [totalCents]);
    const { agent, auth } = api.http(as);
    const res = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    if (res.status !== 201) throw new Error(`generation: ${res.status} ${JSON.stringify(res.body)}`);
    return { number: res.body.proFormas[0].number as string, totalCents, contractNumber };
  }

  /** An invoice PDF of `api.cfa` for the pro forma, read by the stubbed OCR as saying `readTotalCents`. */
  function invoiceFor(number: string, readTotalCents: number) {
    const invoiceNumber = `FA-${crypto.randomBytes(3).toString('hex')}`;
    const values = { proFormaNumber: number, invoiceNumber, totalCents: readTotalCents, siret: api.cfa.siret };
    const pdf = invoicePdf({ ...values, iban: TEST_IBAN });
    const sha256 = crypto.createHash('sha256').update(pdf).digest('hex');
    readings.set(sha256, perfectReading(number, readTotalCents, { cfa: api.cfa, installments: [] }, { invoiceNumber }));
    return { pdf, sha256 };
  }

  const status = (page: Page) => page.getByRole('status', { name: 'Statut de la pro forma' });

  it('a CFA lists its own pro formas; the status filter narrows the list and stays in the URL across a reload; another CFA’s pro forma is out of sight', async () => {
    const waiting = await generate(api.users.cfa, 40_000);
    const cancelled = await generate(api.users.cfa, 50_000);
    const foreign = await generate(api.users.otherCfa, 60_000);
    const { agent, auth } = api.http(api.users.cfa);
    expect((await agent.post(`/api/pro-formas/${cancelled.number}/cancel`).set(auth).send({})).status).toBe(200);

    const page = await web.newPage(api.users.cfa);
    await page.goto('/pro-formas');
    await page.getByRole('heading', { level: 1, name: 'Mes factures/factures d’avoir pro formas' }).waitFor();
    await page.getByRole('link', { name: 'Mes pro formas' }).waitFor();
    await page.getByRole('link', { name: waiting.number }).waitFor();
    await page.getByRole('link', { name: cancelled.number }).waitFor();
    expect(await page.getByRole('link', { name: foreign.number }).count()).toBe(0);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: waiting.number }) });
    expect(plain(await row.textContent())).toContain('400,00 €');
    expect(plain(await row.textContent())).toContain('En attente de facture');
    await checkPage(page, 'pro-formas-list');

    await page.getByLabel('Statut', { exact: true }).selectOption('CANCELLED');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForURL(/\/pro-formas\?status=CANCELLED$/);
    await page.getByRole('link', { name: waiting.number }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: cancelled.number }).waitFor();
    await page.getByText('Statut : Annulé').waitFor();

    await page.reload();
    await page.getByRole('link', { name: cancelled.number }).waitFor();
    expect(await page.getByRole('link', { name: waiting.number }).count()).toBe(0);
    expect(await page.getByLabel('Statut', { exact: true }).inputValue()).toBe('CANCELLED');

    // « Réinitialiser les filtres » gives the whole list back.
    await page.getByRole('button', { name: 'Réinitialiser les filtres' }).click();
    await page.waitForURL(/\/pro-formas$/);
    await page.getByRole('link', { name: waiting.number }).waitFor();

    // Another CFA's pro forma, by its address: not found, in words.
    await page.goto(`/pro-formas/${foreign.number}`);
    await page.getByRole('alert').getByText(`Pro forma ${foreign.number} introuvable.`).waitFor();

    const tablet = await web.newPage(api.users.cfa, TABLET);
    await tablet.goto('/pro-formas?status=AWAITING_INVOICE');
    await tablet.getByRole('link', { name: waiting.number }).waitFor();
    await checkPage(tablet, 'pro-formas-list-tablet');
  });

  it('the detail of a generated pro forma shows its lines and total in French, and downloads its PDF', async () => {
    const pf = await generate(api.users.cfa, 123_456);
    const page = await web.newPage(api.users.cfa);
    await page.goto(`/pro-formas/${pf.number}`);
    await page.getByRole('heading', { level: 1, name: `Pro forma ${pf.number}` }).waitFor();
    await status(page).getByText('En attente de facture').waitFor();
    const line = page.getByRole('row').filter({ hasText: pf.contractNumber });
    expect(plain(await line.textContent())).toBe(
      `${pf.contractNumber}Léa MartinBoulangerie du CentreDu 01/01/2026 au 28/01/20261 234,56 €`,
    );
    expect(plain(await page.getByText('Total de la pro forma').textContent())).toBe(
      'Total de la pro forma : 1 234,56 €',
    );
    // The first deposit is the next step: its zone is open, with the rules.
    await page.getByRole('heading', { name: 'Joindre une facture' }).waitFor();
    await page.getByText('La taille maximum autorisée est de 5 Mo').waitFor();
    await checkPage(page, 'pro-forma-detail');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Télécharger la pro forma (PDF)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${pf.number}.pdf`);
    const file = fs.readFileSync(await download.path());
    expect(file.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('a file too large, of a wrong type or with a too long name is explained in words, and nothing is sent', async () => {
    const pf = await generate(api.users.cfa, 70_000);
    const page = await web.newPage(api.users.cfa);
    const uploads: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/invoice')) uploads.push(r.url());
    });
    // From the list's action menu.
    await page.goto(`/pro-formas?number=${pf.number}`);
    await page.getByRole('button', { name: `Actions pour ${pf.number}` }).click();
    await page.getByRole('menuitem', { name: 'Déposer la facture' }).click();
    await page.waitForURL(new RegExp(`/pro-formas/${pf.number}\\?depot=1$`));
    const input = page.getByLabel('Fichier de la facture');
    const send = page.getByRole('button', { name: 'Envoyer la facture' });

    await input.setInputFiles({
      name: 'facture.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.alloc(6 * 1024 * 1024, 1),
    });
    const alert = page.getByRole('alert').filter({ hasText: 'Ce fichier ne peut pas être déposé' });
    await alert.getByText('« facture.pdf » pèse 6,0 Mo : il dépasse la taille maximale autorisée de 5 Mo.').waitFor();
    expect(await send.isDisabled()).toBe(true);

    await input.setInputFiles({ name: 'facture.docx', mimeType: 'application/msword', buffer: Buffer.from('PK…') });
    await alert
      .getByText('Type de fichier non accepté : seuls les fichiers PDF, JPG, JPEG, GIF et PNG sont acceptés.', {
        exact: false,
      })
      .waitFor();
    expect(plain(await alert.textContent())).not.toContain('5 Mo');

    const longName = `${'facture-du-mois-de-septembre-2026-'.repeat(2)}.pdf`;
    await input.setInputFiles({ name: longName, mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    await alert.getByText(`compte ${longName.length} caractères`, { exact: false }).waitFor();
    expect(await send.isDisabled()).toBe(true);

    expect(uploads).toEqual([]);
    const { agent, auth } = api.http(api.users.cfa);
    const after = await agent.get(`/api/pro-formas/${pf.number}`).set(auth);
    expect(after.body).toMatchObject({ status: 'AWAITING_INVOICE', documents: [] });
  });

  it('a deposited invoice shows its upload, its reading, then the automatic refusal with its reason; « Modifier ma facture » takes a corrected version', async () => {
    const pf = await generate(api.users.cfa, 250_000);
    const wrong = invoiceFor(pf.number, 260_000);
    let release = () => {};
    held.set(wrong.sha256, new Promise<void>((resolve) => (release = resolve)));
    releases.push(release);

    const page = await web.newPage(api.users.cfa);
    // The upload is held a moment on its way, so that its progress shows.
    await page.route('**/api/pro-formas/*/invoice', async (route) => {
      await new Promise((r) => setTimeout(r, 600));
      await route.continue();
    });
    await page.goto(`/pro-formas/${pf.number}`);
    await page.getByLabel('Fichier de la facture').setInputFiles({
      name: 'facture-septembre.pdf',
      mimeType: 'application/pdf',
      buffer: wrong.pdf,
    });
    await page.getByText('Fichier choisi : facture-septembre.pdf').waitFor();
    await page.getByRole('button', { name: 'Envoyer la facture' }).click();
    await page.getByText(/^Envoi en cours… \d+ %$/).waitFor();
    await page.getByRole('progressbar', { name: 'Envoi de la facture' }).waitFor({ state: 'attached' });
    // The reading is held: the page says it is reading.
    await status(page).getByText('Lecture en cours…').waitFor();
    await status(page).getByText('En cours de validation').waitFor();
    release();

    await status(page).getByText('Refusé').waitFor({ timeout: 30_000 });
    const refusal = page.getByRole('region', { name: 'Motif de refus' });
    await refusal.getByText('Montant non conforme à la facture pro forma').waitFor();
    await refusal.getByText('Refus automatique (contrôles de la facture)').waitFor();
    await refusal
      .getByText("Le montant indiqué n'est pas égal au montant de la facture pro forma", { exact: false })
      .waitFor();
    await refusal.getByRole('button', { name: 'Modifier ma facture' }).waitFor();
    await refusal.getByRole('button', { name: 'Annuler la pro forma' }).waitFor();
    // The controls' results: the total failed, in words.
    const totalControl = page.getByRole('row').filter({ hasText: 'Montant total' }).filter({ hasText: 'Non conforme' });
    await totalControl.waitFor();
    // The deposit's notification closes on its own (it would hide the page's header in the screenshot).
    await page.getByText('Votre facture a bien été envoyée à l’Opco pour instruction.').waitFor({ state: 'detached' });
    await checkPage(page, 'pro-forma-refused');

    const [letter] = await Promise.all([
      page.waitForEvent('download'),
      refusal.getByRole('button', { name: 'Lettre de refus (PDF)' }).click(),
    ]);
    expect(
      fs
        .readFileSync(await letter.path())
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');

    // The dashboard's « Refusées » link opens the list with that filter.
    await page.goto('/pro-formas?category=REFUSEES');
    await page.getByText('Catégorie : Refusées').waitFor();
    await page.getByRole('link', { name: pf.number }).click();

    // A corrected version.
    const right = invoiceFor(pf.number, 250_000);
    await page.getByRole('button', { name: 'Modifier ma facture' }).click();
    await page.getByRole('heading', { name: 'Modifier la facture de la pro forma' }).waitFor();
    await page.getByLabel('Fichier de la facture').setInputFiles({
      name: 'facture-corrigée.pdf',
      mimeType: 'application/pdf',
      buffer: right.pdf,
    });
    await page.getByRole('button', { name: 'Envoyer la facture' }).click();
    await status(page).getByText('En attente de la décision d’un valideur').waitFor({ timeout: 30_000 });
    await status(page).getByText('En cours de validation').waitFor();
    expect(await page.getByRole('region', { name: 'Motif de refus' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Télécharger la version 2 (facture-corrigée.pdf)' }).waitFor();
    await waitForProForma(api, api.users.cfa, pf.number, (p) => p.stage === 'AWAITING_DECISION');

    // The staff see it, with the links to the validation desk and to its workflow.
    const admin = await web.newPage(api.users.admin);
    await admin.goto(`/pro-formas/${pf.number}`);
    await status(admin).getByText('En cours de validation').waitFor();
    expect(await admin.getByRole('link', { name: 'Ouvrir dans la validation' }).getAttribute('href')).toBe(
      `/validation/${pf.number}`,
    );
    expect(await admin.getByRole('link', { name: 'Workflow dans Temporal UI' }).getAttribute('href')).toBe(
      `${TEMPORAL_UI}/namespaces/${api.deps.config.temporal.namespace}/workflows/pro-forma-${pf.number}`,
    );
    expect(await admin.getByRole('button', { name: 'Modifier ma facture' }).count()).toBe(0);
    await admin.goto(`/pro-formas?number=${pf.number}`);
    await admin.getByRole('heading', { level: 1, name: 'Pro formas' }).waitFor();
    const adminRow = admin.getByRole('row').filter({ has: admin.getByRole('link', { name: pf.number }) });
    expect(plain(await adminRow.textContent())).toContain(api.cfa.name);
  });

  it('« Annuler la pro forma » asks for a confirmation, then shows the pro forma cancelled', async () => {
    const pf = await generate(api.users.cfa, 90_000);
    const page = await web.newPage(api.users.cfa);
    await page.goto(`/pro-formas/${pf.number}`);
    await page.getByRole('button', { name: 'Annuler la pro forma' }).click();
    const dialog = page.getByRole('dialog', { name: `Annuler la pro forma ${pf.number} ?` });
    await dialog.getByText('les contrats de nouveau éligibles', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Ne pas annuler' }).click();
    await dialog.waitFor({ state: 'detached' });
    await status(page).getByText('En attente de facture').waitFor();

    await page.getByRole('button', { name: 'Annuler la pro forma' }).click();
    await dialog.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await status(page).getByText('Annulé').waitFor();
    expect(await page.getByRole('button', { name: 'Annuler la pro forma' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Joindre une facture' }).count()).toBe(0);
    const { agent, auth } = api.http(api.users.cfa);
    expect((await agent.get(`/api/pro-formas/${pf.number}`).set(auth)).body.status).toBe('CANCELLED');
  });
});
