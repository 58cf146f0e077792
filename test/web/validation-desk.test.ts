import crypto from 'node:crypto';
import type { Page } from 'playwright-core';
import { readInvoice } from '../../extraction/read-invoice';
import type { ExtractionResult } from '../../extraction/types';
import { seedInstallments, waitForProForma, type TestUser } from '../helpers/api';
import { checkPage, startWebStack, TABLET, type WebStack } from '../helpers/browser';
import { TEST_IBAN } from '../helpers/fixtures';
import { invoicePdf, scannedInvoicePng } from '../helpers/invoices';
import { perfectReading } from '../helpers/stack';

/** Approvals above 1,000 € need two validators here. */
const FOUR_EYES_CENTS = 100_000;
/** A valid IBAN that is not the CFA's: the classic changed-bank-account case, a control « à vérifier ». */
const OTHER_IBAN = 'FR1420041010050500013M02606';

/**
 * The validation desk in a real browser against the real stack: the queue and its filters, the claim, the invoice
 * page (the PDF rendered by pdf.js and zoomable, the uncertain value and the IBAN mismatch shown), a correction, a
 * refusal with its letter previewed, an approval, the four-eyes second approval, the keyboard shortcuts, and a CFA
 * user kept out.
 */
describe('web pages: the validation desk', () => {
  jest.setTimeout(120_000);
  let web: WebStack;
  let second: TestUser;
  const readings = new Map<string, ExtractionResult>();
  /** Read by OCR: its invoice number uncertain, an IBAN other than the CFA's. */
  let uncertain: string;
  let plain: string;
  /** Above the four-eyes threshold. */
  let large: string;
  /** A scanned invoice: a PNG image. */
  let scanned: string;

  /** A pro forma of `amountCents` whose invoice (a PDF, or a scanned PNG) awaits a decision, read as `reading` says. */
  async function atDecision(
    amountCents: number,
    reading: (r: ExtractionResult) => ExtractionResult = (r) => r,
    iban = TEST_IBAN,
    scanned = false,
  ): Promise<string> {
    const { api } = web;
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [amountCents]);
    const { agent, auth } = api.http(api.users.cfa);
    const created = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    expect(created.status).toBe(201);
    const number = created.body.proFormas[0].number as string;
    const invoiceNumber = `FA-${crypto.randomBytes(4).toString('hex')}`;
    const values = { proFormaNumber: number, invoiceNumber, totalCents: amountCents, siret: api.cfa.siret, iban };
    const file = scanned ? await scannedInvoicePng(values) : invoicePdf(values);
    const sha = crypto.createHash('sha256').update(file).digest('hex');
    // Where the values stand on a PDF, as its real reading finds them (the programmed reading sets the rest).
    const located = scanned
      ? {}
      : { fieldPositions: (await readInvoice(file, 'application/pdf', { ocr: null })).fieldPositions };
    readings.set(
      sha,
      reading({
        ...perfectReading(number, amountCents, { cfa: api.cfa, installments: [] }, { invoiceNumber }),
        ...located,
      }),
    );
    const res = await agent
      .post(`/api/pro-formas/${number}/invoice`)
      .set(auth)
      .attach('file', file, scanned ? 'facture.png' : 'facture.pdf');
    expect(res.status).toBe(202);
    await waitForProForma(api, api.users.cfa, number, (v) => v.stage === 'AWAITING_DECISION');
    return number;
  }

  const detail = async (number: string) => {
    const { agent, auth } = web.api.http(web.api.users.admin);
    const res = await agent.get(`/api/pro-formas/${number}`).set(auth);
    expect(res.status).toBe(200);
    return res.body;
  };

  /** Polls `read` until `done` holds (within 10 s); returns the last value. */
  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const queueTable = (page: Page) => page.getByRole('table', { name: 'Factures en attente de décision' });
  const queueRow = (page: Page, number: string) => queueTable(page).getByRole('row').filter({ hasText: number });
  const canvasWidth = async (page: Page) => (await page.locator('canvas').boundingBox())?.width ?? 0;

  /** The invoice page of `number`, its document rendered. */
  async function openInvoice(page: Page, number: string): Promise<void> {
    await page.getByRole('heading', { name: `Facture ${number}` }).waitFor();
    await page.locator('canvas[data-rendered="true"]').waitFor();
  }

  beforeAll(async () => {
    web = await startWebStack({ env: { FOUR_EYES_THRESHOLD: String(FOUR_EYES_CENTS / 100) } });
    web.api.stack.extract.mockImplementation(async (input) => {
      const reading = readings.get(input.sha256);
      if (!reading) throw new Error(`no reading programmed for ${input.sha256}`);
      return reading;
    });
    second = await web.api.createUser('validator');
    uncertain = await atDecision(
      52_345,
      (r) => ({
        ...r,
        engine: 'OCR',
        fields: { ...r.fields, iban: OTHER_IBAN },
        fieldConfidences: { ...r.fieldConfidences, invoiceNumber: 0.55, iban: 0.92 },
        confidence: 0.7,
      }),
      OTHER_IBAN,
    );
    plain = await atDecision(61_234);
    large = await atDecision(FOUR_EYES_CENTS + 23_456);
    scanned = await atDecision(45_678, (r) => ({ ...r, engine: 'OCR' }), TEST_IBAN, true);
  });
  afterEach(() => {
    expect(web.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    await web?.teardown();
  });

  it('lists the invoices awaiting a decision in the API’s order with their facets, and narrows them with the filters', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto('/');
    await page.waitForURL(/\/validation$/);
    await page.getByRole('heading', { name: 'File de validation' }).waitFor();
    for (const number of [uncertain, plain, large, scanned]) await queueRow(page, number).waitFor();

    const { agent, auth } = web.api.http(web.api.users.validator);
    const queue = (await agent.get('/api/validation/queue').set(auth)).body;
    const shown = await queueTable(page).getByRole('link').allTextContents();
    expect(shown).toEqual(queue.items.map((i: { number: string }) => i.number));
    // Each row: its CFA, amount, deposit and claim state.
    const row = queueRow(page, uncertain);
    for (const text of [web.api.cfa.siret, '523,45 €', 'Libre', 'IBAN identique à celui enregistré']) {
      await row.getByText(text, { exact: false }).first().waitFor();
    }
    // The facets' counts are in the choices.
    expect(await page.getByLabel('Contrôle à revoir').locator('option').allTextContents()).toContain(
      'IBAN identique à celui enregistré (1)',
    );
    expect(await page.getByLabel('Prise en charge').locator('option').allTextContents()).toContain('Libres (4)');
    await checkPage(page, 'validation-queue');

    await page.getByLabel('Contrôle à revoir').selectOption('IBAN_MATCHES_CFA');
    await queueRow(page, plain).waitFor({ state: 'detached' });
    expect(await queueTable(page).getByRole('link').allTextContents()).toEqual([uncertain]);

    await page.getByRole('button', { name: 'Effacer les filtres' }).click();
    await queueRow(page, plain).waitFor();
    await page.getByLabel('Montant minimal (€)').fill('1 000');
    await queueRow(page, plain).waitFor({ state: 'detached' });
    expect(await queueTable(page).getByRole('link').allTextContents()).toEqual([large]);
    expect(page.url()).toContain('minAmountCents=100000');
  });

  it('claims an invoice and shows its PDF (zoomable), the uncertain value and the IBAN that differs from the CFA’s', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto('/validation');
    await page.getByRole('button', { name: `Prendre en charge ${uncertain}` }).click();
    await page.waitForURL(new RegExp(`/validation/${uncertain}$`));
    await openInvoice(page, uncertain);
    expect((await detail(uncertain)).desk.claim.userId).toBe(web.api.users.validator.id);
    await page.getByText('Vous avez pris cette facture en charge', { exact: false }).waitFor();

    // pdf.js painted the page: a canvas of real size with dark (text) pixels on it.
    const canvas = page.getByRole('img', { name: 'Page 1 sur 1 de facture.pdf' });
    const fit = await canvasWidth(page);
    expect(fit).toBeGreaterThan(200);
    await canvas.waitFor();
    const inked = await page.evaluate(`(() => {
      const c = document.querySelector('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 100 && d[i + 3] > 0) return true;
      return false;
    })()`);
    expect(inked).toBe(true);
    await page.getByRole('button', { name: 'Zoom avant' }).click();
    expect(
      await until(
        () => canvasWidth(page),
        (w) => w > fit * 1.2,
      ),
    ).toBeGreaterThan(fit * 1.2);
    // The keyboard zooms out again (not while typing in a field).
    await page.getByRole('heading', { name: `Facture ${uncertain}` }).click();
    await page.keyboard.press('-');
    expect(
      Math.round(
        await until(
          () => canvasWidth(page),
          (w) => w < fit * 1.1,
        ),
      ),
    ).toBe(Math.round(fit));

    // The uncertain invoice number: highlighted, said in words, its confidence as a percentage.
    const invoiceRow = page.locator('tr[data-field="invoiceNumber"]');
    expect(await invoiceRow.getAttribute('data-uncertain')).toBe('true');
    await invoiceRow.getByText('Lecture incertaine').waitFor();
    await invoiceRow.getByText('55 %').waitFor();
    expect(await page.locator('tr[data-uncertain]').count()).toBe(1);
    // The IBAN read is not the CFA's: both side by side, marked, and the control is « à vérifier ».
    const ibanRow = page
      .getByRole('table', { name: 'Valeurs enregistrées pour le CFA et valeurs lues' })
      .locator('tr[data-reference="iban"]');
    await ibanRow.getByText('Différent').waitFor();
    await ibanRow.getByText('FR76 3000 6000 0112 3456 7890 189').waitFor();
    await ibanRow.getByText('FR14 2004 1010 0505 0001 3M02 606').waitFor();
    await page
      .locator('[data-control="IBAN_MATCHES_CFA"][data-outcome="NEEDS_REVIEW"]')
      .getByText('À vérifier')
      .waitFor();
    await page
      .getByRole('table', { name: /Échéances facturées/ })
      .getByText('523,45 €')
      .first()
      .waitFor();

    // Where the values were read, framed on the page: the uncertain number in the warning colour; « Voir » frames
    // the total boldly, over the place the reading gave.
    const { fieldPositions } = (await detail(uncertain)).extraction;
    expect(Object.keys(fieldPositions)).toEqual(expect.arrayContaining(['invoiceNumber', 'totalCents', 'iban']));
    expect(await page.locator('[data-mark="invoiceNumber"]').getAttribute('data-tone')).toBe('warning');
    expect(await page.locator('[data-mark="totalCents"]').getAttribute('data-tone')).toBe('plain');
    await page.getByRole('button', { name: 'Voir sur le document : Montant total' }).click();
    const total = page.locator('[data-mark="totalCents"][data-tone="selected"]');
    await total.waitFor();
    const markBox = await total.boundingBox();
    const pageBox = await canvas.boundingBox();
    if (!markBox || !pageBox) throw new Error('the total’s mark or the page is not laid out');
    // The mark is drawn 0.4 % of the page wider than the value's box on each side.
    const { left, top } = fieldPositions.totalCents as { left: number; top: number };
    expect(Math.abs(markBox.x - pageBox.x - (left - 0.004) * pageBox.width)).toBeLessThan(3);
    expect(Math.abs(markBox.y - pageBox.y - (top - 0.004) * pageBox.height)).toBeLessThan(3);
    expect(
      await page.getByRole('button', { name: 'Voir sur le document : Montant total' }).getAttribute('aria-pressed'),
    ).toBe('true');
    await page.getByText('Les cadres montrent où les valeurs ont été lues', { exact: false }).waitFor();

    // « ? » lists the shortcuts.
    await page.keyboard.press('Shift+?');
    const help = page.getByRole('dialog', { name: 'Raccourcis clavier' });
    await help.getByText('Corriger une valeur lue').waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    await checkPage(page, 'validation-page');

    const tablet = await web.newPage(web.api.users.validator, TABLET);
    await tablet.goto(`/validation/${uncertain}`);
    await openInvoice(tablet, uncertain);
    // Stacked: the document above the read values, both the page's width.
    const documentBox = await tablet.getByRole('region', { name: 'Document déposé' }).first().boundingBox();
    const fieldsBox = await tablet.getByRole('region', { name: 'Valeurs lues sur la facture' }).boundingBox();
    expect(documentBox && fieldsBox && documentBox.y + documentBox.height <= fieldsBox.y).toBe(true);
    await checkPage(tablet, 'validation-page-tablet');
  });

  it('corrects a read value with a justification (from the keyboard): the page shows the corrected value', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto(`/validation/${uncertain}`);
    await openInvoice(page, uncertain);
    await page.keyboard.press('c');
    const dialog = page.getByRole('dialog', { name: 'Corriger la lecture' });
    // The uncertain field is proposed first.
    expect(await dialog.getByLabel('Champ à corriger').inputValue()).toBe('invoiceNumber');
    await dialog.getByLabel('Nouvelle valeur').fill('FA-2026-0042');
    await dialog.getByRole('button', { name: 'Enregistrer la correction' }).click();
    await dialog.getByText('Expliquez la correction', { exact: false }).waitFor();
    await dialog.getByLabel('Justification').fill('Numéro lu sur le document, en haut à droite.');
    await dialog.getByRole('button', { name: 'Enregistrer la correction' }).click();
    await dialog.waitFor({ state: 'detached' });

    const invoiceRow = page.locator('tr[data-field="invoiceNumber"]');
    await invoiceRow.getByText('FA-2026-0042').waitFor();
    await invoiceRow.getByText('Corrigé', { exact: true }).waitFor();
    expect(await invoiceRow.getAttribute('data-uncertain')).toBeNull();
    const corrections = (await detail(uncertain)).desk.corrections;
    expect(corrections).toMatchObject([
      { field: 'invoiceNumber', after: 'FA-2026-0042', justification: 'Numéro lu sur le document, en haut à droite.' },
    ]);
    await page
      .getByRole('table', { name: /Historique/ })
      .getByText('Correction de la lecture')
      .waitFor();
  });

  it('refuses with a reason of the catalogue and a comment, the letter previewed: the pro forma is refused', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto(`/validation/${uncertain}`);
    await openInvoice(page, uncertain);
    await page.getByRole('button', { name: 'Refuser', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Refuser la facture' });
    // The reason the control that is « à vérifier » stands for is proposed, its letter previewed.
    const preview = dialog.getByRole('region', { name: 'Aperçu de la lettre' });
    await preview.getByText('Motif de refus : Coordonnées bancaires différentes de celles enregistrées').waitFor();
    expect(await dialog.getByLabel('Motif de refus').inputValue()).toBe('IBAN_CHANGED');
    await dialog.getByLabel('Commentaire pour le CFA').fill('Merci de nous envoyer votre nouveau RIB.');
    await preview.getByText('Commentaire du valideur : Merci de nous envoyer votre nouveau RIB.').waitFor();
    await preview.getByText('sont différentes de celles enregistrées', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Confirmer le refus' }).click();

    await page.waitForURL(/\/validation$/);
    await page.getByText(`Facture ${uncertain} refusée`).waitFor();
    const refused = await detail(uncertain);
    expect(refused.status).toBe('REFUSED');
    expect(refused.refusal).toMatchObject({
      origin: 'MANUAL',
      reasonCode: 'IBAN_CHANGED',
      comment: 'Merci de nous envoyer votre nouveau RIB.',
    });
    await queueRow(page, uncertain).waitFor({ state: 'detached' });
  });

  it('approves an invoice after confirming: the pro forma is validated', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto('/validation');
    await page.getByRole('button', { name: `Prendre en charge ${plain}` }).click();
    await openInvoice(page, plain);
    // « v » opens the approval, which says nothing is left to check.
    await page.keyboard.press('v');
    const dialog = page.getByRole('dialog', { name: 'Valider la facture' });
    await dialog.getByText('612,34 €', { exact: false }).waitFor();
    expect(await dialog.getByText('Contrôles non conformes').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Confirmer la validation' }).click();
    await page.waitForURL(/\/validation$/);
    await page.getByText(`Facture ${plain} validée`).waitFor();
    expect((await detail(plain)).status).toBe('VALIDATED');
  });

  it('above the four-eyes threshold, a first approval awaits « seconde validation » by another validator', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto(`/validation/${large}`);
    await openInvoice(page, large);
    await page.getByRole('button', { name: 'Prendre en charge' }).click();
    await page.getByRole('button', { name: 'Libérer' }).waitFor();
    await page.getByRole('button', { name: 'Valider', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Valider la facture' })
      .getByRole('button', { name: 'Confirmer la validation' })
      .click();
    await page.waitForURL(/\/validation$/);
    await page.getByText('Première approbation enregistrée').waitFor();
    expect((await detail(large)).stage).toBe('AWAITING_SECOND_APPROVAL');
    await queueRow(page, large).getByText('second avis attendu').waitFor();

    // The first approver cannot give the second approval.
    await page.goto(`/validation/${large}`);
    await openInvoice(page, large);
    await page.getByText('Seconde validation attendue').waitFor();
    await page.getByText('la seconde revient à un autre valideur', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Valider', exact: true }).count()).toBe(0);

    const other = await web.newPage(second);
    await other.goto('/validation');
    await other.getByRole('button', { name: `Prendre en charge ${large}` }).click();
    await openInvoice(other, large);
    await other.getByText('Votre validation sera la seconde.').waitFor();
    // The second validator approves what the first one saw: no correction any more.
    expect(await other.getByRole('button', { name: 'Corriger', exact: true }).count()).toBe(0);
    await other.getByRole('button', { name: 'Valider', exact: true }).click();
    const dialog = other.getByRole('dialog', { name: 'Valider la facture' });
    await dialog.getByText('Vous donnez la seconde validation', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Confirmer la validation' }).click();
    await other.getByText(`Facture ${large} validée`).waitFor();
    const validated = await detail(large);
    expect(validated.status).toBe('VALIDATED');
    expect(validated.history.map((h: { action: string }) => h.action)).toEqual(
      expect.arrayContaining(['FIRST_APPROVAL', 'APPROVE']),
    );
  });

  it('shows a scanned invoice (an image) zoomable', async () => {
    const page = await web.newPage(web.api.users.validator);
    await page.goto(`/validation/${scanned}`);
    await page.getByRole('heading', { name: `Facture ${scanned}` }).waitFor();
    const image = page.getByRole('img', { name: 'Document déposé : facture.png' });
    await image.waitFor();
    // Decoded from its blob: URL.
    expect(
      await until(
        () => page.evaluate(`document.querySelector('img[alt="Document déposé : facture.png"]').naturalWidth`),
        (w) => Number(w) > 0,
      ),
    ).toBeGreaterThan(0);
    const fit = (await image.boundingBox())?.width ?? 0;
    expect(fit).toBeGreaterThan(200);
    await page.getByRole('button', { name: 'Zoom avant' }).click();
    await page.getByRole('button', { name: 'Zoom avant' }).click();
    expect(
      await until(
        async () => (await image.boundingBox())?.width ?? 0,
        (w) => w > fit * 1.4,
      ),
    ).toBeGreaterThan(fit * 1.4);
    // No page navigation for an image.
    expect(await page.getByRole('button', { name: 'Page suivante du document' }).count()).toBe(0);
  });

  it('gives a CFA user no link to the queue, and refuses its pages in words', async () => {
    const page = await web.newPage(web.api.users.cfa);
    await page.goto('/validation');
    await page.getByRole('heading', { name: 'Accès refusé' }).waitFor();
    expect(await page.getByRole('link', { name: 'File de validation' }).count()).toBe(0);
    await page.goto(`/validation/${plain}`);
    await page.getByRole('heading', { name: 'Accès refusé' }).waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
  });
});
