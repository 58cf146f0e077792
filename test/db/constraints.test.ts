import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type {
  CfaRow,
  ContractRow,
  Database,
  InstallmentRow,
  NewDocumentRow,
  NewProFormaRow,
  ProFormaRow,
  ProFormaStatusCode,
} from '../../db/schema';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// SQLSTATE codes. The triggers raise check_violation too, each with its own constraint name.
const UNIQUE = '23505';
const CHECK = '23514';
const FOREIGN_KEY = '23503';

let database: TestDatabase;
let db: Kysely<Database>;
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(() => database.drop());

const next = (): number => ++counter;
const digits = (n: number, width: number): string => String(n).padStart(width, '0');
const sha256Of = (n: number): string => digits(n, 64);

async function expectRefused(query: Promise<unknown>, code: string, constraint: string): Promise<void> {
  await expect(query).rejects.toMatchObject({ code, constraint });
}

async function newCfa(): Promise<CfaRow> {
  const n = next();
  return db
    .insertInto('cfas')
    .values({
      siret: digits(n, 14),
      name: `CFA ${n}`,
      email: `cfa${n}@example.fr`,
      iban: 'FR7630006000011234567890189',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function newContract(cfa: CfaRow): Promise<ContractRow> {
  const n = next();
  return db
    .insertInto('contracts')
    .values({
      cfa_id: cfa.id,
      number: `C-${n}`,
      label: 'BTS Management commercial opérationnel',
      apprentice_name: `Apprenti ${n}`,
      employer_name: 'Boulangerie Martin',
      employer_siret: '98765432109876',
      start_date: '2026-09-01',
      end_date: '2028-08-31',
      status: 'ENGAGE',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function newInstallment(
  contract: ContractRow,
  values: { nature?: InstallmentRow['nature']; amount_cents?: number } = {},
): Promise<InstallmentRow> {
  return db
    .insertInto('installments')
    .values({
      contract_id: contract.id,
      nature: 'PEDAGOGIE',
      period_start: '2026-09-01',
      period_end: '2026-12-31',
      amount_cents: 150_000,
      ...values,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function proFormaValues(cfa: CfaRow, values: Partial<NewProFormaRow> = {}): NewProFormaRow {
  const number = `PRO-${digits(next(), 8)}`;
  return {
    number,
    workflow_id: `pro-forma-${number}`,
    cfa_id: cfa.id,
    kind: 'INVOICE',
    nature: 'PEDAGOGIE',
    total_cents: 150_000,
    status: 'AWAITING_INVOICE',
    ...values,
  };
}

async function newProForma(cfa: CfaRow, values: Partial<NewProFormaRow> = {}): Promise<ProFormaRow> {
  return db.insertInto('pro_formas').values(proFormaValues(cfa, values)).returningAll().executeTakeFirstOrThrow();
}

function addLine(proForma: ProFormaRow, installment: InstallmentRow, nature = installment.nature) {
  return db
    .insertInto('pro_forma_lines')
    .values({
      pro_forma_id: proForma.id,
      installment_id: installment.id,
      nature,
      amount_cents: installment.amount_cents,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function setStatus(proForma: ProFormaRow, status: ProFormaStatusCode) {
  return db
    .updateTable('pro_formas')
    .set({ status })
    .where('id', '=', proForma.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A CFA, one contract, one installment and a live pro forma holding it. */
async function billedInstallment() {
  const cfa = await newCfa();
  const installment = await newInstallment(await newContract(cfa));
  const proForma = await newProForma(cfa);
  const line = await addLine(proForma, installment);
  return { cfa, installment, proForma, line };
}

function documentValues(proForma: ProFormaRow, values: Partial<NewDocumentRow> = {}): NewDocumentRow {
  const n = next();
  return {
    pro_forma_id: proForma.id,
    version: 1,
    file_name: 'facture.pdf',
    mime_type: 'application/pdf',
    size_bytes: 48_213,
    sha256: sha256Of(n),
    storage_key: `documents/${n}.pdf`,
    ...values,
  };
}

describe('pro formas', () => {
  it('refuses a second pro forma with the same number', async () => {
    const cfa = await newCfa();
    const first = await newProForma(cfa);

    await expectRefused(
      newProForma(cfa, { number: first.number, workflow_id: `${first.workflow_id}-bis` }),
      UNIQUE,
      'pro_formas_number_key',
    );
  });

  it.each(['PRO-123', 'PRO-0060390A', 'pro-00603901', 'PRO-006039011'])(
    'refuses the malformed number %s',
    async (number) => {
      const cfa = await newCfa();

      await expectRefused(newProForma(cfa, { number }), CHECK, 'pro_formas_number_check');
    },
  );

  it('refuses an unknown status', async () => {
    const cfa = await newCfa();

    await expectRefused(newProForma(cfa, { status: 'DRAFT' as ProFormaStatusCode }), CHECK, 'pro_formas_status_check');
  });

  it('refuses an unknown cost nature on a pro forma', async () => {
    const cfa = await newCfa();

    await expectRefused(newProForma(cfa, { nature: 'CANTINE' as 'PEDAGOGIE' }), CHECK, 'pro_formas_nature_check');
  });

  it.each([
    { kind: 'INVOICE', total_cents: -100, settlement_mode: null },
    { kind: 'INVOICE', total_cents: 0, settlement_mode: null },
    { kind: 'CREDIT_NOTE', total_cents: 100, settlement_mode: 'DEDUCTION' },
    { kind: 'CREDIT_NOTE', total_cents: 0, settlement_mode: 'DEDUCTION' },
  ] as const)('refuses a total of $total_cents cents for kind $kind', async (values) => {
    const cfa = await newCfa();

    await expectRefused(newProForma(cfa, values), CHECK, 'pro_formas_total_sign_check');
  });

  it.each([
    { kind: 'INVOICE', total_cents: 100, settlement_mode: 'DEDUCTION' },
    { kind: 'INVOICE', total_cents: 100, settlement_mode: 'REMBOURSEMENT' },
    { kind: 'CREDIT_NOTE', total_cents: -100, settlement_mode: null },
  ] as const)('refuses settlement mode $settlement_mode for kind $kind', async (values) => {
    const cfa = await newCfa();

    await expectRefused(newProForma(cfa, values), CHECK, 'pro_formas_settlement_mode_kind_check');
  });

  it('accepts an invoice without settlement mode and a credit note with one', async () => {
    const cfa = await newCfa();

    await expect(newProForma(cfa, { kind: 'INVOICE', total_cents: 100 })).resolves.toMatchObject({ kind: 'INVOICE' });
    await expect(
      newProForma(cfa, { kind: 'CREDIT_NOTE', total_cents: -100, settlement_mode: 'REMBOURSEMENT' }),
    ).resolves.toMatchObject({ kind: 'CREDIT_NOTE', total_cents: -100, settlement_mode: 'REMBOURSEMENT' });
  });

  it.each<ProFormaStatusCode>(['AWAITING_INVOICE', 'UNDER_VALIDATION', 'VALIDATED', 'PAID', 'REFUSED'])(
    'refuses to move a cancelled pro forma to %s',
    async (status) => {
      const cfa = await newCfa();
      const proForma = await newProForma(cfa, { status: 'CANCELLED' });

      await expectRefused(setStatus(proForma, status), CHECK, 'pro_formas_final_status_check');
    },
  );

  it.each<ProFormaStatusCode>(['AWAITING_INVOICE', 'UNDER_VALIDATION', 'VALIDATED', 'REFUSED', 'CANCELLED'])(
    'refuses to move a paid pro forma to %s',
    async (status) => {
      const cfa = await newCfa();
      const proForma = await newProForma(cfa, { status: 'PAID' });

      await expectRefused(setStatus(proForma, status), CHECK, 'pro_formas_final_status_check');
    },
  );

  it('stamps cancelled_at when the status becomes CANCELLED', async () => {
    const cfa = await newCfa();
    const proForma = await newProForma(cfa);

    const cancelled = await setStatus(proForma, 'CANCELLED');

    expect(cancelled.cancelled_at).toBeInstanceOf(Date);
    expect(cancelled.updated_at.getTime()).toBeGreaterThanOrEqual(proForma.updated_at.getTime());
  });

  it('accepts a no-op update of a cancelled pro forma (a retried activity)', async () => {
    const cfa = await newCfa();
    const proForma = await setStatus(await newProForma(cfa), 'CANCELLED');

    await expect(setStatus(proForma, 'CANCELLED')).resolves.toMatchObject({
      status: 'CANCELLED',
      cancelled_at: proForma.cancelled_at,
    });
  });
});

describe('installments and pro forma lines', () => {
  it('refuses one installment in two live pro formas', async () => {
    const { cfa, installment } = await billedInstallment();
    const second = await newProForma(cfa);

    await expectRefused(addLine(second, installment), UNIQUE, 'pro_forma_lines_live_installment_key');
  });

  it('accepts the installment in a new pro forma once the first is cancelled', async () => {
    const { cfa, installment, proForma, line } = await billedInstallment();

    await setStatus(proForma, 'CANCELLED');
    const released = await db
      .selectFrom('pro_forma_lines')
      .selectAll()
      .where('id', '=', line.id)
      .executeTakeFirstOrThrow();
    const second = await newProForma(cfa);

    expect(released.released_at).toBeInstanceOf(Date);
    await expect(addLine(second, installment)).resolves.toMatchObject({ released_at: null });
  });

  it('keeps the lines of a pro forma held while it is refused, not cancelled', async () => {
    const { cfa, installment, proForma } = await billedInstallment();

    await setStatus(proForma, 'REFUSED');

    await expectRefused(addLine(await newProForma(cfa), installment), UNIQUE, 'pro_forma_lines_live_installment_key');
  });

  it('refuses to un-release a line of a cancelled pro forma', async () => {
    const { proForma, line } = await billedInstallment();
    await setStatus(proForma, 'CANCELLED');

    await expectRefused(
      db.updateTable('pro_forma_lines').set({ released_at: null }).where('id', '=', line.id).execute(),
      CHECK,
      'pro_forma_lines_released_check',
    );
  });

  it('refuses to release a line while its pro forma is live', async () => {
    const { line } = await billedInstallment();

    await expectRefused(
      db.updateTable('pro_forma_lines').set({ released_at: new Date() }).where('id', '=', line.id).execute(),
      CHECK,
      'pro_forma_lines_released_check',
    );
  });

  it('refuses an unreleased line in a cancelled pro forma', async () => {
    const cfa = await newCfa();
    const installment = await newInstallment(await newContract(cfa));
    const proForma = await newProForma(cfa, { status: 'CANCELLED' });

    await expectRefused(addLine(proForma, installment), CHECK, 'pro_forma_lines_released_check');
  });

  it("refuses a line whose nature is not its pro forma's", async () => {
    const cfa = await newCfa();
    const installment = await newInstallment(await newContract(cfa), { nature: 'MOBILITE' });
    const proForma = await newProForma(cfa, { nature: 'PEDAGOGIE' });

    await expectRefused(addLine(proForma, installment), FOREIGN_KEY, 'pro_forma_lines_pro_forma_fkey');
  });

  it("refuses a line whose nature is not its installment's", async () => {
    const cfa = await newCfa();
    const installment = await newInstallment(await newContract(cfa), { nature: 'MOBILITE' });
    const proForma = await newProForma(cfa, { nature: 'PEDAGOGIE' });

    await expectRefused(addLine(proForma, installment, 'PEDAGOGIE'), FOREIGN_KEY, 'pro_forma_lines_installment_fkey');
  });

  it('refuses to import the same installment twice', async () => {
    const contract = await newContract(await newCfa());
    await newInstallment(contract);

    await expectRefused(newInstallment(contract), UNIQUE, 'installments_contract_nature_period_key');
  });

  it('refuses an unknown cost nature on an installment', async () => {
    const contract = await newContract(await newCfa());

    await expectRefused(
      newInstallment(contract, { nature: 'CANTINE' as 'PEDAGOGIE' }),
      CHECK,
      'installments_nature_check',
    );
  });

  it('refuses an installment of zero and accepts a negative one (an overpayment)', async () => {
    const contract = await newContract(await newCfa());

    await expectRefused(newInstallment(contract, { amount_cents: 0 }), CHECK, 'installments_amount_cents_check');
    await expect(newInstallment(contract, { amount_cents: -25_000 })).resolves.toMatchObject({ amount_cents: -25_000 });
  });

  it.each([99_999_999_999 + 1, -99_999_999_999 - 1, Number.MAX_SAFE_INTEGER])(
    'refuses an installment of %i cents, past 999,999,999.99 € (the SEPA limit)',
    async (amount_cents) => {
      const contract = await newContract(await newCfa());

      await expectRefused(newInstallment(contract, { amount_cents }), CHECK, 'installments_amount_cents_bound_check');
    },
  );

  it('accepts installments of exactly ±999,999,999.99 €, under a constraint checked for every row', async () => {
    const contract = await newContract(await newCfa());

    await expect(newInstallment(contract, { amount_cents: 99_999_999_999 })).resolves.toMatchObject({
      amount_cents: 99_999_999_999,
    });
    await expect(
      newInstallment(contract, { nature: 'MOBILITE', amount_cents: -99_999_999_999 }),
    ).resolves.toMatchObject({ amount_cents: -99_999_999_999 });
    const constraint = await sql<{ convalidated: boolean }>`
      select convalidated from pg_constraint where conname = 'installments_amount_cents_bound_check'`.execute(db);
    expect(constraint.rows).toEqual([{ convalidated: true }]);
  });
});

describe('documents', () => {
  it.each([
    ['a negative size', { size_bytes: -1 }, 'documents_size_bytes_check'],
    ['a zero size', { size_bytes: 0 }, 'documents_size_bytes_check'],
    ['a file over 5 MB', { size_bytes: 5 * 1024 * 1024 + 1 }, 'documents_size_bytes_check'],
    ['a file name over 50 characters', { file_name: `${'f'.repeat(47)}.pdf` }, 'documents_file_name_check'],
    ['an empty file name', { file_name: '' }, 'documents_file_name_check'],
    ['an unaccepted type', { mime_type: 'application/zip' as 'application/pdf' }, 'documents_mime_type_check'],
    ['an uppercase digest', { sha256: 'A'.repeat(64) }, 'documents_sha256_check'],
    ['version zero', { version: 0 }, 'documents_version_check'],
  ] as const)('refuses %s', async (_case, values, constraint) => {
    const proForma = await newProForma(await newCfa());

    await expectRefused(
      db.insertInto('documents').values(documentValues(proForma, values)).execute(),
      CHECK,
      constraint,
    );
  });

  it('accepts exactly 5 MB and a 50-character file name', async () => {
    const proForma = await newProForma(await newCfa());
    const values = documentValues(proForma, { size_bytes: 5 * 1024 * 1024, file_name: `${'f'.repeat(46)}.pdf` });

    await expect(
      db.insertInto('documents').values(values).returningAll().executeTakeFirstOrThrow(),
    ).resolves.toMatchObject({ size_bytes: 5_242_880 });
  });

  it('refuses a second document with the same version of one pro forma', async () => {
    const proForma = await newProForma(await newCfa());
    await db.insertInto('documents').values(documentValues(proForma)).execute();

    await expectRefused(
      db.insertInto('documents').values(documentValues(proForma)).execute(),
      UNIQUE,
      'documents_pro_forma_version_key',
    );
  });

  it('refuses a second deposit with the same request id', async () => {
    const proForma = await newProForma(await newCfa());
    await db
      .insertInto('documents')
      .values(documentValues(proForma, { request_id: 'req-1' }))
      .execute();

    await expectRefused(
      db
        .insertInto('documents')
        .values(documentValues(proForma, { version: 2, request_id: 'req-1' }))
        .execute(),
      UNIQUE,
      'documents_request_id_key',
    );
  });
});

describe('users', () => {
  const tokenHash = (): string => sha256Of(next());

  it('refuses a user twice in the same CFA, and a CFA that does not exist', async () => {
    const cfa = await newCfa();
    const user = await db
      .insertInto('users')
      .values({ role: 'cfa', name: 'Jeanne', email: `u${next()}@example.fr`, rights: [], token_hash: tokenHash() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('user_cfas').values({ user_id: user.id, cfa_id: cfa.id }).execute();
    await expectRefused(
      db.insertInto('user_cfas').values({ user_id: user.id, cfa_id: cfa.id }).execute(),
      UNIQUE,
      'user_cfas_pkey',
    );
    await expectRefused(
      db.insertInto('user_cfas').values({ user_id: user.id, cfa_id: crypto.randomUUID() }).execute(),
      FOREIGN_KEY,
      'user_cfas_cfa_id_fkey',
    );
  });

  it('refuses an unknown role', async () => {
    await expectRefused(
      db
        .insertInto('users')
        .values({
          role: 'superuser' as 'admin',
          name: 'Root',
          email: 'root@example.fr',
          rights: [],
          token_hash: tokenHash(),
        })
        .execute(),
      CHECK,
      'users_role_check',
    );
  });

  it('refuses a second user with the same e-mail in another case', async () => {
    await db
      .insertInto('users')
      .values({ role: 'validator', name: 'Paul', email: 'paul.durand@example.fr', rights: [], token_hash: tokenHash() })
      .execute();

    await expectRefused(
      db
        .insertInto('users')
        .values({ role: 'admin', name: 'Paul', email: 'Paul.Durand@Example.fr', rights: [], token_hash: tokenHash() })
        .execute(),
      UNIQUE,
      'users_email_key',
    );
  });

  it('refuses a token hash that is not a SHA-256 in hex', async () => {
    await expectRefused(
      db
        .insertInto('users')
        .values({ role: 'admin', name: 'Ada', email: 'ada@example.fr', rights: [], token_hash: 'secret-token' })
        .execute(),
      CHECK,
      'users_token_hash_check',
    );
  });
});

describe('decisions and controls', () => {
  it.each([
    ['a refusal without reason', 'REFUSE', null],
    ['an approval with a reason', 'APPROVE', 'AMOUNT_MISMATCH'],
  ] as const)('refuses %s', async (_case, decision, reason_code) => {
    const proForma = await newProForma(await newCfa());

    await expectRefused(
      db
        .insertInto('decisions')
        .values({ pro_forma_id: proForma.id, origin: 'MANUAL', decision, reason_code })
        .execute(),
      CHECK,
      'decisions_reason_check',
    );
  });

  it('refuses a refusal with a reason missing from the catalogue', async () => {
    const proForma = await newProForma(await newCfa());

    await expectRefused(
      db
        .insertInto('decisions')
        .values({ pro_forma_id: proForma.id, origin: 'MANUAL', decision: 'REFUSE', reason_code: 'NO_SUCH_REASON' })
        .execute(),
      FOREIGN_KEY,
      'decisions_reason_code_fkey',
    );
  });

  it('derives passed from the outcome of a control', async () => {
    const proForma = await newProForma(await newCfa());
    const document = await db
      .insertInto('documents')
      .values(documentValues(proForma))
      .returning('id')
      .executeTakeFirstOrThrow();

    const results = await db
      .insertInto('control_results')
      .values([
        { document_id: document.id, pro_forma_id: proForma.id, code: 'TOTAL', outcome: 'PASSED', message: 'ok' },
        {
          document_id: document.id,
          pro_forma_id: proForma.id,
          code: 'SIRET',
          outcome: 'FAILED',
          message: 'SIRET absent',
          reason_code: 'SIRET_INVALID',
          evidence: JSON.stringify({ read: null }),
        },
      ])
      .returning(['code', 'passed', 'evidence'])
      .execute();

    expect(results).toEqual([
      { code: 'TOTAL', passed: true, evidence: null },
      { code: 'SIRET', passed: false, evidence: { read: null } },
    ]);
    await expectRefused(
      db
        .insertInto('control_results')
        .values({ document_id: document.id, pro_forma_id: proForma.id, code: 'TOTAL', outcome: 'FAILED', message: 'x' })
        .execute(),
      UNIQUE,
      'control_results_document_code_key',
    );
  });

  it('refuses an extraction confidence above 1', async () => {
    const proForma = await newProForma(await newCfa());
    const document = await db
      .insertInto('documents')
      .values(documentValues(proForma))
      .returning('id')
      .executeTakeFirstOrThrow();

    await expectRefused(
      db.insertInto('extractions').values({ document_id: document.id, engine: 'OCR', confidence: 1.5 }).execute(),
      CHECK,
      'extractions_confidence_check',
    );
  });
});

describe('reference data', () => {
  it.each([
    ['a SIRET of 13 digits', { siret: '1234567890123' }, 'cfas_siret_check'],
    ['an IBAN with spaces', { iban: 'FR76 3000 6000 0112 3456 7890 189' }, 'cfas_iban_check'],
    ['an IBAN in lower case', { iban: 'fr7630006000011234567890189' }, 'cfas_iban_check'],
    [
      'an unknown settlement mode',
      { credit_note_settlement: 'AVOIR' as 'DEDUCTION' },
      'cfas_credit_note_settlement_check',
    ],
  ] as const)('refuses a CFA with %s', async (_case, values, constraint) => {
    const n = next();

    await expectRefused(
      db
        .insertInto('cfas')
        .values({
          siret: digits(n, 14),
          name: 'CFA',
          email: 'cfa@example.fr',
          iban: 'FR7630006000011234567890189',
          ...values,
        })
        .execute(),
      CHECK,
      constraint,
    );
  });

  it('refuses a mandate that ends before it starts', async () => {
    const cfa = await newCfa();

    await expectRefused(
      db.insertInto('mandates').values({ cfa_id: cfa.id, valid_from: '2026-01-01', valid_to: '2025-12-31' }).execute(),
      CHECK,
      'mandates_period_check',
    );
  });

  it('refuses an audit event with an unknown status', async () => {
    await expectRefused(
      db
        .insertInto('audit_events')
        .values({ actor: 'system', action: 'STATUS_CHANGED', to_status: 'ARCHIVED' as 'PAID' })
        .execute(),
      CHECK,
      'audit_events_to_status_check',
    );
  });

  it('numbers pro formas from a sequence that never cycles back to a used number', async () => {
    const { rows } = await sql<{ cycles: boolean; max: number }>`
      select seqcycle as cycles, seqmax as max from pg_sequence where seqrelid = 'pro_forma_number_seq'::regclass
    `.execute(db);

    expect(rows).toEqual([{ cycles: false, max: 99_999_999 }]);
  });
});
