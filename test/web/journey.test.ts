import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createExtractionActivities } from '../../activities/extraction';
import type { ReaderPool } from '../../extraction/readers';
import { ensurePaymentRunSchedule } from '../../worker/schedules';
import { startTestOcr, type TestOcr } from '../extraction/ocr-test-pool';
import { seedInstallments, waitForProForma } from '../helpers/api';
import { checkPage, euros, startWebStack, type WebStack } from '../helpers/browser';
import { invoicePdf } from '../helpers/invoices';
import { bookedDebit, camt054, deleteSchedule } from '../helpers/payment-runs';
import { startTestReaders } from '../helpers/readers';

/**
 * The whole journey in the browser, page by page, on the real stack with the real reading of the deposited PDFs
 * (their text layer): a CFA generates a pro forma, downloads it, deposits a wrong invoice, sees the automatic
 * refusal, deposits a corrected one; a validator claims it, corrects a read field and approves; an admin runs the
 * payment and applies the bank's answer; the CFA sees it paid. Then what each role may see.
 */
describe('web pages: the journey from generation to payment', () => {
  jest.setTimeout(240_000);
  const scheduleId = `web-journey-${crypto.randomBytes(4).toString('hex')}`;
  const totalCents = 187_450;
  let web: WebStack;
  let ocr: TestOcr;
  let readers: ReaderPool;
  let number: string;

  beforeAll(async () => {
    web = await startWebStack({ ocrWorker: false, paymentRunScheduleId: scheduleId });
    ocr = await startTestOcr(1);
    readers = await startTestReaders();
    await web.api.stack.startOcrWorker(
      createExtractionActivities({ store: web.api.store, ocr: ocr.pool, readers }).extractInvoiceFields,
    );
    // The test's own schedule, on a day that never comes during a test (1 January, 03:00): runs are started by hand.
    await ensurePaymentRunSchedule(web.api.stack.client, {
      taskQueue: web.api.stack.deps.config.temporal.taskQueue,
      cron: '0 3 1 1 *',
      scheduleId,
    });
    await seedInstallments(web.api, web.api.cfa.id, [totalCents], { apprenticeName: 'Inès Parcours' });
  });
  afterEach(() => {
    expect(web.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    if (web) await deleteSchedule(web.api.stack.client, scheduleId);
    await readers?.close();
    await ocr?.close();
    await web?.teardown();
  });

  const status = (page: Page) => page.getByRole('status', { name: 'Statut de la pro forma' });
  const invoice = (invoiceNumber: string, cents: number) =>
    invoicePdf({
      proFormaNumber: number,
      invoiceNumber,
      totalCents: cents,
      siret: web.api.cfa.siret,
      iban: web.api.cfa.iban,
    });

  it('a CFA generates a pro forma, downloads it, deposits a wrong invoice, sees the automatic refusal and deposits a corrected one', async () => {
    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/echeances');
    await page.getByText('Inès Parcours').first().waitFor();
    await page.getByRole('button', { name: 'Générer pro forma pédagogie' }).click();
    const dialog = page.getByRole('dialog', { name: 'Générer pro forma pédagogie' });
    await dialog.getByRole('button', { name: 'Générer', exact: true }).click();
    await dialog.getByText('Génération terminée !').waitFor();
    const link = dialog.getByRole('link', { name: /^Pro forma PRO-\d{8}$/ });
    number = ((await link.textContent()) as string).replace('Pro forma ', '');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: `Télécharger la pro forma ${number}` }).click(),
    ]);
    const pdf = fs.readFileSync(await download.path());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // The invoice says 10 € less than the pro forma: the reading finds it, the controls refuse it.
    await link.click();
    await page.getByRole('heading', { name: `Pro forma ${number}` }).waitFor();
    await page.getByLabel('Fichier de la facture').setInputFiles({
      name: 'facture-novembre.pdf',
      mimeType: 'application/pdf',
      buffer: invoice('FA-2026-0311', totalCents - 1_000),
    });
    await page.getByRole('button', { name: 'Envoyer la facture' }).click();
    await status(page).getByText('Refusé').waitFor({ timeout: 60_000 });
    const refusal = page.getByRole('region', { name: 'Motif de refus' });
    await refusal.getByText('Montant non conforme à la facture pro forma').waitFor();
    await refusal.getByText('Refus automatique (contrôles de la facture)').waitFor();
    await checkPage(page, 'journey-refused');

    await refusal.getByRole('button', { name: 'Modifier ma facture' }).click();
    await page.getByLabel('Fichier de la facture').setInputFiles({
      name: 'facture-novembre-corrigée.pdf',
      mimeType: 'application/pdf',
      buffer: invoice('FA-2026-0312', totalCents),
    });
    await page.getByRole('button', { name: 'Envoyer la facture' }).click();
    await status(page).getByText('En attente de la décision d’un valideur').waitFor({ timeout: 60_000 });
    await status(page).getByText('En cours de validation').waitFor();
    expect(await page.getByRole('region', { name: 'Motif de refus' }).count()).toBe(0);
  });

  it('a validator claims it from the queue, corrects a read field with a justification and approves it', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto('/validation');
    await page.getByRole('button', { name: `Prendre en charge ${number}` }).click();
    await page.getByRole('heading', { name: `Facture ${number}` }).waitFor();
    // The document is drawn beside what was read from it.
    await page.locator('canvas[data-rendered="true"]').waitFor();
    await page.locator('tr[data-field="invoiceNumber"]').getByText('FA-2026-0312').waitFor();
    await checkPage(page, 'journey-validation');

    await page.getByRole('button', { name: 'Corriger', exact: true }).click();
    const correct = page.getByRole('dialog', { name: 'Corriger la lecture' });
    await correct.getByLabel('Champ à corriger').selectOption('invoiceNumber');
    await correct.getByLabel('Nouvelle valeur').fill('FA-2026-0312-B');
    await correct.getByLabel('Justification').fill('Le suffixe « B » de la facture rectifiée est imprimé à la main.');
    await correct.getByRole('button', { name: 'Enregistrer la correction' }).click();
    await correct.waitFor({ state: 'detached' });
    await page.locator('tr[data-field="invoiceNumber"]').getByText('FA-2026-0312-B').waitFor();

    await page.getByRole('button', { name: 'Valider', exact: true }).click();
    const approve = page.getByRole('dialog', { name: 'Valider la facture' });
    await approve.getByRole('button', { name: 'Confirmer la validation' }).click();
    await page.waitForURL(/\/validation$/);
    const validated = await waitForProForma(web.api, web.api.users.admin, number, (p) => p.status === 'VALIDATED');
    expect(validated.invoiceNumber).toBe('FA-2026-0312-B');
  });

  it('an admin runs the payment and applies the bank’s answer; the CFA sees its invoice paid', async () => {
    const page = await web.newPage(web.api.users.admin);
    await page.goto('/admin/paiements');
    await page.getByRole('button', { name: 'Lancer une campagne' }).click();
    await page
      .getByRole('dialog', { name: 'Lancer une campagne de paiement' })
      .getByRole('button', { name: 'Lancer la campagne' })
      .click();
    await page.waitForURL(/\/admin\/paiements\/RUN-\d{8}-\d{2,}$/, { timeout: 60_000 });
    const run = page.url().split('/').pop() as string;
    const transfers = page.getByRole('table', { name: `Les virements de la campagne ${run}` });
    await transfers.getByRole('cell', { name: euros(totalCents), exact: true }).waitFor();
    await transfers.getByRole('link', { name: number }).waitFor();
    await waitForProForma(web.api, web.api.users.admin, number, (p) => p.stage === 'PAYMENT_ISSUED');

    const cfa = await web.newPage(web.api.users.cfa);
    await cfa.goto(`/pro-formas/${number}`);
    await status(cfa).getByText('Paiement émis').waitFor();

    await page.goto('/admin/paiements');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Déposer un relevé de la banque (camt.054 ou pain.002)' }).click(),
    ]);
    const camt = camt054(bookedDebit(`${run}-0001`, (totalCents / 100).toFixed(2), 'BANQUE-2026-12-04-1'));
    await chooser.setFiles({ name: 'camt054-journey.xml', mimeType: 'application/xml', buffer: Buffer.from(camt) });
    await page
      .getByRole('status')
      .filter({ hasText: 'camt054-journey.xml intégré' })
      .getByText('1 ligne(s) appliquée(s), 0 signalée(s).', { exact: false })
      .waitFor({ timeout: 60_000 });

    await waitForProForma(web.api, web.api.users.cfa, number, (p) => p.status === 'PAID');
    await cfa.reload();
    await status(cfa).getByText('Payé', { exact: true }).waitFor();
    await checkPage(cfa, 'journey-paid');
    await cfa.goto('/tableau-de-bord');
    await cfa.getByRole('link', { name: /^Prises en charge 1 pro forma/ }).waitFor();
  });

  it('each sees only what its rights allow: the CFA no desk nor admin, the validator no admin, another CFA nothing of it', async () => {
    const cfa = await web.newPage(web.api.users.cfa);
    await cfa.goto('/tableau-de-bord');
    const cfaNav = cfa.getByRole('navigation', { name: 'Navigation principale' });
    await cfaNav.getByRole('link', { name: 'Mes pro formas' }).waitFor();
    for (const hidden of [
      'File de validation',
      'Paiements',
      'Utilisateurs et droits',
      'Tableau de bord des indicateurs',
    ]) {
      expect(await cfaNav.getByRole('link', { name: hidden }).count()).toBe(0);
    }
    for (const url of ['/validation', `/validation/${number}`, '/admin/paiements', '/admin/utilisateurs']) {
      await cfa.goto(url);
      await cfa.getByRole('heading', { name: /Page introuvable|Accès refusé/ }).waitFor();
    }

    const validator = await web.newPage(web.api.users.validator);
    await validator.goto('/validation');
    const deskNav = validator.getByRole('navigation', { name: 'Navigation principale' });
    await deskNav.getByRole('link', { name: 'File de validation' }).waitFor();
    for (const hidden of ['Paiements', 'Utilisateurs et droits', 'Échéances éligibles']) {
      expect(await deskNav.getByRole('link', { name: hidden }).count()).toBe(0);
    }
    for (const url of ['/admin/paiements', '/admin/utilisateurs', '/echeances']) {
      await validator.goto(url);
      await validator.getByRole('heading', { name: 'Page introuvable' }).waitFor();
    }

    const other = await web.newPage(web.api.users.otherCfa);
    await other.goto(`/pro-formas/${number}`);
    await other.getByText('introuvable', { exact: false }).first().waitFor();
    await other.goto('/pro-formas');
    await other.getByRole('heading', { name: 'Mes factures/factures d’avoir pro formas' }).waitFor();
    expect(await other.getByRole('link', { name: number }).count()).toBe(0);
  });
});
