import crypto from 'node:crypto';
import { createDecisionRepository } from '../../db/decisions';
import { createInvoiceRepository } from '../../db/invoices';
import { createNotificationRepository } from '../../db/notifications';
import { createPaymentRepository } from '../../db/payments';
import { createProFormaRepository } from '../../db/pro-formas';
import { CONTROL_REASONS, type ControlResult } from '../../domain/controls';
import { emptyFields, zeroConfidences, type ExtractionResult } from '../../domain/reading';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { insertCfa, insertProForma } from '../helpers/fixtures';

/** Activities are retried: every repository write they use, run twice with the same key, leaves one row. */
describe('repository writes run twice', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const at = '2026-11-22T10:00:00.000Z';
  const twice = async (write: () => Promise<unknown>) => {
    await write();
    await write();
  };

  async function depositedProForma() {
    const cfa = await insertCfa(database.db);
    const proForma = await insertProForma(database.db, cfa.id);
    await twice(() =>
      createInvoiceRepository(database.db).recordDeposit({
        key: `${proForma.workflow_id}:deposit:1`,
        number: proForma.number,
        requestId: crypto.randomUUID(),
        document: {
          version: 1,
          sha256: crypto.randomBytes(32).toString('hex'),
          fileName: 'facture.pdf',
          mimeType: 'application/pdf',
          size: 1234,
          uploadedAt: at,
          uploadedBy: 'system',
        },
      }),
    );
    return proForma;
  }

  const count = async (table: 'audit_events' | 'documents' | 'decisions' | 'payments', proFormaId: string) =>
    (await database.db.selectFrom(table).select('id').where('pro_forma_id', '=', proFormaId).execute()).length;

  it('records a deposited version once', async () => {
    const proForma = await depositedProForma();
    expect(await count('documents', proForma.id)).toBe(1);
  });

  it('records a transition and its audit row once, and refuses an unknown pro forma as NOT_FOUND', async () => {
    const proForma = await depositedProForma();
    const proFormas = createProFormaRepository(database.db);
    const record = {
      key: `${proForma.workflow_id}:transition:1`,
      number: proForma.number,
      from: 'AWAITING_INVOICE' as const,
      to: 'UNDER_VALIDATION' as const,
      stage: 'READING' as const,
      action: 'DEPOSIT' as const,
      actor: 'system',
      at,
    };
    await twice(() => proFormas.recordTransition(record));
    expect(await count('audit_events', proForma.id)).toBe(1);
    const row = await database.db
      .selectFrom('pro_formas')
      .select(['status', 'stage', 'deposited_at', 'refusal_origin'])
      .where('id', '=', proForma.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'UNDER_VALIDATION',
      stage: 'READING',
      deposited_at: new Date(at),
      refusal_origin: null,
    });
    await expect(proFormas.recordTransition({ ...record, number: 'PRO-99999999' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('records a reading and its control results once', async () => {
    const proForma = await depositedProForma();
    const invoices = createInvoiceRepository(database.db);
    const extraction: ExtractionResult = {
      engine: 'TEXT_LAYER',
      fields: { ...emptyFields(), invoiceNumber: 'FA-1' },
      fieldConfidences: zeroConfidences(),
      confidence: 1,
      pageCount: 1,
      durationMs: 12.5,
    };
    await twice(() => invoices.recordExtraction({ number: proForma.number, version: 1, extraction }));
    const results: ControlResult[] = [
      {
        code: 'TOTAL_AMOUNT',
        outcome: 'PASSED',
        passed: true,
        message: 'Montant conforme',
        reasonCode: CONTROL_REASONS.TOTAL_AMOUNT,
      },
    ];
    await twice(() => invoices.recordControls({ number: proForma.number, version: 1, results }));
    const extractions = await database.db
      .selectFrom('extractions as e')
      .innerJoin('documents as d', 'd.id', 'e.document_id')
      .select('e.id')
      .where('d.pro_forma_id', '=', proForma.id)
      .execute();
    const controls = await database.db
      .selectFrom('control_results')
      .select('id')
      .where('pro_forma_id', '=', proForma.id)
      .execute();
    expect([extractions.length, controls.length]).toEqual([1, 1]);
  });

  it('records a decision once', async () => {
    const proForma = await depositedProForma();
    const decisions = createDecisionRepository(database.db);
    await twice(() =>
      decisions.recordDecision({
        key: `${proForma.workflow_id}:decision:1`,
        number: proForma.number,
        version: 1,
        origin: 'AUTOMATIC',
        decision: 'APPROVE',
        reasonCode: null,
        comment: null,
        letter: null,
        actor: 'system',
        at,
      }),
    );
    expect(await count('decisions', proForma.id)).toBe(1);
  });

  it('issues one payment order and answers a retry with the same order', async () => {
    const proForma = await depositedProForma();
    const payments = createPaymentRepository(database.db);
    const input = { key: `${proForma.workflow_id}:payment`, number: proForma.number, at };
    const first = await payments.issuePaymentOrder(input);
    expect(await payments.issuePaymentOrder(input)).toEqual(first);
    expect(await count('payments', proForma.id)).toBe(1);
  });

  it('opens one notification per key', async () => {
    const proForma = await depositedProForma();
    const notifications = createNotificationRepository(database.db);
    const record = {
      key: `${proForma.workflow_id}:mail:1`,
      number: proForma.number,
      template: 'VALIDATED' as const,
      recipient: 'facturation@cfa.example',
      subject: 'Facture validée',
    };
    const first = await notifications.openNotification(record);
    expect(await notifications.openNotification(record)).toEqual(first);
    const rows = await database.db
      .selectFrom('notifications')
      .select(['pro_forma_id', 'status'])
      .where('idempotency_key', '=', record.key)
      .execute();
    expect(rows).toEqual([{ pro_forma_id: proForma.id, status: 'PENDING' }]);
  });
});

/** Alerts go by right, not by role: rights are per user. */
describe('the recipients of staff alerts', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('are the users holding the right, not revoked, whatever their role', async () => {
    const db = database.db;
    const user = (email: string, role: 'admin' | 'validator', rights: string[], revoked = false) =>
      db
        .insertInto('users')
        .values({
          role,
          name: email,
          email,
          rights,
          token_hash: crypto.randomBytes(32).toString('hex'),
          revoked_at: revoked ? new Date() : null,
        })
        .execute();
    await user('a-decides@opco.example', 'validator', ['pro-formas:decide']);
    await user('b-reads-only@opco.example', 'validator', ['pro-formas:read']);
    await user('c-admin-decides@opco.example', 'admin', ['admin:manage', 'pro-formas:decide']);
    await user('d-revoked@opco.example', 'validator', ['pro-formas:decide'], true);
    await user('e-admin-no-manage@opco.example', 'admin', ['audit:read']);
    const notifications = createNotificationRepository(db);
    expect((await notifications.activeValidators()).map((r) => r.email)).toEqual([
      'a-decides@opco.example',
      'c-admin-decides@opco.example',
    ]);
    expect((await notifications.activeAdmins()).map((r) => r.email)).toEqual(['c-admin-decides@opco.example']);
  });
});
