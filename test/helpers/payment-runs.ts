import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { RunFileDeps, RunRequest } from '../../db/payment-runs';
import type { Database } from '../../db/schema';
import { writeCreditTransferFile } from '../../documents/sepa-credit-transfer';
import { FileDocumentStore } from '../../infra/storage';
import { createTestDatabase, type TestDatabase } from './database';
import { insertOrderedPayment } from './fixtures';

/** The debtor of the tests' payment files (the demo funder). */
export const TEST_DEBTOR = { name: 'Opco Démo', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' };

/** A run asked by hand on 2 December 2026 at 10:00 Paris, paying what was validated an hour before. */
export const runRequestWith =
  (base: Partial<RunRequest> = {}) =>
  (overrides: Partial<RunRequest> = {}): RunRequest => ({
    trigger: 'MANUAL',
    requestedBy: null,
    grouping: 'PER_CFA',
    cutoff: new Date('2026-12-02T08:00:00Z'),
    now: new Date('2026-12-02T09:00:00Z'),
    executionDate: '2026-12-03',
    debtor: TEST_DEBTOR,
    ...base,
    ...overrides,
  });

/**
 * A fresh database and a document store for a file of DB tests of the payment runs (created before its tests,
 * dropped after); `deps()` writes the runs' files into the store, checked against the EPC schema.
 */
export function paymentRunFixtures(prefix: string) {
  const fixtures = {
    database: undefined as unknown as TestDatabase,
    store: undefined as unknown as FileDocumentStore,
    deps: (): RunFileDeps => ({ writeFile: (content) => writeCreditTransferFile(content, fixtures.store) }),
    /** A validated pro forma of `cfaId` with its payment as the workflow orders it. */
    ordered: (cfaId: string, totalCents: number, orderedAt: string, settlement?: 'DEDUCTION' | 'REMBOURSEMENT') =>
      insertOrderedPayment(fixtures.db(), cfaId, totalCents, orderedAt, settlement),
    db: (): Kysely<Database> => fixtures.database.db,
  };
  let storeDir: string;
  beforeAll(async () => {
    fixtures.database = await createTestDatabase();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    fixtures.store = new FileDocumentStore(storeDir);
  });
  afterAll(async () => {
    await fixtures.database.drop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });
  return fixtures;
}

/** Deletes a test's own Schedule (gone already: nothing to do). */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
}

/** A bank's camt.054 notification holding `entries` (`<Ntry>` elements, e.g. from `bookedDebit`). */
export function camt054(entries: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>CAMT-${crypto.randomBytes(4).toString('hex')}</MsgId><CreDtTm>2026-12-04T07:30:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn><Id>N1</Id>${entries}</Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>`;
}

/** A transfer of ours (`e2e`, its end-to-end id) booked by the bank on 4 December 2026 under reference `ref`. */
export const bookedDebit = (e2e: string, euros: string, ref: string): string => `
    <Ntry><Amt Ccy="EUR">${euros}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>2026-12-04</Dt></BookgDt><AcctSvcrRef>${ref}</AcctSvcrRef>
      <NtryDtls><TxDtls><Refs><EndToEndId>${e2e}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`;
