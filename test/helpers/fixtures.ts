import crypto from 'node:crypto';
import type ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import type { Database, NewProFormaRow } from '../../db/schema';

/** Valid identifiers (SIRET Luhn, IBAN mod 97), distinct per call so test rows never collide. */
let counter = 0;
export function uniqueSiret(): string {
  for (;;) {
    const siren = String(700_000_000 + ((Date.now() + counter++ * 7919) % 99_999_999)).slice(0, 9);
    const sirenOk = luhn(siren);
    if (!sirenOk) continue;
    for (let n = 10; n < 100; n++) {
      const siret = `${siren}000${n}`;
      if (luhn(siret)) return siret;
    }
  }
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export const TEST_IBAN = 'FR7630006000011234567890189';

export async function insertCfa(
  db: Kysely<Database>,
  overrides: Partial<{ siret: string; iban: string; trusted: boolean }> = {},
) {
  return db
    .insertInto('cfas')
    .values({
      siret: overrides.siret ?? uniqueSiret(),
      name: 'CFA de test',
      email: `cfa-${crypto.randomBytes(4).toString('hex')}@test.example`,
      iban: overrides.iban ?? TEST_IBAN,
      trusted: overrides.trusted ?? false,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertMandate(db: Kysely<Database>, cfaId: string, validFrom: string, validTo: string | null) {
  await db.insertInto('mandates').values({ cfa_id: cfaId, valid_from: validFrom, valid_to: validTo }).execute();
}

export async function nextProFormaNumber(db: Kysely<Database>): Promise<string> {
  const { n } = await db
    .selectNoFrom((eb) => eb.fn<number>('nextval', [eb.val('pro_forma_number_seq')]).as('n'))
    .executeTakeFirstOrThrow();
  return `PRO-${String(n).padStart(8, '0')}`;
}

export async function insertProForma(
  db: Kysely<Database>,
  cfaId: string,
  overrides: Partial<
    Pick<NewProFormaRow, 'kind' | 'nature' | 'total_cents' | 'status' | 'invoice_number' | 'settlement_mode'>
  > = {},
) {
  const number = await nextProFormaNumber(db);
  const kind = overrides.kind ?? 'INVOICE';
  return db
    .insertInto('pro_formas')
    .values({
      number,
      workflow_id: `pro-forma-${number}`,
      cfa_id: cfaId,
      kind,
      nature: overrides.nature ?? 'PEDAGOGIE',
      total_cents: overrides.total_cents ?? (kind === 'INVOICE' ? 257_500 : -41_350),
      status: overrides.status ?? 'AWAITING_INVOICE',
      settlement_mode: overrides.settlement_mode ?? (kind === 'CREDIT_NOTE' ? 'DEDUCTION' : null),
      invoice_number: overrides.invoice_number ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertDocument(db: Kysely<Database>, proFormaId: string, sha256: string, version = 1) {
  return db
    .insertInto('documents')
    .values({
      pro_forma_id: proFormaId,
      version,
      file_name: 'facture.pdf',
      mime_type: 'application/pdf',
      size_bytes: 1234,
      sha256,
      storage_key: sha256,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A validated pro forma of `cfaId` with its payment as the workflow orders it; returns its number. */
export async function insertOrderedPayment(
  db: Kysely<Database>,
  cfaId: string,
  totalCents: number,
  orderedAt: string,
  settlement: 'DEDUCTION' | 'REMBOURSEMENT' = 'DEDUCTION',
): Promise<string> {
  const kind = totalCents > 0 ? 'INVOICE' : 'CREDIT_NOTE';
  const proForma = await insertProForma(db, cfaId, {
    kind,
    total_cents: totalCents,
    status: 'VALIDATED',
    settlement_mode: kind === 'CREDIT_NOTE' ? settlement : null,
  });
  const paymentKind = kind === 'INVOICE' ? 'TRANSFER' : settlement === 'DEDUCTION' ? 'DEDUCTION' : 'REIMBURSEMENT';
  await db
    .insertInto('payments')
    .values({
      pro_forma_id: proForma.id,
      cfa_id: cfaId,
      kind: paymentKind,
      amount_cents: totalCents,
      remaining_cents: paymentKind === 'DEDUCTION' ? totalCents : null,
      status: 'ORDERED',
      ordered_at: orderedAt,
    })
    .execute();
  return proForma.number;
}

/** One contract installment as the contracts template's columns hold it. */
export interface ContractRowValues {
  cfaSiret: string;
  contractNumber: string;
  training: string;
  apprentice: string;
  employer: string;
  employerSiret: string;
  contractStart: Date;
  contractEnd: Date;
  status: string;
  nature: string;
  periodStart: ExcelJS.CellValue;
  periodEnd: ExcelJS.CellValue;
  amount: ExcelJS.CellValue;
}

/** A filled row of the contracts template, its columns in order: a mobility installment of a CAP, or as `values` say. */
export function contractRow(values: Partial<ContractRowValues> = {}): ExcelJS.CellValue[] {
  const row: ContractRowValues = {
    cfaSiret: '73282932000074',
    contractNumber: 'DECA-ORDRE-0001',
    training: 'CAP Cuisine',
    apprentice: 'Hugo Bernard',
    employer: 'Restaurant Les Halles',
    employerSiret: '73282932000074',
    contractStart: new Date('2025-09-01T00:00:00Z'),
    contractEnd: new Date('2027-08-31T00:00:00Z'),
    status: 'Engagé',
    nature: 'Mobilité',
    periodStart: '01/10/2026',
    periodEnd: '31/10/2026',
    amount: 350.5,
    ...values,
  };
  return [
    row.cfaSiret,
    row.contractNumber,
    row.training,
    row.apprentice,
    row.employer,
    row.employerSiret,
    row.contractStart,
    row.contractEnd,
    row.status,
    row.nature,
    row.periodStart,
    row.periodEnd,
    row.amount,
  ];
}
