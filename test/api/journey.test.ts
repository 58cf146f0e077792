import { createExtractionActivities } from '../../activities/extraction';
import type { ReaderPool } from '../../extraction/readers';
import { startTestReaders } from '../helpers/readers';
import { TEST_IBAN } from '../helpers/fixtures';
import type { FieldPosition as Box } from '../../domain/reading';
import {
  API_NOW,
  seedInstallments,
  startApiStack,
  waitForProForma,
  type ApiStack,
  type TestUser,
} from '../helpers/api';
import { invoicePdf, scannedInvoicePng } from '../helpers/invoices';
import { startTestOcr, type TestOcr } from '../extraction/ocr-test-pool';

// The whole API on the real stack, with the real reading of invoices: the text layer of a PDF, and tesseract OCR of
// a scanned image (once in the whole API suite: OCR costs seconds per page on two cores).
jest.setTimeout(120_000);

const ISO_INSTANT = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const UUID = expect.stringMatching(/^[0-9a-f-]{36}$/);

describe('the journeys of a CFA and a validator through the API', () => {
  let api: ApiStack;
  let ocr: TestOcr;
  let readers: ReaderPool;
  beforeAll(async () => {
    api = await startApiStack({ ocrWorker: false });
    ocr = await startTestOcr(1);
    readers = await startTestReaders();
    await api.stack.startOcrWorker(
      createExtractionActivities({ store: api.store, ocr: ocr.pool, readers }).extractInvoiceFields,
    );
  });
  afterAll(async () => {
    await readers.close();
    await ocr.close();
    await api.teardown();
  });

  const as = (user: TestUser) => {
    const { agent, auth } = api.http(user);
    return {
      get: (path: string) => agent.get(path).set(auth),
      post: (path: string, body?: object) => agent.post(path).set(auth).send(body),
      upload: (path: string, content: Buffer, fileName: string) =>
        agent.post(path).set(auth).attach('file', content, { filename: fileName }),
    };
  };

  async function counters(user: TestUser): Promise<Record<string, number>> {
    const res = await as(user).get('/api/dashboard');
    expect(res.status).toBe(200);
    return Object.fromEntries(
      (res.body.counters as { category: string; count: number }[]).map((c) => [c.category, c.count]),
    );
  }

  it('takes a CFA from its contracts to a paid invoice netting its credit note, the dashboard following', async () => {
    const admin = as(api.users.admin);

    // The admin registers the CFA, its billing mandate, its user and its contracts.
    const cfa = await admin.post('/api/admin/cfas', {
      siret: '732 829 320 00074',
      name: 'CFA des Métiers Exemple',
      email: 'facturation@cfa-exemple.example',
      iban: 'fr76 3000 6000 0112 3456 7890 189',
    });
    expect(cfa.status).toBe(201);
    expect(cfa.body).toEqual({
      id: UUID,
      siret: '73282932000074',
      name: 'CFA des Métiers Exemple',
      email: 'facturation@cfa-exemple.example',
      iban: TEST_IBAN,
      bic: null,
      ibanFlag: null,
      trusted: false,
      creditNoteSettlement: 'DEDUCTION',
      createdAt: ISO_INSTANT,
      updatedAt: ISO_INSTANT,
    });
    const cfaId = cfa.body.id as string;
    expect((await admin.post(`/api/admin/cfas/${cfaId}/mandates`, { validFrom: '2026-01-01' })).status).toBe(201);
    const created = await admin.post('/api/admin/users', {
      role: 'cfa',
      name: 'Comptable',
      email: 'comptable@cfa-exemple.example',
      cfaId,
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cfaUser: TestUser = { id: created.body.id, role: 'cfa', cfaId, token: created.body.token };
    const contract = await admin.post('/api/admin/contracts', {
      cfaId,
      number: 'DECA-2026-000101',
      label: 'BTS Management commercial opérationnel',
      apprenticeName: 'Léa Martin',
      employerName: 'Boulangerie du Centre',
      employerSiret: '84123451100019',
      startDate: '2026-09-01',
      endDate: '2028-08-31',
      status: 'ENGAGE',
      installments: [
        { nature: 'PEDAGOGIE', periodStart: '2026-09-01', periodEnd: '2026-11-30', amountCents: 257_500 },
        // Not started on 22 November: not eligible yet.
        { nature: 'PEDAGOGIE', periodStart: '2026-12-01', periodEnd: '2027-02-28', amountCents: 257_500 },
        { nature: 'MOBILITE', periodStart: '2026-10-01', periodEnd: '2026-10-31', amountCents: 35_050 },
      ],
    });
    expect(contract.status).toBe(201);
    expect(contract.body.installments).toHaveLength(3);
    const rupture = await admin.post('/api/admin/contracts', {
      cfaId,
      number: 'DECA-2025-000087',
      label: 'Bac pro Métiers du commerce et de la vente',
      apprenticeName: 'Inès Petit',
      employerName: 'Boulangerie du Centre',
      employerSiret: '84123451100019',
      startDate: '2025-09-01',
      endDate: '2026-10-15',
      status: 'RUPTURE',
      installments: [
        { nature: 'PEDAGOGIE', periodStart: '2026-09-01', periodEnd: '2026-11-30', amountCents: -41_350 },
        { nature: 'PEDAGOGIE', periodStart: '2026-06-01', periodEnd: '2026-08-31', amountCents: 189_000 },
      ],
    });
    expect(rupture.status).toBe(201);

    const me = as(cfaUser);
    const before = await counters(cfaUser);
    expect(before).toEqual({ EMISES: 0, TRANSMISES: 0, REFUSEES: 0, REJETEES: 0, PRISES_EN_CHARGE: 0 });

    // The CFA sees its eligible installments and the recap.
    const eligible = await me.get('/api/installments/eligible?nature=PEDAGOGIE');
    expect(eligible.status).toBe(200);
    expect(eligible.body.recap).toEqual({ count: 3, invoiceCents: 446_500, creditCents: -41_350, totalCents: 405_150 });
    expect(
      eligible.body.items.map((i: Record<string, unknown>) => [
        i.contractNumber,
        i.periodStart,
        i.amountCents,
        i.contractStatus,
      ]),
    ).toEqual([
      ['DECA-2025-000087', '2026-06-01', 189_000, 'RUPTURE'],
      ['DECA-2025-000087', '2026-09-01', -41_350, 'RUPTURE'],
      ['DECA-2026-000101', '2026-09-01', 257_500, 'ENGAGE'],
    ]);

    // Mixed signs: an invoice and a credit note.
    const generated = await me.post('/api/pro-formas', { nature: 'PEDAGOGIE' });
    expect(generated.status).toBe(201);
    const [invoice, credit] = generated.body.proFormas as { number: string; kind: string }[];
    expect(generated.body.proFormas).toEqual([
      {
        number: expect.stringMatching(/^PRO-\d{8}$/),
        kind: 'INVOICE',
        nature: 'PEDAGOGIE',
        totalCents: 446_500,
        lineCount: 2,
        status: 'AWAITING_INVOICE',
        statusLabel: 'En attente de facture',
        settlementMode: null,
        createdAt: ISO_INSTANT,
      },
      {
        number: expect.stringMatching(/^PRO-\d{8}$/),
        kind: 'CREDIT_NOTE',
        nature: 'PEDAGOGIE',
        totalCents: -41_350,
        lineCount: 1,
        status: 'AWAITING_INVOICE',
        statusLabel: "En attente d'avoir",
        settlementMode: 'DEDUCTION',
        createdAt: ISO_INSTANT,
      },
    ]);
    if (!invoice || !credit) throw new Error('two pro formas expected');
    expect((await me.get('/api/installments/eligible?nature=PEDAGOGIE')).body.recap.count).toBe(0);

    // The invoice as a PDF with a text layer; its accented name arrives intact.
    const pdf = invoicePdf({
      proFormaNumber: invoice.number,
      invoiceNumber: 'FA-2026-0042',
      totalCents: 446_500,
      siret: '73282932000074',
      iban: TEST_IBAN,
    });
    const deposited = await me.upload(`/api/pro-formas/${invoice.number}/invoice`, pdf, 'Facture_réception_n°42.pdf');
    expect(deposited.status).toBe(202);
    expect(deposited.body).toMatchObject({
      number: invoice.number,
      status: 'UNDER_VALIDATION',
      statusLabel: 'En cours de validation',
      stage: 'READING',
      documents: [
        { version: 1, fileName: 'Facture_réception_n°42.pdf', mimeType: 'application/pdf', size: pdf.length },
      ],
    });

    // The credit note as a scanned image, read by OCR.
    const png = await scannedInvoicePng({
      title: 'Avoir',
      proFormaNumber: credit.number,
      invoiceNumber: 'AV-2026-0007',
      totalCents: 41_350,
      siret: '73282932000074',
      iban: TEST_IBAN,
    });
    expect((await me.upload(`/api/pro-formas/${credit.number}/invoice`, png, 'avoir-scanné.png')).status).toBe(202);

    const read = await waitForProForma(api, cfaUser, invoice.number, (p) => p.stage === 'AWAITING_DECISION');
    expect(read.extraction).toMatchObject({
      version: 1,
      engine: 'TEXT_LAYER',
      fields: {
        invoiceNumber: 'FA-2026-0042',
        proFormaNumber: invoice.number,
        totalCents: 446_500,
        siret: '73282932000074',
        iban: TEST_IBAN,
      },
    });
    expect((read.controls as { code: string; passed: boolean }[]).map((c) => [c.code, c.passed])).toEqual([
      ['DOCUMENT_READABLE', true],
      ['DOCUMENT_NOT_DUPLICATE', true],
      ['MANDATE_VALID', true],
      ['PRO_FORMA_NUMBER', true],
      ['TOTAL_AMOUNT', true],
      ['INVOICE_NUMBER', true],
      ['INVOICE_NUMBER_UNIQUE', true],
      ['SIRET', true],
      ['IBAN_VALID', true],
      ['IBAN_MATCHES_CFA', true],
    ]);
    const scanned = await waitForProForma(api, cfaUser, credit.number, (p) => p.stage === 'AWAITING_DECISION');
    expect(scanned.extraction).toMatchObject({
      engine: 'OCR',
      fields: { proFormaNumber: credit.number, totalCents: 41_350, siret: '73282932000074', iban: TEST_IBAN },
    });
    // Where the values were read, for the validation page to frame them: boxes within page 1, the total below the
    // invoice number on both documents.
    for (const { extraction } of [read, scanned] as unknown as {
      extraction: { fieldPositions: Record<string, Box> };
    }[]) {
      const { invoiceNumber, totalCents, iban } = extraction.fieldPositions;
      for (const box of [totalCents, iban]) {
        expect(box).toMatchObject({ page: 1 });
        expect((box?.left ?? 1) + (box?.width ?? 1)).toBeLessThanOrEqual(1);
        expect((box?.top ?? 1) + (box?.height ?? 1)).toBeLessThanOrEqual(1);
      }
      if (invoiceNumber) expect(invoiceNumber.top).toBeLessThan(totalCents?.top ?? 0);
    }
    expect(read.extraction).toMatchObject({ fieldPositions: { invoiceNumber: { page: 1 }, siret: { page: 1 } } });

    // The validator's queue, oldest deposit first.
    const validator = as(api.users.validator);
    const queue = await validator.get('/api/validation/queue');
    expect(queue.body.items.map((p: { number: string }) => p.number)).toEqual([invoice.number, credit.number]);

    // The credit note is approved first: the payment run deducts it from the invoice's transfer.
    const approvedCredit = await validator.post(`/api/pro-formas/${credit.number}/decision`, { decision: 'APPROVE' });
    expect(approvedCredit.status).toBe(200);
    expect(approvedCredit.body).toMatchObject({ status: 'VALIDATED', statusLabel: 'Validé' });
    await waitForProForma(api, cfaUser, credit.number, (p) => (p as { payment?: unknown }).payment !== null);
    const approved = await validator.post(`/api/pro-formas/${invoice.number}/decision`, { decision: 'APPROVE' });
    expect(approved.status).toBe(200);
    const ordered = await waitForProForma(
      api,
      cfaUser,
      invoice.number,
      (p) => (p as { payment?: unknown }).payment !== null,
    );
    expect(ordered.payment).toEqual({
      kind: 'TRANSFER',
      amountCents: 446_500,
      status: 'ORDERED',
      orderedAt: ISO_INSTANT,
      confirmedAt: null,
      reference: null,
    });

    // An admin runs the payments: one transfer, the credit note deducted; both say « paiement émis ».
    const run = await admin.post('/api/admin/payment-runs', {});
    expect(run.status).toBe(201);
    expect(run.body.run.transfers).toEqual([
      expect.objectContaining({
        amountCents: 405_150,
        invoices: [{ number: invoice.number, amountCents: 446_500 }],
        deductions: [{ number: credit.number, amountCents: -41_350, settled: true }],
      }),
    ]);
    await waitForProForma(api, cfaUser, invoice.number, (p) => p.stage === 'PAYMENT_ISSUED');
    const issuedCredit = await waitForProForma(api, cfaUser, credit.number, (p) => p.stage === 'PAYMENT_ISSUED');
    expect(issuedCredit).toMatchObject({ status: 'VALIDATED', statusLabel: 'Déduit d’un virement émis' });

    const paid = await admin.post(`/api/pro-formas/${invoice.number}/payment-confirmation`, {
      reference: 'VIR-2026-11-001',
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'PAID', statusLabel: 'Payé', stage: null, paidAt: ISO_INSTANT });
    expect(
      (paid.body.history as { action: string; from: string | null; to: string }[]).map((h) => [h.action, h.from, h.to]),
    ).toEqual([
      ['GENERATE', null, 'AWAITING_INVOICE'],
      ['DEPOSIT', 'AWAITING_INVOICE', 'UNDER_VALIDATION'],
      ['CONTROL', 'UNDER_VALIDATION', 'UNDER_VALIDATION'],
      ['AWAIT_DECISION', 'UNDER_VALIDATION', 'UNDER_VALIDATION'],
      ['APPROVE', 'UNDER_VALIDATION', 'VALIDATED'],
      ['ISSUE_PAYMENT', 'VALIDATED', 'VALIDATED'],
      ['CONFIRM_PAYMENT', 'VALIDATED', 'PAID'],
    ]);

    // « Prises en charge »: the invoice paid, and the credit note deducted from a transfer sent to the bank.
    const after = await counters(cfaUser);
    expect(after).toEqual({ EMISES: 2, TRANSMISES: 2, REFUSEES: 0, REJETEES: 0, PRISES_EN_CHARGE: 2 });
    const board = await me.get('/api/dashboard');
    expect(board.body.counters[4]).toEqual({
      category: 'PRISES_EN_CHARGE',
      label: 'Prises en charge',
      count: 2,
      updatedAt: paid.body.paidAt,
      link: '/api/pro-formas?category=PRISES_EN_CHARGE',
    });
    const paidList = await me.get(board.body.counters[4].link);
    expect(paidList.body.items.map((p: { number: string }) => p.number).sort()).toEqual(
      [invoice.number, credit.number].sort(),
    );
    // Another CFA's dashboard does not move.
    expect(await counters(api.users.otherCfa)).toEqual(before);

    // The deposited file, as deposited.
    const file = await me.get(`/api/pro-formas/${invoice.number}/documents/1`).buffer(true);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="Facture_r?ception_n?42.pdf"; filename*=UTF-8''Facture_r%C3%A9ception_n%C2%B042.pdf`,
    );
    expect(Buffer.compare(file.body as Buffer, pdf)).toBe(0);
  });

  it('refuses automatically with the reason’s letter, takes a corrected version, then a manual refusal, a cancellation and a new generation', async () => {
    const me = as(api.users.cfa);
    const validator = as(api.users.validator);
    await seedInstallments(api, api.cfa.id, [120_000, 80_000]);
    const generated = await me.post('/api/pro-formas', { nature: 'PEDAGOGIE' });
    expect(generated.status).toBe(201);
    const { number } = generated.body.proFormas[0] as { number: string };
    const values = { proFormaNumber: number, siret: api.cfa.siret, iban: TEST_IBAN };

    // A total that is not the pro forma's: refused automatically.
    const wrong = invoicePdf({ ...values, invoiceNumber: 'FA-77', totalCents: 190_000 });
    expect((await me.upload(`/api/pro-formas/${number}/invoice`, wrong, 'facture.pdf')).status).toBe(202);
    const refused = await waitForProForma(api, api.users.cfa, number, (p) => p.status === 'REFUSED');
    // Asked straight away: should the read model not hold the decision yet, the refusal comes from the workflow.
    expect(refused).toMatchObject({ statusLabel: 'Refusé', refusalOrigin: 'AUTOMATIC' });
    const refusal = await me.get(`/api/pro-formas/${number}/refusal`);
    expect(refusal.status).toBe(200);
    expect(refusal.body).toEqual({
      origin: 'AUTOMATIC',
      reasonCode: 'AMOUNT_MISMATCH',
      label: 'Montant non conforme à la facture pro forma',
      comment: null,
      letter:
        'Madame, monsieur,\n\nNos services ont procédé au contrôle de votre facture.\n\n' +
        'Cette dernière présente une non-conformité.\n\n' +
        "Le montant indiqué n'est pas égal au montant de la facture pro forma générée par le portail.\n\n" +
        'Nous vous remercions de nous adresser une nouvelle facture sur votre portail.\n\n' +
        'La direction des opérations.',
      at: ISO_INSTANT,
    });
    expect((await counters(api.users.cfa)).REFUSEES).toBe(1);
    const refusedList = await me.get('/api/pro-formas?category=REFUSEES');
    expect(refusedList.body.items.map((p: { number: string }) => p.number)).toEqual([number]);

    // The corrected invoice is a new version; the first is kept.
    const corrected = invoicePdf({ ...values, invoiceNumber: 'FA-78', totalCents: 200_000 });
    const redeposit = await me.upload(`/api/pro-formas/${number}/invoice`, corrected, 'facture-corrigée.pdf');
    expect(redeposit.status).toBe(202);
    expect(redeposit.body.documents.map((d: { version: number; fileName: string }) => [d.version, d.fileName])).toEqual(
      [
        [1, 'facture.pdf'],
        [2, 'facture-corrigée.pdf'],
      ],
    );
    expect(redeposit.body.refusal).toBeUndefined();
    await waitForProForma(api, api.users.cfa, number, (p) => p.stage === 'AWAITING_DECISION');
    expect((await counters(api.users.cfa)).REFUSEES).toBe(0);

    // A validator refuses it by hand: the letter names the pro forma.
    const rejected = await validator.post(`/api/pro-formas/${number}/decision`, {
      decision: 'REFUSE',
      reasonCode: 'PRO_FORMA_NUMBER_MISSING',
      comment: 'Le numéro de pro forma doit figurer en en-tête.',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'REFUSED',
      refusalOrigin: 'MANUAL',
      refusal: {
        origin: 'MANUAL',
        reasonCode: 'PRO_FORMA_NUMBER_MISSING',
        label: 'Numéro de facture pro forma absent ou erroné',
        comment: 'Le numéro de pro forma doit figurer en en-tête.',
      },
    });
    expect(rejected.body.refusal.letter).toContain(
      `Le numéro de la facture pro forma ${number} n'est pas rappelé sur votre facture`,
    );
    expect(await counters(api.users.cfa)).toMatchObject({ REFUSEES: 0, REJETEES: 1 });

    // The CFA cancels: the installments are eligible again, and billed in a new pro forma.
    const cancelled = await me.post(`/api/pro-formas/${number}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', statusLabel: 'Annulé', cancelledAt: ISO_INSTANT });
    const again = await me.post(`/api/pro-formas/${number}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(
      "Action non autorisée : l'annulation est impossible au statut « Annulé » (CANCELLED).",
    );
    const eligible = await me.get('/api/installments/eligible?nature=PEDAGOGIE');
    expect(eligible.body.recap).toMatchObject({ count: 2, totalCents: 200_000 });
    const regenerated = await me.post('/api/pro-formas', { nature: 'PEDAGOGIE' });
    expect(regenerated.status).toBe(201);
    expect(regenerated.body.proFormas).toMatchObject([{ kind: 'INVOICE', totalCents: 200_000, lineCount: 2 }]);
    expect(regenerated.body.proFormas[0].number).not.toBe(number);
    expect(API_NOW.toISOString()).toBe('2026-11-22T10:00:00.000Z');
  });
});
