import fs from 'node:fs';
import { TEST_IBAN } from '../helpers/fixtures';
import { generatedProForma, programReadings, startApiStack, type ApiStack } from '../helpers/api';
import { perfectReading, waitFor } from '../helpers/stack';
import { testTemporalAddress } from '../helpers/temporal';
import {
  inspectStore,
  largeInvoicePdf,
  multipartBody,
  partialUpload,
  sha256,
  startApiProcess,
  tempDir,
  upload,
  type ApiProcess,
} from '../helpers/upload-faults';

/**
 * The API process killed (SIGKILL) while a 4 MB invoice is still being streamed to it: nothing half-done is left
 * (no file in the store, no document, no deposit recorded, the pro forma still awaiting its invoice), and the client's
 * retry with the same Idempotency-Key, once the API is back, is applied once.
 */
describe('the API killed in the middle of an upload', () => {
  jest.setTimeout(90_000);
  let api: ApiStack;
  let dataDir: string;
  const processes: ApiProcess[] = [];

  beforeAll(async () => {
    api = await startApiStack();
    dataDir = tempDir('api-kill-');
  });
  afterAll(async () => {
    for (const p of processes) await p.kill();
    await api?.teardown();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const startApi = async () => {
    const started = await startApiProcess({
      databaseUrl: api.stack.database.url,
      temporalAddress: testTemporalAddress(),
      taskQueue: api.stack.deps.config.temporal.taskQueue,
      ocrTaskQueue: api.stack.deps.config.temporal.ocrTaskQueue,
      storageDir: api.storeDir,
      dataDir,
    });
    processes.push(started);
    return started;
  };

  async function rows(number: string) {
    const db = api.stack.database.db;
    const proForma = await db
      .selectFrom('pro_formas')
      .select(['id', 'status', 'stage'])
      .where('number', '=', number)
      .executeTakeFirstOrThrow();
    const documents = await db
      .selectFrom('documents')
      .select(['version', 'sha256'])
      .where('pro_forma_id', '=', proForma.id)
      .execute();
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'from_status', 'to_status'])
      .where('pro_forma_id', '=', proForma.id)
      .orderBy('id')
      .execute();
    const inFlight = await db.selectFrom('deposits_in_flight').select('sha256').execute();
    const keys = await db.selectFrom('idempotency_keys').select(['key', 'action']).execute();
    return { proForma, documents, audit, inFlight, keys };
  }

  it('leaves no half-written file nor any trace of the deposit, and the retry with the same Idempotency-Key is applied once', async () => {
    const proForma = await generatedProForma(api);
    const readings = programReadings(api);
    const values = {
      proFormaNumber: proForma.number,
      invoiceNumber: 'FA-2026-0777',
      totalCents: proForma.totalCents,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    };
    const pdf = largeInvoicePdf(values, 4 * 1024 * 1024);
    const digest = sha256(pdf);
    readings.set(
      digest,
      perfectReading(
        proForma.number,
        proForma.totalCents,
        { cfa: api.cfa, installments: [] },
        { invoiceNumber: 'FA-2026-0777' },
      ),
    );
    const multipart = multipartBody('facture.pdf', pdf);
    const idempotencyKey = 'deposit-after-kill-0001';
    const target = (p: ApiProcess) => ({
      url: `${p.url}/api/pro-formas/${proForma.number}/invoice`,
      token: api.users.cfa.token,
      idempotencyKey,
    });

    // Before: no file, no document, the pro forma awaits its invoice.
    expect(inspectStore(api.storeDir)).toEqual({ files: [], defects: [] });
    const first = await startApi();
    const half = Math.floor(multipart.body.length / 2);
    const partial = await partialUpload(target(first), multipart, half);
    expect(partial.sent).toBe(half);
    expect(half).toBeGreaterThan(2 * 1024 * 1024);
    // The API reads the body as it comes; it waits for the rest, which never comes.
    await new Promise((r) => setTimeout(r, 500));
    expect(partial.answered()).toBe(false);
    await first.kill();
    expect(first.child.signalCode).toBe('SIGKILL');
    const outcome = await partial.outcome;
    expect(outcome).toBeInstanceOf(Error);

    // Nothing half-done: the store holds no file at all (complete or not), the pro forma has not moved.
    expect(inspectStore(api.storeDir)).toEqual({ files: [], defects: [] });
    const afterKill = await rows(proForma.number);
    expect(afterKill.proForma.status).toBe('AWAITING_INVOICE');
    expect(afterKill.documents).toEqual([]);
    expect(afterKill.audit.filter((a) => a.action === 'DEPOSIT' || a.action === 'REDEPOSIT')).toEqual([]);
    expect(afterKill.inFlight).toEqual([]);
    expect(afterKill.keys).toEqual([]);
    const view = await waitFor(api.stack, proForma.number, () => true);
    expect(view.status).toBe('AWAITING_INVOICE');

    // The API restarted: the client retries the same upload with the same key.
    const second = await startApi();
    const retried = await upload(target(second), multipart);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({
      number: proForma.number,
      status: 'UNDER_VALIDATION',
      documents: [{ version: 1, sha256: digest, size: pdf.length, fileName: 'facture.pdf' }],
    });
    expect(retried.body.documents).toHaveLength(1);

    // The reading (programmed) passes every control; an untrusted CFA's invoice then awaits a decision.
    const deadline = Date.now() + 30_000;
    while ((await rows(proForma.number)).proForma.stage !== 'AWAITING_DECISION') {
      if (Date.now() > deadline) throw new Error('the deposit was never read and controlled');
      await new Promise((r) => setTimeout(r, 100));
    }

    // A second retry of the same request answers the same deposit, without a second version.
    const again = await upload(target(second), multipart);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({
      number: proForma.number,
      status: 'UNDER_VALIDATION',
      documents: [{ version: 1, sha256: digest, size: pdf.length, fileName: 'facture.pdf' }],
    });
    expect(again.body.documents).toHaveLength(1);

    const after = await rows(proForma.number);
    expect(after.proForma).toMatchObject({ status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION' });
    expect(after.documents).toEqual([{ version: 1, sha256: digest }]);
    expect(after.audit.filter((a) => a.action === 'DEPOSIT' || a.action === 'REDEPOSIT')).toEqual([
      { action: 'DEPOSIT', from_status: 'AWAITING_INVOICE', to_status: 'UNDER_VALIDATION' },
    ]);
    expect(after.inFlight).toEqual([]);
    expect(after.keys).toEqual([{ key: idempotencyKey, action: 'deposit' }]);
    expect(inspectStore(api.storeDir)).toEqual({ files: [`${digest.slice(0, 2)}/${digest}`], defects: [] });
    // Every reading was of that one file (a second version would have been read too).
    expect(new Set(api.stack.extract.mock.calls.map(([input]) => input.sha256))).toEqual(new Set([digest]));
    const finalView = await waitFor(api.stack, proForma.number, () => true);
    expect(finalView).toMatchObject({ status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION' });

    await second.kill();
    expect(second.output()).not.toMatch(/"level":(50|60)/);
  });
});
