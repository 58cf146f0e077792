import { sql, type Kysely } from 'kysely';
import type { ContractStatus, CostNature } from '../domain/cost-nature';
import type { ProFormaKind, ProFormaStatus } from '../domain/process';
import { isEligible } from './installment-eligibility';
import type { Page, PageRequest, Scope } from './pro-forma-summary';
import type { Database } from './schema';
import { cfaRestriction } from './scope';

/**
 * The contracts a CFA (or the Opco's staff) reads: searched, sorted and paged by the indexes of migration
 * 2026_12_02_0003 (test/api/contracts-explain.test.ts), and one contract's schedule: each installment and where it
 * stands, by the eligibility rule of the generation (db/installment-eligibility.ts).
 */

export interface ContractFilters {
  /** Staff only: one CFA's contracts. */
  cfaId?: string;
  /** The number or its beginning. */
  number?: string;
  /** Part of the apprentice's name, without regard to case. */
  apprenticeName?: string;
  employerSiret?: string;
  /** The contract starts between these dates (inclusive). */
  startFrom?: string;
  startTo?: string;
  status?: ContractStatus;
}

export const CONTRACT_SORTS = ['number', 'startDate', 'apprenticeName'] as const;
export type ContractSort = (typeof CONTRACT_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

export interface ContractView {
  id: string;
  cfaId: string;
  number: string;
  label: string;
  apprenticeName: string;
  employerName: string;
  employerSiret: string;
  startDate: string;
  endDate: string;
  status: ContractStatus;
}

const SORT_COLUMNS = {
  number: 'c.number',
  startDate: 'c.start_date',
  apprenticeName: 'c.apprentice_name',
} as const satisfies Record<ContractSort, string>;

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The smallest string (byte-wise, as UTF-8 orders code points) above every string starting with `prefix`. */
function nextPrefix(prefix: string): string {
  const points = [...prefix];
  const last = (points.pop() as string).codePointAt(0) as number;
  // Past the surrogates' block, which no string holds.
  const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
  return points.join('') + String.fromCodePoint(next);
}

function filtered(db: Kysely<Database>, scope: Scope, filters: ContractFilters) {
  let query = db.selectFrom('contracts as c');
  const restriction = cfaRestriction('c.cfa_id', scope, filters.cfaId);
  if (restriction) query = query.where(restriction);
  if (filters.number !== undefined) {
    // The LIKE says what is meant; the byte-wise range (text_pattern_ops operators) lets the planner seek it in
    // contracts_number_pattern_idx / contracts_cfa_id_number_pattern_idx rather than walk the numbers in order.
    const prefix = filters.number;
    query = query
      .where('c.number', 'like', `${escapeLike(prefix)}%`)
      .where(sql<boolean>`c.number ~>=~ ${prefix}`)
      .where(sql<boolean>`c.number ~<~ ${nextPrefix(prefix)}`);
  }
  if (filters.apprenticeName !== undefined) {
    query = query.where('c.apprentice_name', 'ilike', `%${escapeLike(filters.apprenticeName)}%`);
  }
  if (filters.employerSiret !== undefined) query = query.where('c.employer_siret', '=', filters.employerSiret);
  if (filters.startFrom !== undefined) query = query.where('c.start_date', '>=', filters.startFrom);
  if (filters.startTo !== undefined) query = query.where('c.start_date', '<=', filters.startTo);
  if (filters.status !== undefined) query = query.where('c.status', '=', filters.status);
  return query;
}

const COLUMNS = [
  'c.id',
  'c.cfa_id',
  'c.number',
  'c.label',
  'c.apprentice_name',
  'c.employer_name',
  'c.employer_siret',
  'c.start_date',
  'c.end_date',
  'c.status',
] as const;

/** The statements of a page of contracts and of its total (shared with the plan test). */
export function contractListQueries(
  db: Kysely<Database>,
  scope: Scope,
  filters: ContractFilters,
  page: PageRequest,
  sort: { by: ContractSort; order: SortOrder },
) {
  let items = filtered(db, scope, filters).select(COLUMNS).orderBy(SORT_COLUMNS[sort.by], sort.order);
  // The number is unique: it breaks ties, so pages never overlap.
  if (sort.by !== 'number') items = items.orderBy('c.number', sort.order);
  return {
    items: items.limit(page.pageSize).offset((page.page - 1) * page.pageSize),
    total: filtered(db, scope, filters).select((eb) => eb.fn.countAll<number>().as('n')),
  };
}

export async function listContracts(
  db: Kysely<Database>,
  scope: Scope,
  filters: ContractFilters,
  page: PageRequest,
  sort: { by: ContractSort; order: SortOrder },
): Promise<Page<ContractView>> {
  const queries = contractListQueries(db, scope, filters, page, sort);
  const [rows, total] = await Promise.all([queries.items.execute(), queries.total.executeTakeFirstOrThrow()]);
  return { items: rows.map(toContract), total: Number(total.n), page: page.page, pageSize: page.pageSize };
}

function toContract(r: {
  id: string;
  cfa_id: string;
  number: string;
  label: string;
  apprentice_name: string;
  employer_name: string;
  employer_siret: string;
  start_date: string;
  end_date: string;
  status: ContractStatus;
}): ContractView {
  return {
    id: r.id,
    cfaId: r.cfa_id,
    number: r.number,
    label: r.label,
    apprenticeName: r.apprentice_name,
    employerName: r.employer_name,
    employerSiret: r.employer_siret,
    startDate: r.start_date,
    endDate: r.end_date,
    status: r.status,
  };
}

export interface ScheduleRow {
  id: string;
  nature: CostNature;
  periodStart: string;
  periodEnd: string;
  amountCents: number;
  /** Eligible for billing on "today" (the generation's rule). */
  eligible: boolean;
  /** The live pro forma holding it, if any. */
  proForma: { number: string; status: ProFormaStatus; kind: ProFormaKind; paidAt: Date | null } | null;
}

/** Every installment of a contract and the live pro forma holding each one (shared with the plan test). */
export function scheduleQuery(db: Kysely<Database>, contractId: string, today: string) {
  return (
    db
      .selectFrom('installments as i')
      // At most one live line per installment (pro_forma_lines_live_installment_key).
      .leftJoin('pro_forma_lines as l', (join) =>
        join.onRef('l.installment_id', '=', 'i.id').on('l.released_at', 'is', null),
      )
      .leftJoin('pro_formas as p', 'p.id', 'l.pro_forma_id')
      .select([
        'i.id',
        'i.nature',
        'i.period_start',
        'i.period_end',
        'i.amount_cents',
        'p.number',
        'p.status',
        'p.kind',
        'p.paid_at',
        isEligible(today).as('eligible'),
      ])
      .where('i.contract_id', '=', contractId)
      .orderBy('i.period_start')
      .orderBy('i.nature')
      .orderBy('i.id')
  );
}

/** The contract (within the scope: another CFA's is not found) and every installment of it, in period order. */
export async function contractSchedule(
  db: Kysely<Database>,
  scope: Scope,
  contractId: string,
  today: string,
): Promise<{ contract: ContractView; installments: ScheduleRow[] } | undefined> {
  let contractQuery = db.selectFrom('contracts as c').select(COLUMNS).where('c.id', '=', contractId);
  const restriction = cfaRestriction('c.cfa_id', scope);
  if (restriction) contractQuery = contractQuery.where(restriction);
  const contract = await contractQuery.executeTakeFirst();
  if (!contract) return undefined;
  const rows = await scheduleQuery(db, contractId, today).execute();
  return {
    contract: toContract(contract),
    installments: rows.map((r) => ({
      id: r.id,
      nature: r.nature,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      amountCents: r.amount_cents,
      eligible: r.eligible,
      proForma:
        r.number !== null && r.status !== null && r.kind !== null
          ? { number: r.number, status: r.status, kind: r.kind, paidAt: r.paid_at }
          : null,
    })),
  };
}
