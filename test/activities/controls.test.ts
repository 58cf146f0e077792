import crypto from 'node:crypto';
import { createControlActivities } from '../../activities/controls';
import type { ReadInvoice } from '../../domain/controls';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { TEST_IBAN, insertCfa, insertDocument, insertMandate, insertProForma } from '../helpers/fixtures';

describe('runControls activity', () => {
  let database: TestDatabase;
  let activities: ReturnType<typeof createControlActivities>;
  beforeAll(async () => {
    database = await createTestDatabase();
    activities = createControlActivities({ db: database.db });
  });
  afterAll(() => database.drop());

  async function setup() {
    const cfa = await insertCfa(database.db);
    await insertMandate(database.db, cfa.id, '2026-01-01', '2026-12-31');
    const proForma = await insertProForma(database.db, cfa.id, { total_cents: 257_500 });
    const extraction: ReadInvoice = {
      engine: 'TEXT_LAYER',
      fields: {
        invoiceNumber: `FA-${crypto.randomBytes(3).toString('hex')}`,
        proFormaNumber: proForma.number,
        totalCents: 257_500,
        siret: cfa.siret,
        siren: null,
        iban: TEST_IBAN,
      },
      fieldConfidences: { invoiceNumber: 1, proFormaNumber: 1, totalCents: 1, siret: 1, siren: 0, iban: 1 },
    };
    return { cfa, proForma, extraction, sha256: crypto.randomBytes(32).toString('hex') };
  }

  it('passes a compliant invoice against the database facts', async () => {
    const { proForma, extraction, sha256 } = await setup();
    const out = await activities.runControls({
      proFormaNumber: proForma.number,
      sha256,
      extraction,
      depositedAt: '2026-11-22T10:00:00Z',
    });
    expect(out.verdict).toEqual({ kind: 'ALL_PASSED' });
  });

  it('finds the invoice number on another live pro forma of the same CFA, but not on a cancelled one', async () => {
    const { cfa, proForma, extraction, sha256 } = await setup();
    const cancelled = await insertProForma(database.db, cfa.id, { invoice_number: extraction.fields.invoiceNumber });
    await database.db.updateTable('pro_formas').set({ status: 'CANCELLED' }).where('id', '=', cancelled.id).execute();
    const input = { proFormaNumber: proForma.number, sha256, extraction, depositedAt: '2026-11-22T10:00:00Z' };
    expect((await activities.runControls(input)).verdict.kind).toBe('ALL_PASSED');

    const live = await insertProForma(database.db, cfa.id, { invoice_number: extraction.fields.invoiceNumber });
    const out = await activities.runControls(input);
    expect(out.verdict).toMatchObject({ kind: 'REFUSE', reasonCode: 'DUPLICATE_INVOICE' });
    expect(out.results.find((r) => r.code === 'INVOICE_NUMBER_UNIQUE')?.evidence).toMatchObject({
      proFormas: [live.number],
    });
  });

  it('does not count the same invoice number used by another CFA', async () => {
    const { proForma, extraction, sha256 } = await setup();
    const other = await insertCfa(database.db);
    await insertProForma(database.db, other.id, { invoice_number: extraction.fields.invoiceNumber });
    const out = await activities.runControls({
      proFormaNumber: proForma.number,
      sha256,
      extraction,
      depositedAt: '2026-11-22T10:00:00Z',
    });
    expect(out.verdict.kind).toBe('ALL_PASSED');
  });

  it('finds the same file deposited on another pro forma', async () => {
    const { cfa, proForma, extraction, sha256 } = await setup();
    await insertDocument(database.db, proForma.id, sha256);
    const input = { proFormaNumber: proForma.number, sha256, extraction, depositedAt: '2026-11-22T10:00:00Z' };
    expect((await activities.runControls(input)).verdict.kind).toBe('ALL_PASSED');
    const other = await insertProForma(database.db, cfa.id);
    await insertDocument(database.db, other.id, sha256);
    expect((await activities.runControls(input)).verdict).toMatchObject({
      kind: 'REFUSE',
      reasonCode: 'DUPLICATE_DOCUMENT',
    });
  });

  it('checks the mandate on the deposit date in Europe/Paris, not UTC', async () => {
    const { proForma, extraction, sha256 } = await setup();
    // 23:30 UTC on 31 December is already 1 January in Paris, after the mandate's end.
    const out = await activities.runControls({
      proFormaNumber: proForma.number,
      sha256,
      extraction,
      depositedAt: '2026-12-31T23:30:00Z',
    });
    expect(out.verdict).toMatchObject({ kind: 'REFUSE', reasonCode: 'MANDATE_INVALID' });
    expect(out.results.find((r) => r.code === 'MANDATE_VALID')?.message).toContain('01/01/2027');
  });

  it('names the mandate found in the database, the one lasting longest among those covering the day', async () => {
    const { cfa, proForma, extraction, sha256 } = await setup();
    await insertMandate(database.db, cfa.id, '2026-06-01', null);
    const { id } = await database.db
      .selectFrom('mandates')
      .select('id')
      .where('cfa_id', '=', cfa.id)
      .where('valid_to', 'is', null)
      .executeTakeFirstOrThrow();
    const out = await activities.runControls({
      proFormaNumber: proForma.number,
      sha256,
      extraction,
      depositedAt: '2026-11-22T10:00:00Z',
    });
    expect(out.results.find((r) => r.code === 'MANDATE_VALID')).toMatchObject({
      outcome: 'PASSED',
      message: `Mandat de facturation du 01/06/2026, sans date de fin, (n° ${id}) valide à la date du dépôt (22/11/2026).`,
      evidence: { mandateId: id, validFrom: '2026-06-01', validTo: null },
    });
  });

  it('fails without retry, as NOT_FOUND, for a pro forma the database does not know', async () => {
    const { extraction, sha256 } = await setup();
    const run = activities.runControls({
      proFormaNumber: 'PRO-99999999',
      sha256,
      extraction,
      depositedAt: '2026-11-22T10:00:00Z',
    });
    await expect(run).rejects.toMatchObject({ type: 'NOT_FOUND', nonRetryable: true });
  });
});
