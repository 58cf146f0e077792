import ExcelJS from 'exceljs';
import { createPaymentRun, type RunRequest } from '../../db/payment-runs';
import { PAIN_001_SCHEMA, writeCreditTransferFile } from '../../documents/sepa-credit-transfer';
import { validateAgainstSchema } from '../../infra/xml-schema';
import { binary, startApiStack, type ApiStack } from '../helpers/api';
import { insertCfa, insertOrderedPayment, TEST_IBAN } from '../helpers/fixtures';

jest.setTimeout(120_000);

/** A run's views for admins: the list, the detail, the stored file, the exports; IBANs masked but in the file. */
describe('payment runs in the API', () => {
  let api: ApiStack;
  let run: { number: string; fileSha256: string | null };
  let empty: { number: string };
  const numbers: Record<string, string> = {};

  const admin = () => {
    const { agent, auth } = api.http(api.users.admin);
    return { get: (path: string) => agent.get(path).set(auth) };
  };

  const request = (at: string): RunRequest => ({
    trigger: 'MANUAL',
    requestedBy: api.users.admin.id,
    grouping: 'PER_CFA',
    cutoff: new Date(at),
    now: new Date(at),
    executionDate: at.slice(0, 10),
    debtor: { name: 'Opco Démo', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' },
  });

  beforeAll(async () => {
    api = await startApiStack();
    const db = api.stack.database.db;
    const cfa = await insertCfa(db);
    numbers.invoice = await insertOrderedPayment(db, cfa.id, 120_000, '2026-11-20T10:00:00Z');
    numbers.credit = await insertOrderedPayment(db, cfa.id, -20_000, '2026-11-21T10:00:00Z');
    const writeFile = {
      writeFile: (content: Parameters<typeof writeCreditTransferFile>[0]) =>
        writeCreditTransferFile(content, api.store),
    };
    run = await createPaymentRun(db, request('2026-12-01T09:00:00Z'), writeFile);
    empty = await createPaymentRun(db, request('2026-12-01T09:30:00Z'), writeFile);
  });
  afterAll(() => api.teardown());

  it('lists the runs, newest first', async () => {
    const res = await admin().get('/api/admin/payment-runs');
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: { number: string }) => r.number)).toEqual([empty.number, run.number]);
    expect(res.body.items[1]).toMatchObject({ transferCount: 1, totalCents: 100_000, grouping: 'PER_CFA' });
  });

  it('details a run: what each transfer pays and deducts, the IBAN masked', async () => {
    const res = await admin().get(`/api/admin/payment-runs/${run.number}`);
    expect(res.status).toBe(200);
    expect(res.body.transfers).toEqual([
      expect.objectContaining({
        amountCents: 100_000,
        status: 'ISSUED',
        invoices: [{ number: numbers.invoice, amountCents: 120_000 }],
        deductions: [{ number: numbers.credit, amountCents: -20_000, settled: true }],
        remittance: `Factures ${numbers.invoice} moins avoirs ${numbers.credit}`,
      }),
    ]);
    expect(res.body.transfers[0].iban).toMatch(/^[* ]+\S{4}$/);
    expect(res.body.transfers[0].iban.endsWith(TEST_IBAN.slice(-4))).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(TEST_IBAN);
    expect((await admin().get('/api/admin/payment-runs/RUN-19990101-01')).status).toBe(404);
  });

  it('serves the stored file, byte for byte, valid against the EPC schema', async () => {
    const res = await admin().get(`/api/admin/payment-runs/${run.number}/file`).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    const bytes = res.body as Buffer;
    expect(bytes.equals(await api.store.get(run.fileSha256 as string))).toBe(true);
    expect(await validateAgainstSchema(bytes.toString('utf8'), PAIN_001_SCHEMA)).toEqual({ valid: true, errors: [] });
    expect(bytes.toString('utf8')).toContain(`<IBAN>${TEST_IBAN}</IBAN>`);
    const none = await admin().get(`/api/admin/payment-runs/${empty.number}/file`);
    expect(none.status).toBe(404);
    expect(none.body.error.message).toContain('aucun fichier');
  });

  it('exports a run’s transfers to Excel and CSV, IBANs masked', async () => {
    const xlsx = await admin().get(`/api/admin/payment-runs/${run.number}/export.xlsx`).buffer(true).parse(binary);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('Virements');
    const row = sheet?.getRow(2);
    expect(row?.getCell(4).value).toMatch(/^[* ]+\S{4}$/);
    expect(row?.getCell(6).value).toBe(1200);
    expect(row?.getCell(7).value).toBe(-200);
    expect(row?.getCell(8).value).toBe(1000);
    expect(row?.getCell(11).value).toBe('Émis');
    const csv = await admin().get(`/api/admin/payment-runs/${run.number}/export.csv`);
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(numbers.invoice);
    expect(csv.text).not.toContain(TEST_IBAN);
  });
});
