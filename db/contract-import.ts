import type { Kysely, Transaction } from 'kysely';
import { costNatureLabel, type ContractStatus, type CostNature } from '../domain/cost-nature';
import type { Database } from './schema';
import { uniquely, violatedUniqueConstraint } from './errors';

/**
 * Contracts and their installments (échéances) arriving from the funder's systems: one contract at a time (JSON),
 * or row by row from the import workbook. An installment is identified by its contract, nature and period start
 * (installments_contract_nature_period_key), so importing the same rows again creates nothing.
 */

export interface InstallmentInput {
  nature: CostNature;
  periodStart: string;
  periodEnd: string;
  amountCents: number;
}

export interface ContractInput {
  cfaId: string;
  number: string;
  label: string;
  apprenticeName: string;
  /** Given apart, or split from apprenticeName (splitApprenticeName). */
  apprenticeFirstName?: string;
  apprenticeLastName?: string;
  /** The CFA's teaching SIRET (« SIRET CFA pédagogique »), when known. */
  trainingSiret?: string | null;
  employerName: string;
  employerSiret: string;
  startDate: string;
  endDate: string;
  status: ContractStatus;
}

/**
 * The apprentice's first and last names from the full name, as the migration 2026_12_02_0004 split the existing rows:
 * on the first space, « Léa Martin » → Léa / Martin, « Jean Pierre Dupont » → Jean / Pierre Dupont; without a space,
 * all last name (first name ''). Names given apart are kept as given.
 */
export function splitApprenticeName(
  fullName: string,
  given: { firstName?: string; lastName?: string } = {},
): { firstName: string; lastName: string } {
  if (given.firstName !== undefined || given.lastName !== undefined) {
    return { firstName: given.firstName?.trim() ?? '', lastName: given.lastName?.trim() ?? '' };
  }
  const name = fullName.trim();
  const at = name.indexOf(' ');
  return at < 0
    ? { firstName: '', lastName: name }
    : { firstName: name.slice(0, at), lastName: name.slice(at + 1).trim() };
}

export interface InstallmentView extends InstallmentInput {
  id: string;
}

export interface ContractView extends ContractInput {
  id: string;
  installments: InstallmentView[];
}

/** A new contract with its installments, in one transaction (contracts_number_key: 409 for a known number). */
export async function createContract(
  db: Kysely<Database>,
  contract: ContractInput,
  installments: readonly InstallmentInput[],
): Promise<ContractView> {
  return uniquely(() => db.transaction().execute((trx) => insertContract(trx, contract, installments)));
}

/** Inserts a contract and its installments within the caller's transaction. */
export async function insertContract(
  trx: Transaction<Database>,
  contract: ContractInput,
  installments: readonly InstallmentInput[],
): Promise<ContractView> {
  const row = await trx
    .insertInto('contracts')
    .values(contractColumns(contract))
    .returning('id')
    .executeTakeFirstOrThrow();
  const inserted =
    installments.length === 0
      ? []
      : await trx
          .insertInto('installments')
          .values(installments.map((i) => installmentColumns(row.id, i)))
          .returning(['id', 'nature', 'period_start', 'period_end', 'amount_cents'])
          .execute();
  return {
    id: row.id,
    // As given: the parts of the name and the teaching SIRET are answered only when they were sent.
    ...contract,
    installments: inserted.map((i) => ({
      id: i.id,
      nature: i.nature,
      periodStart: i.period_start,
      periodEnd: i.period_end,
      amountCents: i.amount_cents,
    })),
  };
}

function contractColumns(c: ContractInput) {
  const names = splitApprenticeName(c.apprenticeName, {
    firstName: c.apprenticeFirstName,
    lastName: c.apprenticeLastName,
  });
  return {
    cfa_id: c.cfaId,
    number: c.number,
    label: c.label,
    apprentice_name: c.apprenticeName,
    apprentice_first_name: names.firstName,
    apprentice_last_name: names.lastName,
    // Absent: kept as it is on an update (an old workbook without the column clears nothing).
    ...(c.trainingSiret === undefined ? {} : { training_siret: c.trainingSiret }),
    employer_name: c.employerName,
    employer_siret: c.employerSiret,
    start_date: c.startDate,
    end_date: c.endDate,
    status: c.status,
  };
}

function installmentColumns(contractId: string, i: InstallmentInput) {
  return {
    contract_id: contractId,
    nature: i.nature,
    period_start: i.periodStart,
    period_end: i.periodEnd,
    amount_cents: i.amountCents,
  };
}

/** One row of the import workbook: a contract (repeated on each of its rows) and one installment. */
export interface ImportRow extends Omit<ContractInput, 'cfaId'> {
  cfaSiret: string;
  installment: InstallmentInput;
}

export type ImportOutcome = { kind: 'created' } | { kind: 'unchanged' } | { kind: 'rejected'; error: string };

/**
 * Imports one row in its own transaction, so a bad row never blocks the good ones. The contract is created, or
 * updated when known (a contract can break: ENGAGE → RUPTURE); the installment is created, or found identical
 * (unchanged). An installment already imported with other values is refused rather than changed: it may already
 * be billed.
 */
export async function importContractRow(db: Kysely<Database>, row: ImportRow): Promise<ImportOutcome> {
  try {
    return await db.transaction().execute((trx) => importInTransaction(trx, row));
  } catch (error) {
    // A refused row rolls its transaction back: nothing of it stays, not even the contract's update.
    if (error instanceof RowRefused) return { kind: 'rejected', error: error.message };
    if (violatedUniqueConstraint(error)) {
      return { kind: 'rejected', error: 'Ligne importée au même moment par un autre import : réimportez le fichier.' };
    }
    throw error;
  }
}

class RowRefused extends Error {}

function frenchDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}/${m}/${y}`;
}

async function importInTransaction(trx: Transaction<Database>, row: ImportRow): Promise<ImportOutcome> {
  const cfa = await trx.selectFrom('cfas').select('id').where('siret', '=', row.cfaSiret).executeTakeFirst();
  if (!cfa) throw new RowRefused(`Aucun CFA enregistré avec le SIRET ${row.cfaSiret}.`);
  const contract: ContractInput = { ...row, cfaId: cfa.id };
  const existing = await trx
    .selectFrom('contracts')
    .select(['id', 'cfa_id'])
    .where('number', '=', row.number)
    .forUpdate()
    .executeTakeFirst();
  if (existing && existing.cfa_id !== cfa.id) {
    throw new RowRefused(`Le contrat ${row.number} est déjà enregistré pour un autre CFA.`);
  }
  let contractId: string;
  if (existing) {
    contractId = existing.id;
    const { cfa_id: _cfa, number: _number, ...changes } = contractColumns(contract);
    await trx.updateTable('contracts').set(changes).where('id', '=', contractId).execute();
  } else {
    const created = await trx
      .insertInto('contracts')
      .values(contractColumns(contract))
      .returning('id')
      .executeTakeFirstOrThrow();
    contractId = created.id;
  }
  const { installment } = row;
  const known = await trx
    .selectFrom('installments')
    .select(['period_end', 'amount_cents'])
    .where('contract_id', '=', contractId)
    .where('nature', '=', installment.nature)
    .where('period_start', '=', installment.periodStart)
    .executeTakeFirst();
  if (known) {
    if (known.period_end === installment.periodEnd && known.amount_cents === installment.amountCents) {
      return { kind: 'unchanged' };
    }
    throw new RowRefused(
      `L'échéance du ${frenchDate(installment.periodStart)} (${costNatureLabel(installment.nature)}) du contrat ` +
        `${row.number} est déjà importée avec une autre période ou un autre montant.`,
    );
  }
  await trx.insertInto('installments').values(installmentColumns(contractId, installment)).execute();
  return { kind: 'created' };
}
