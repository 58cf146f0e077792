import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { sql, type Kysely } from 'kysely';
import { createDb, type Db } from '../../db/connect';
import { migrateDownAll, migrateToLatest } from '../../db/migrate';
import type { Database } from '../../db/schema';
import { createTestDatabase } from '../helpers/database';

const TABLES = [
  'audit_events',
  'bank_file_lines',
  'bank_files',
  'cfa_notification_emails',
  'cfas',
  'contracts',
  'control_results',
  'decisions',
  'deposits_in_flight',
  'documents',
  'extractions',
  'idempotency_keys',
  'installments',
  'invitations',
  'mandates',
  'notifications',
  'payment_run_exclusions',
  'payment_runs',
  'payment_transfer_items',
  'payment_transfers',
  'payments',
  'pro_forma_counts',
  'pro_forma_lines',
  'pro_formas',
  'reading_corrections',
  'reference_audit',
  'refusal_reason_versions',
  'refusal_reasons',
  'user_cfas',
  'users',
  'validator_portfolios',
  'web_sessions',
];

const REFUSAL_REASON_CODES = [
  'AMOUNT_MISMATCH',
  'DOCUMENT_UNREADABLE',
  'DUPLICATE_DOCUMENT',
  'DUPLICATE_INVOICE',
  'IBAN_CHANGED',
  'IBAN_INVALID',
  'INVOICE_NUMBER_MISSING',
  'MANDATE_INVALID',
  'OTHER',
  'PRO_FORMA_NUMBER_MISSING',
  'SIRET_INVALID',
];

interface Engine {
  handle: Db;
  close(): Promise<void>;
}

async function openPostgres(): Promise<Engine> {
  const database = await createTestDatabase({ migrate: false });
  return { handle: database, close: () => database.drop() };
}

async function openPglite(): Promise<Engine> {
  // PGlite loads its wasm through import() of Node built-ins, which Jest's module VM only allows with this flag;
  // without it the import fails inside PGlite as an unhandled rejection that kills the worker.
  if (!('SourceTextModule' in vm)) {
    throw new Error('PGlite under Jest needs NODE_OPTIONS=--experimental-vm-modules');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pglite-migrations-'));
  const handle = await createDb({ kind: 'pglite', dataDir });
  return {
    handle,
    close: async () => {
      await handle.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Everything in the public schema except kysely's own bookkeeping tables. */
async function ourObjects(db: Kysely<Database>): Promise<{ relations: string[]; functions: string[] }> {
  const relations = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname not like 'kysely_migration%'
    order by 1`.execute(db);
  const functions = await sql<{ name: string }>`
    select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' order by 1`.execute(db);
  return { relations: relations.rows.map((r) => r.name), functions: functions.rows.map((r) => r.name) };
}

async function tableNames(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_migration%'
    order by 1`.execute(db);
  return result.rows.map((r) => r.name);
}

describe.each([
  ['PostgreSQL', openPostgres],
  ['PGlite', openPglite],
])('migrations on %s', (_name, open) => {
  let engine: Engine | undefined;
  let db: Kysely<Database>;

  beforeAll(async () => {
    engine = await open();
    db = engine.handle.db;
  });
  afterAll(() => engine?.close());

  it('migrates an empty database to the whole schema', async () => {
    expect(await ourObjects(db)).toEqual({ relations: [], functions: [] });

    await migrateToLatest(db);

    expect(await tableNames(db)).toEqual(TABLES);
  });

  it('seeds the eleven refusal reasons, each with a French label and letter', async () => {
    const reasons = await db.selectFrom('refusal_reasons').selectAll().orderBy('code').execute();

    expect(reasons.map((r) => r.code)).toEqual(REFUSAL_REASON_CODES);
    for (const reason of reasons) {
      expect(reason.label.trim()).not.toBe('');
      expect(reason.letter).toMatch(/^Madame, monsieur,\n\nNos services ont procédé au contrôle de votre facture\./);
      expect(reason.letter).toMatch(/La direction des opérations\.$/);
      expect(reason.active).toBe(true);
    }
    expect(reasons.filter((r) => !r.automatic).map((r) => r.code)).toEqual(['IBAN_CHANGED', 'OTHER']);
    expect(reasons.find((r) => r.code === 'AMOUNT_MISMATCH')).toMatchObject({
      label: 'Montant non conforme à la facture pro forma',
      letter: expect.stringContaining(
        "Le montant indiqué n'est pas égal au montant de la facture pro forma générée par le portail.",
      ),
    });
  });

  it('enforces a CHECK constraint', async () => {
    await expect(
      db
        .insertInto('cfas')
        .values({ siret: '1234', name: 'CFA', email: 'cfa@example.fr', iban: 'FR7630006000011234567890189' })
        .execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: 'cfas_siret_check' });
  });

  it('releases the lines of a cancelled pro forma through the trigger', async () => {
    const cfa = await db
      .insertInto('cfas')
      .values({ siret: '12345678901234', name: 'CFA', email: 'cfa@example.fr', iban: 'FR7630006000011234567890189' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const contract = await db
      .insertInto('contracts')
      .values({
        cfa_id: cfa.id,
        number: 'C-1',
        label: 'BTS',
        apprentice_name: 'Léa Martin',
        employer_name: 'Boulangerie',
        employer_siret: '98765432109876',
        start_date: '2026-09-01',
        end_date: '2028-08-31',
        status: 'ENGAGE',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const installment = await db
      .insertInto('installments')
      .values({
        contract_id: contract.id,
        nature: 'PEDAGOGIE',
        period_start: '2026-09-01',
        period_end: '2026-12-31',
        amount_cents: 150_000,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const proForma = await db
      .insertInto('pro_formas')
      .values({
        number: 'PRO-00000001',
        workflow_id: 'pro-forma-PRO-00000001',
        cfa_id: cfa.id,
        kind: 'INVOICE',
        nature: 'PEDAGOGIE',
        total_cents: 150_000,
        status: 'AWAITING_INVOICE',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('pro_forma_lines')
      .values({ pro_forma_id: proForma.id, installment_id: installment.id, nature: 'PEDAGOGIE', amount_cents: 150_000 })
      .execute();

    await db.updateTable('pro_formas').set({ status: 'CANCELLED' }).where('id', '=', proForma.id).execute();

    const line = await db
      .selectFrom('pro_forma_lines')
      .select('released_at')
      .where('pro_forma_id', '=', proForma.id)
      .executeTakeFirstOrThrow();
    expect(line.released_at).toBeInstanceOf(Date);
  });

  it('splits the apprentice’s names, copies the latest reading’s issue date, and searches both (no extension)', async () => {
    const names = await db
      .selectFrom('contracts')
      .select(['apprentice_first_name', 'apprentice_last_name', 'training_siret'])
      .where('number', '=', 'C-1')
      .executeTakeFirstOrThrow();
    expect(names).toEqual({ apprentice_first_name: 'Léa', apprentice_last_name: 'Martin', training_siret: null });
    await db
      .updateTable('contracts')
      .set({ apprentice_name: 'Jean Pierre Dupont' })
      .where('number', '=', 'C-1')
      .execute();
    const words = await sql<{ number: string; first: string; last: string }>`
      select number, apprentice_first_name as first, apprentice_last_name as last from contracts
      where to_tsvector('simple', apprentice_name) @@ to_tsquery('simple', 'pier:* & dup:*')
        and lower(apprentice_last_name) like 'pierre d%'`.execute(db);
    expect(words.rows).toEqual([{ number: 'C-1', first: 'Jean', last: 'Pierre Dupont' }]);
    await expect(
      db.updateTable('contracts').set({ training_siret: '123' }).where('number', '=', 'C-1').execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: 'contracts_training_siret_check' });

    const proForma = await db
      .selectFrom('pro_formas')
      .select('id')
      .where('number', '=', 'PRO-00000001')
      .executeTakeFirstOrThrow();
    const issueDate = async () =>
      (
        await db
          .selectFrom('pro_formas')
          .select('invoice_issue_date')
          .where('id', '=', proForma.id)
          .executeTakeFirstOrThrow()
      ).invoice_issue_date;
    for (const [version, read] of [
      [1, '2026-11-02'],
      [2, '2026-02-30'],
      [3, '2026-11-04'],
    ] as const) {
      const document = await db
        .insertInto('documents')
        .values({
          pro_forma_id: proForma.id,
          version,
          file_name: 'f.pdf',
          mime_type: 'application/pdf',
          size_bytes: 10,
          sha256: String(version).repeat(64),
          storage_key: String(version).repeat(64),
          uploaded_by: null,
          request_id: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('extractions')
        .values({ document_id: document.id, engine: 'TEXT_LAYER', fields: JSON.stringify({ issueDate: read }) })
        .execute();
      // The latest version's reading; an impossible date is no date, and never a failed recording.
      expect(await issueDate()).toBe(version === 2 ? null : read);
    }
  });

  it('gives mandates their signed document, all or nothing, and the expiry reminder its column', async () => {
    const cfa = await db
      .insertInto('cfas')
      .values({ siret: '22345678901234', name: 'CFA', email: 'cfa2@example.fr', iban: 'FR7630006000011234567890189' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = await db
      .insertInto('mandates')
      .values({ cfa_id: cfa.id, valid_from: '2026-01-01', valid_to: '2026-12-31' })
      .returning(['document_sha256', 'uploaded_at', 'expiry_notified_at'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ document_sha256: null, uploaded_at: null, expiry_notified_at: null });
    await expect(
      db
        .insertInto('mandates')
        .values({ cfa_id: cfa.id, valid_from: '2026-01-01', valid_to: null, document_sha256: 'a'.repeat(64) })
        .execute(),
    ).rejects.toMatchObject({ code: '23514', constraint: 'mandates_document_check' });
  });

  it('rolls every migration back, leaving no table, sequence, index or function of ours', async () => {
    await migrateDownAll(db);

    expect(await ourObjects(db)).toEqual({ relations: [], functions: [] });
  });

  it('migrates up again after a full rollback', async () => {
    await migrateToLatest(db);

    expect(await tableNames(db)).toEqual(TABLES);
    expect(await db.selectFrom('refusal_reasons').select('code').execute()).toHaveLength(11);
  });
});
