import crypto from 'node:crypto';
import request from 'supertest';
import { formatEuros } from '../../domain/money';
import { openPdf } from '../../extraction/pdf';
import { readInvoice } from '../../extraction/read-invoice';
import { readTextLayer } from '../../extraction/text-layer';
import type { ExtractionResult } from '../../extraction/types';
import {
  binary,
  matchingInvoice,
  programReadings,
  startApiStack,
  waitForProForma,
  type ApiStack,
  type TestUser,
} from '../helpers/api';

jest.setTimeout(240_000);

const CFA_NAME = 'CFA des Métiers de l’Artisanat Élysée';
const FORMATTED_IBAN = 'FR76 3000 6000 0112 3456 7890 189';

/** The spaces formatEuros prints (narrow no-break, no-break) read as plain ones; runs of blanks as one. */
const norm = (text: string) => text.replace(/[\u00a0\u202f\u2007\u2009]/g, ' ').replace(/[ \t]+/g, ' ');
/** All whitespace as one space: a paragraph wrapped over several lines reads as written. */
const flat = (text: string) => norm(text).replace(/\s+/g, ' ').trim();

/** dd/mm/yyyy in Europe/Paris, computed here independently of the code under test. */
const PARIS = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const parisDay = (instant: string) => PARIS.format(new Date(instant));
const calendarDay = (isoDate: string) => isoDate.split('-').reverse().join('/');

interface PdfText {
  /** Each page's lines, normalized. */
  pages: string[][];
  /** Every line of every page. */
  lines: string[];
  /** The whole text, whitespace collapsed. */
  flat: string;
}

/** The PDF read back through the project's text-layer reader (pdfjs). */
async function textOf(pdf: Buffer): Promise<PdfText> {
  const doc = await openPdf(new Uint8Array(pdf), { maxPages: 1000 });
  try {
    const layer = await readTextLayer(doc, { maxPages: 1000 });
    const pages = layer.pages.map((page) =>
      norm(page.text)
        .split('\n')
        .map((line) => line.trim()),
    );
    return { pages, lines: pages.flat(), flat: flat(layer.text) };
  } finally {
    await doc.destroy();
  }
}

interface SeededLine {
  contractNumber: string;
  apprenticeName: string;
  employerName: string;
  periodStart: string;
  periodEnd: string;
  amountCents: number;
}

/** Each expected line is a whole line of the document (the missing ones are named). */
function expectLines(text: PdfText, expected: readonly string[]): void {
  expect(expected.filter((line) => !text.lines.includes(line))).toEqual([]);
}

/** The line of the table as it reads back: contract, apprentice, employer, period, amount. */
const rowText = (l: SeededLine) =>
  norm(
    `${l.contractNumber} ${l.apprenticeName} ${l.employerName} ${calendarDay(l.periodStart)} – ` +
      `${calendarDay(l.periodEnd)} ${formatEuros(l.amountCents)}`,
  );

/** The funder as configured (FUNDER_*): the documents print it, nothing else names it. */
const FUNDER_ENV = {
  FUNDER_NAME: 'Opco Financement Test',
  FUNDER_DEPARTMENT: 'Direction des paiements',
  FUNDER_ADDRESS: '12 rue de la Paix | 75002 Paris',
  FUNDER_EMAIL: 'paiements@opco-test.example',
};

describe('PDF documents of a pro forma', () => {
  let api: ApiStack;
  let readings: Map<string, ExtractionResult>;
  const funder = () => api.deps.config.funder;

  beforeAll(async () => {
    api = await startApiStack({ env: FUNDER_ENV });
    expect(funder()).toMatchObject({
      name: 'Opco Financement Test',
      department: 'Direction des paiements',
      address: ['12 rue de la Paix', '75002 Paris'],
    });
    readings = programReadings(api);
    await api.stack.database.db.updateTable('cfas').set({ name: CFA_NAME }).where('id', '=', api.cfa.id).execute();
  });
  afterAll(() => api.teardown());

  const download = (as: TestUser | undefined, number: string, file: string) => {
    const req = request(api.app).get(`/api/pro-formas/${number}/${file}`);
    if (as) req.set('Authorization', `Bearer ${as.token}`);
    return req.buffer(true).parse(binary);
  };

  /** The JSON error of an answer read as bytes. */
  const errorOf = (res: request.Response) => {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return (JSON.parse((res.body as Buffer).toString('utf8')) as { error: Record<string, unknown> }).error;
  };

  /** Contracts of the first CFA, one installment each unless several are given, inserted as the import would. */
  async function seedLines(lines: readonly SeededLine[]): Promise<string[]> {
    const db = api.stack.database.db;
    const ids: string[] = [];
    const contracts = new Map<string, string>();
    for (const line of lines) {
      let contractId = contracts.get(line.contractNumber);
      if (!contractId) {
        const row = await db
          .insertInto('contracts')
          .values({
            cfa_id: api.cfa.id,
            number: line.contractNumber,
            label: 'BTS Management commercial opérationnel',
            apprentice_name: line.apprenticeName,
            employer_name: line.employerName,
            employer_siret: '73282932000074',
            start_date: '2025-09-01',
            end_date: '2027-08-31',
            status: line.amountCents < 0 ? 'RUPTURE' : 'ENGAGE',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        contractId = row.id;
        contracts.set(line.contractNumber, contractId);
      }
      const installment = await db
        .insertInto('installments')
        .values({
          contract_id: contractId,
          nature: 'PEDAGOGIE',
          period_start: line.periodStart,
          period_end: line.periodEnd,
          amount_cents: line.amountCents,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(installment.id);
    }
    return ids;
  }

  async function generate(installmentIds: string[], settlementMode?: 'DEDUCTION' | 'REMBOURSEMENT') {
    const res = await request(api.app)
      .post('/api/pro-formas')
      .set('Authorization', `Bearer ${api.users.cfa.token}`)
      .send({ nature: 'PEDAGOGIE', installmentIds, ...(settlementMode && { settlementMode }) });
    expect(res.status).toBe(201);
    return res.body.proFormas as { number: string; kind: string; totalCents: number; createdAt: string }[];
  }

  const tag = () => crypto.randomBytes(3).toString('hex').toUpperCase();

  /** A pro forma of the first CFA on these lines, deposited and awaiting a decision. */
  async function awaitingDecision(proForma: { number: string; totalCents: number }) {
    const { pdf } = matchingInvoice(api, readings, proForma);
    const res = await request(api.app)
      .post(`/api/pro-formas/${proForma.number}/invoice`)
      .set('Authorization', `Bearer ${api.users.cfa.token}`)
      .attach('file', pdf, 'facture.pdf');
    expect(res.status).toBe(202);
    return waitForProForma(api, api.users.cfa, proForma.number, (p) => p.stage === 'AWAITING_DECISION');
  }

  const decide = (number: string, body: object) =>
    request(api.app)
      .post(`/api/pro-formas/${number}/decision`)
      .set('Authorization', `Bearer ${api.users.validator.token}`)
      .send(body);

  async function cfaEmail(): Promise<string> {
    const row = await api.stack.database.db
      .selectFrom('cfas')
      .select('email')
      .where('id', '=', api.cfa.id)
      .executeTakeFirstOrThrow();
    return row.email;
  }

  it('prints the pro forma as the model to copy: every value in French, read back by the invoice reader', async () => {
    const t = tag();
    const lines: SeededLine[] = [
      {
        contractNumber: `DECA-${t}-000101`,
        apprenticeName: 'Élodie Pécresse',
        employerName: 'Boulangerie du Château',
        periodStart: '2026-09-01',
        periodEnd: '2026-11-30',
        amountCents: 257_500,
      },
      {
        contractNumber: `DECA-${t}-000102`,
        apprenticeName: 'Noé Lefèvre',
        employerName: 'Garage Müller & Fils',
        periodStart: '2026-06-01',
        periodEnd: '2026-08-31',
        amountCents: 189_000,
      },
      {
        contractNumber: `DECA-${t}-000102`,
        apprenticeName: 'Noé Lefèvre',
        employerName: 'Garage Müller & Fils',
        periodStart: '2026-09-01',
        periodEnd: '2026-11-30',
        amountCents: 123_456_789,
      },
    ];
    const [proForma] = await generate(await seedLines(lines));
    if (!proForma) throw new Error('one pro forma expected');
    const total = 257_500 + 189_000 + 123_456_789;
    expect(proForma).toMatchObject({ kind: 'INVOICE', totalCents: total });

    const res = await download(api.users.cfa, proForma.number, 'document.pdf');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`attachment; filename=${proForma.number}.pdf`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // The embedded TrueType fonts, subset, and no standard font (WinAnsi) anywhere: accents as written.
    const fonts = [...pdf.toString('latin1').matchAll(/\/BaseFont \/(?:[A-Z]{6}\+)?([\w-]+)/g)].map((m) => m[1]);
    expect(new Set(fonts)).toEqual(new Set(['DejaVuSans', 'DejaVuSans-Bold']));

    const text = await textOf(pdf);
    expect(text.pages).toHaveLength(1);
    expectLines(text, [
      'Facture pro forma Date : ' + parisDay(proForma.createdAt),
      'Nature de coûts : Pédagogie',
      `${proForma.number} Type : Facture`,
      `${CFA_NAME} ${funder().name}`,
      `SIRET : ${api.cfa.siret} ${funder().department}`,
      `IBAN : ${FORMATTED_IBAN} ${funder().address[1]}`,
      'N° de contrat Apprenti Employeur Période Montant',
      // By contract, then period.
      ...lines.map(rowText),
      'Nombre de lignes : 3',
      norm(`Total à payer : ${formatEuros(total)}`),
      `Rappelez impérativement le numéro ${proForma.number} sur votre facture.`,
      `Facture pro forma ${proForma.number} — ${CFA_NAME} Page 1 / 1`,
    ]);
    expect(text.lines.filter((l) => l.startsWith('DECA-'))).toEqual(lines.map(rowText));
    expect(text.flat).toContain(`E-mail : ${(await cfaEmail()).trim()}`);
    expect(text.flat).toContain('Établissez votre propre facture');
    expect(text.flat).not.toContain("Facture d'avoir");
    expect(text.flat).not.toContain('Mode de règlement');

    // The project's own reader, on the text layer, finds the number to recall and the total to invoice.
    const read = await readInvoice(new Uint8Array(pdf), 'application/pdf', { ocr: null });
    expect(read.engine).toBe('TEXT_LAYER');
    expect(read.fields).toMatchObject({ proFormaNumber: proForma.number, totalCents: total, siret: api.cfa.siret });
  });

  it('prints a credit note as « Facture d’avoir », its negative amounts as such, and its settlement mode', async () => {
    const t = tag();
    const line: SeededLine = {
      contractNumber: `DECA-${t}-000087`,
      apprenticeName: 'Inès Petit',
      employerName: 'Fromagerie Évêque',
      periodStart: '2026-09-01',
      periodEnd: '2026-11-30',
      amountCents: -41_350,
    };
    const [credit] = await generate(await seedLines([line]), 'REMBOURSEMENT');
    if (!credit) throw new Error('one credit note expected');
    expect(credit).toMatchObject({ kind: 'CREDIT_NOTE', totalCents: -41_350 });
    const res = await download(api.users.cfa, credit.number, 'document.pdf');
    expect(res.status).toBe(200);
    const text = await textOf(res.body as Buffer);
    expectLines(text, [
      "Facture d'avoir pro forma Date : " + parisDay(credit.createdAt),
      `${credit.number} Type : Facture d'avoir`,
      "Mode de règlement de l'avoir : Remboursement par le CFA",
      rowText(line),
      'Nombre de lignes : 1',
      norm(`Total de la facture d'avoir : ${formatEuros(-41_350)}`),
      `Rappelez impérativement le numéro ${credit.number} sur votre facture d'avoir.`,
    ]);
    expect(formatEuros(-41_350)).toMatch(/^-413,50/);
  });

  it('paginates a 300-line pro forma: every line once, the header repeated, « Page x / n »', async () => {
    const t = tag();
    const lines: SeededLine[] = Array.from({ length: 300 }, (_, i) => ({
      contractNumber: `P300-${t}-${String(i).padStart(4, '0')}`,
      apprenticeName: `Gaëlle ${i}`,
      employerName: `Île-de-France ${i}`,
      periodStart: '2026-03-01',
      periodEnd: '2026-05-31',
      amountCents: 100_000 + i,
    }));
    const [proForma] = await generate(await seedLines(lines));
    if (!proForma) throw new Error('one pro forma expected');
    const total = lines.reduce((sum, l) => sum + l.amountCents, 0);
    const res = await download(api.users.validator, proForma.number, 'document.pdf');
    expect(res.status).toBe(200);
    const text = await textOf(res.body as Buffer);
    const count = text.pages.length;
    expect(count).toBeGreaterThan(4);
    text.pages.forEach((page, i) => {
      expect(page).toContain('N° de contrat Apprenti Employeur Période Montant');
      expect(page[page.length - 1]).toBe(`Facture pro forma ${proForma.number} — ${CFA_NAME} Page ${i + 1} / ${count}`);
      if (i > 0) expect(page[0]).toBe(`Facture pro forma ${proForma.number} (suite)`);
    });
    expect(text.lines.filter((l) => l.startsWith('P300-'))).toEqual(lines.map(rowText));
    expect(text.pages[count - 1]).toContain(norm(`Total à payer : ${formatEuros(total)}`));
    expect(text.pages[count - 1]).toContain('Nombre de lignes : 300');

    const read = await readInvoice(new Uint8Array(res.body as Buffer), 'application/pdf', { ocr: null });
    expect(read.fields).toMatchObject({ proFormaNumber: proForma.number, totalCents: total });
  });

  it('answers another CFA 404 on each document, as if the pro forma did not exist', async () => {
    const t = tag();
    const [proForma] = await generate(
      await seedLines([
        {
          contractNumber: `DECA-${t}-1`,
          apprenticeName: 'A',
          employerName: 'B',
          periodStart: '2026-01-01',
          periodEnd: '2026-01-31',
          amountCents: 50_000,
        },
      ]),
    );
    if (!proForma) throw new Error('one pro forma expected');
    for (const file of ['document.pdf', 'refusal.pdf', 'payment-advice.pdf']) {
      const other = await download(api.users.otherCfa, proForma.number, file);
      expect([file, other.status, errorOf(other).code]).toEqual([file, 404, 'NOT_FOUND']);
      const unknown = await download(api.users.admin, 'PRO-99999999', file);
      expect([file, unknown.status]).toEqual([file, 404]);
      expect((await download(undefined, proForma.number, file)).status).toBe(401);
    }
    for (const as of [api.users.cfa, api.users.validator, api.users.admin]) {
      expect((await download(as, proForma.number, 'document.pdf')).status).toBe(200);
    }
  });

  it('prints the refusal letter of a refused pro forma, 409 before the refusal', async () => {
    const t = tag();
    const [proForma] = await generate(
      await seedLines([
        {
          contractNumber: `DECA-${t}-9`,
          apprenticeName: 'Zoé Dupré',
          employerName: 'Pâtisserie Noël',
          periodStart: '2026-02-01',
          periodEnd: '2026-04-30',
          amountCents: 98_765,
        },
      ]),
    );
    if (!proForma) throw new Error('one pro forma expected');
    const before = await download(api.users.cfa, proForma.number, 'refusal.pdf');
    expect(before.status).toBe(409);
    expect(errorOf(before)).toEqual({
      code: 'NOT_REFUSED',
      message: 'Aucun motif de refus : la facture pro forma est au statut « En attente de facture ».',
      details: { status: 'AWAITING_INVOICE' },
    });

    await awaitingDecision(proForma);
    expect((await download(api.users.cfa, proForma.number, 'refusal.pdf')).status).toBe(409);
    const comment = 'Tampon illisible : déposez une facture signée, à l’en-tête du CFA.';
    expect((await decide(proForma.number, { decision: 'REFUSE', reasonCode: 'OTHER', comment })).status).toBe(200);
    const detail = await waitForProForma(
      api,
      api.users.cfa,
      proForma.number,
      (p) => (p as { refusal?: unknown }).refusal !== undefined,
    );
    const refusal = detail.refusal as { label: string; letter: string; at: string; comment: string };
    expect(refusal.comment).toBe(comment);
    const invoiceNumber = detail.invoiceNumber as string;
    expect(invoiceNumber).toMatch(/^FA-/);

    for (const as of [api.users.cfa, api.users.validator, api.users.admin]) {
      const res = await download(as, proForma.number, 'refusal.pdf');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe(`attachment; filename=refus-${proForma.number}.pdf`);
      const text = await textOf(res.body as Buffer);
      expectLines(text, [
        funder().name,
        CFA_NAME,
        `SIRET : ${api.cfa.siret}`,
        `Le ${parisDay(refusal.at)}`,
        `Objet : Refus de votre facture n° ${invoiceNumber} — pro forma ${proForma.number}`,
        `Motif : ${refusal.label}`,
        'Commentaire du gestionnaire :',
      ]);
      expect(text.flat).toContain(flat(refusal.letter));
      expect(text.flat).toContain(flat(comment));
      expect(text.flat).toContain('refus prononcé par un gestionnaire');
    }
    expect((await download(api.users.otherCfa, proForma.number, 'refusal.pdf')).status).toBe(404);
  });

  it('prints the payment advice once paid: net amount, date, reference, the credit notes deducted; 409 before', async () => {
    const t = tag();
    const invoiceLine: SeededLine = {
      contractNumber: `DECA-${t}-0101`,
      apprenticeName: 'Léa Martin',
      employerName: 'Boulangerie du Centre',
      periodStart: '2026-09-01',
      periodEnd: '2026-11-30',
      amountCents: 446_500,
    };
    const creditLine: SeededLine = {
      contractNumber: `DECA-${t}-0087`,
      apprenticeName: 'Inès Petit',
      employerName: 'Boulangerie du Centre',
      periodStart: '2026-09-01',
      periodEnd: '2026-11-30',
      amountCents: -41_350,
    };
    const generated = await generate(await seedLines([invoiceLine, creditLine]), 'DEDUCTION');
    const invoice = generated.find((p) => p.kind === 'INVOICE');
    const credit = generated.find((p) => p.kind === 'CREDIT_NOTE');
    if (!invoice || !credit) throw new Error('an invoice and a credit note expected');

    // The credit note's own pro forma says it will be deducted.
    const creditPdf = await textOf((await download(api.users.cfa, credit.number, 'document.pdf')).body as Buffer);
    expectLines(creditPdf, [
      "Mode de règlement de l'avoir : Déduction sur les prochains paiements",
      norm(`Total de la facture d'avoir : ${formatEuros(-41_350)}`),
      rowText(creditLine),
    ]);

    const notYet = await download(api.users.cfa, invoice.number, 'payment-advice.pdf');
    expect(notYet.status).toBe(409);
    expect(errorOf(notYet)).toEqual({
      code: 'NOT_PAID',
      message: 'Aucun paiement : la facture pro forma est au statut « En attente de facture ».',
      details: { status: 'AWAITING_INVOICE' },
    });

    const creditRead = await awaitingDecision(credit);
    await awaitingDecision(invoice);
    expect((await decide(credit.number, { decision: 'APPROVE' })).status).toBe(200);
    await waitForProForma(api, api.users.cfa, credit.number, (p) => (p as { payment?: unknown }).payment !== null);
    expect((await decide(invoice.number, { decision: 'APPROVE' })).status).toBe(200);
    const ordered = await waitForProForma(
      api,
      api.users.cfa,
      invoice.number,
      (p) => (p as { payment?: unknown }).payment !== null,
    );
    // Ordered whole: the payment run nets the credit note into the transfer.
    expect(ordered.payment).toMatchObject({ kind: 'TRANSFER', amountCents: 446_500, status: 'ORDERED' });
    const validated = await download(api.users.admin, invoice.number, 'payment-advice.pdf');
    expect(validated.status).toBe(409);
    expect(errorOf(validated)).toMatchObject({ code: 'NOT_PAID', details: { status: 'VALIDATED' } });
    const run = await request(api.app)
      .post('/api/admin/payment-runs')
      .set('Authorization', `Bearer ${api.users.admin.token}`)
      .send({});
    expect(run.status).toBe(201);
    const [transfer] = run.body.run.transfers;
    expect(transfer).toMatchObject({ amountCents: 446_500 - 41_350 });
    await waitForProForma(api, api.users.cfa, invoice.number, (p) => p.stage === 'PAYMENT_ISSUED');

    // Paid at 23:30 UTC on 21 November: 22 November in Paris.
    const paid = await request(api.app)
      .post(`/api/pro-formas/${invoice.number}/payment-confirmation`)
      .set('Authorization', `Bearer ${api.users.admin.token}`)
      .send({ reference: 'VIR-2026-11-0042', paidAt: '2026-11-21T23:30:00.000Z' });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('PAID');
    const invoiceNumber = paid.body.invoiceNumber as string;
    const creditNumber = creditRead.invoiceNumber as string;
    expect(invoiceNumber).toMatch(/^FA-/);
    expect(creditNumber).toMatch(/^FA-/);

    for (const as of [api.users.cfa, api.users.validator, api.users.admin]) {
      const res = await download(as, invoice.number, 'payment-advice.pdf');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe(`attachment; filename=avis-de-paiement-${invoice.number}.pdf`);
      const text = await textOf(res.body as Buffer);
      expectLines(text, [
        funder().name,
        CFA_NAME,
        `SIRET : ${api.cfa.siret}`,
        `IBAN : ${FORMATTED_IBAN}`,
        'Avis de paiement',
        `Objet : Paiement de votre facture n° ${invoiceNumber} — pro forma ${invoice.number}`,
        'Date du paiement : 22/11/2026',
        'Référence bancaire : VIR-2026-11-0042',
        `Référence du virement : ${transfer.endToEndId}`,
        'Mode : Virement au CFA',
        norm(`Montant de la facture (pro forma ${invoice.number}) : ${formatEuros(446_500)}`),
        "Factures d'avoir déduites de ce virement :",
        "Pro forma N° de facture d'avoir Montant déduit",
        norm(`${credit.number} ${creditNumber} ${formatEuros(-41_350)}`),
        norm(`Total des factures d'avoir déduites : ${formatEuros(-41_350)}`),
        norm(`Montant net viré : ${formatEuros(446_500 - 41_350)}`),
        `Avis de paiement — pro forma ${invoice.number} — ${CFA_NAME} Page 1 / 1`,
      ]);
    }
    expect((await download(api.users.otherCfa, invoice.number, 'payment-advice.pdf')).status).toBe(404);
  });

  it('describes the three downloads in the OpenAPI document as PDF files', async () => {
    const res = await request(api.app).get('/api/openapi.json');
    for (const file of ['document.pdf', 'refusal.pdf', 'payment-advice.pdf']) {
      const operation = res.body.paths[`/api/pro-formas/{number}/${file}`]?.get;
      expect(operation?.responses['200'].content).toEqual({
        'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } },
      });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404']));
    }
  });
});
