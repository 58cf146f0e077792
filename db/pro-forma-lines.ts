import type { Kysely } from 'kysely';
import type { ContractStatus } from '../domain/cost-nature';
import type { ContractInput, InstallmentInput } from './contract-import';
import type { Database } from './schema';

/** The lines of a pro forma (its installments, with their contracts): for its detail and its contracts export. */

/** An installment's contract and period, in a query joining `installments as i` to `contracts as c`. */
export const CONTRACT_COLUMNS = [
  'c.number',
  'c.label',
  'c.apprentice_name',
  'c.employer_name',
  'c.employer_siret',
  'c.start_date',
  'c.end_date',
  'c.status',
  'i.period_start',
  'i.period_end',
] as const;

/** A line of the contracts export: the installment with its contract. */
export interface ContractLineView extends Omit<ContractInput, 'cfaId' | 'number' | 'status'>, InstallmentInput {
  contractNumber: string;
  contractStatus: ContractStatus;
}

export type ProFormaLineView = Pick<
  ContractLineView,
  'contractNumber' | 'apprenticeName' | 'employerName' | 'periodStart' | 'periodEnd' | 'amountCents'
> & { installmentId: string };

/** The installments of a pro forma with their contracts, by contract then period. */
async function lines(
  db: Kysely<Database>,
  proFormaId: string,
): Promise<(ContractLineView & { installmentId: string })[]> {
  const rows = await db
    .selectFrom('pro_forma_lines as l')
    .innerJoin('installments as i', 'i.id', 'l.installment_id')
    .innerJoin('contracts as c', 'c.id', 'i.contract_id')
    .select([...CONTRACT_COLUMNS, 'l.installment_id', 'l.nature', 'l.amount_cents'])
    .where('l.pro_forma_id', '=', proFormaId)
    .orderBy('c.number')
    .orderBy('i.period_start')
    .execute();
  return rows.map((r) => ({
    installmentId: r.installment_id,
    contractNumber: r.number,
    label: r.label,
    apprenticeName: r.apprentice_name,
    employerName: r.employer_name,
    employerSiret: r.employer_siret,
    startDate: r.start_date,
    endDate: r.end_date,
    contractStatus: r.status,
    nature: r.nature,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    amountCents: r.amount_cents,
  }));
}

/** The lines as the pro forma's detail shows them. */
export async function proFormaLines(db: Kysely<Database>, proFormaId: string): Promise<ProFormaLineView[]> {
  return (await lines(db, proFormaId)).map((l) => ({
    installmentId: l.installmentId,
    contractNumber: l.contractNumber,
    apprenticeName: l.apprenticeName,
    employerName: l.employerName,
    periodStart: l.periodStart,
    periodEnd: l.periodEnd,
    amountCents: l.amountCents,
  }));
}

/** The contracts (one row per installment) of a pro forma, for its Excel export. */
export async function proFormaContractLines(db: Kysely<Database>, proFormaId: string): Promise<ContractLineView[]> {
  return (await lines(db, proFormaId)).map(({ installmentId: _installmentId, ...line }) => line);
}
