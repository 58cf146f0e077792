import { sql, type Kysely } from 'kysely';
import type { ContractStatus, CostNature, SettlementMode } from '../domain/cost-nature';
import { DomainError } from '../domain/errors';
import { formatProFormaNumber } from '../domain/identifiers';
import type { BillableInstallment, PlannedProForma } from '../domain/pro-forma';
import type { ProFormaKind } from '../domain/process';
import { CONTRACT_COLUMNS } from './pro-forma-lines';
import { isEligible, isReserved } from './installment-eligibility';
import type { Database } from './schema';

/**
 * The generation of pro formas as the database sees it: which installments a CFA may bill, the reservation of a
 * selection (pro formas, their lines and the audit row, in one transaction), and the rows whose workflow is still to
 * be started. The rules (what a selection makes) come from the caller, which also starts the workflows.
 */

const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';

export interface EligibleFilters {
  contractNumber?: string;
  /** Part of the apprentice's name, without regard to case. */
  apprenticeName?: string;
  employerSiret?: string;
  /** The contract starts between these dates (inclusive, YYYY-MM-DD): « le contrat débute entre ». */
  startFrom?: string;
  startTo?: string;
  /** ENGAGE or RUPTURE (« statut de la rupture »). */
  contractStatus?: ContractStatus;
  /** The start of the apprentice's first name, apart from the last name, without regard to case. */
  apprenticeFirstName?: string;
  /** The start of the apprentice's last name, without regard to case. */
  apprenticeLastName?: string;
  /** The CFA's teaching SIRET (« SIRET CFA pédagogique »). */
  trainingSiret?: string;
}

export const ELIGIBLE_SORTS = ['contractNumber', 'apprentice', 'periodStart', 'amount'] as const;
export type EligibleSort = (typeof ELIGIBLE_SORTS)[number];

export interface EligiblePageRequest {
  page: number;
  pageSize: number;
  sort: EligibleSort;
  order: 'asc' | 'desc';
}

/** The recap of a whole filtered selection, as SQL sums it (exact: numeric). */
export interface EligibleRecapRow {
  count: number;
  invoice_cents: string;
  credit_cents: string;
}

/** Why an installment of a selection is left out of the pro formas it makes. */
export const EXCLUSION_REASONS = [
  'NOT_SELECTED',
  'UNKNOWN',
  'OTHER_CFA',
  'OTHER_NATURE',
  'NOT_STARTED',
  'ALREADY_BILLED',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export interface EligibleInstallmentView {
  id: string;
  contractNumber: string;
  contractLabel: string;
  apprenticeName: string;
  employerName: string;
  employerSiret: string;
  contractStart: string;
  contractEnd: string;
  nature: CostNature;
  periodStart: string;
  periodEnd: string;
  amountCents: number;
  contractStatus: ContractStatus;
  apprenticeFirstName: string;
  apprenticeLastName: string;
  trainingSiret: string | null;
}

/** What a reservation decides from the CFA and its eligible installments (ordered by id). */
export interface ReservationRequest {
  cfaId: string;
  nature: CostNature;
  /** "Today" in Europe/Paris: installments whose period has started are eligible. */
  today: string;
  actor: string;
  /** The workflow id a pro forma number gets (the workflow's contract, known to the caller). */
  workflowIdOf: (number: string) => string;
  /** The pro formas to create; throws (a DomainError) to refuse the selection, rolling everything back. */
  plan: (eligible: BillableInstallment[], cfa: { creditNoteSettlement: SettlementMode }) => PlannedReservation[];
}

export interface PlannedReservation extends PlannedProForma<BillableInstallment> {
  settlementMode: SettlementMode | null;
}

export interface ReservedProForma {
  id: string;
  number: string;
  kind: ProFormaKind;
  nature: CostNature;
  totalCents: number;
  lineCount: number;
  settlementMode: SettlementMode | null;
  createdAt: string;
}

/** Installments of a CFA eligible for billing: period started (Paris date) and in no live pro forma. */
function eligibleInstallments(db: Kysely<Database>, cfaId: string, nature: CostNature, today: string) {
  return db
    .selectFrom('installments as i')
    .innerJoin('contracts as c', 'c.id', 'i.contract_id')
    .where('c.cfa_id', '=', cfaId)
    .where('i.nature', '=', nature)
    .where(isEligible(today));
}

/** The filtered eligible installments of a CFA in a nature (« Mes contrats »' search and advanced search). */
function filteredEligible(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  filters: EligibleFilters,
  today: string,
) {
  let query = eligibleInstallments(db, cfaId, nature, today);
  if (filters.contractNumber !== undefined) query = query.where('c.number', '=', filters.contractNumber);
  if (filters.apprenticeName !== undefined) {
    query = query.where('c.apprentice_name', 'ilike', `%${escapeLike(filters.apprenticeName)}%`);
  }
  // Prefixes of lower(...): contracts_cfa_first_name_idx and contracts_cfa_last_name_idx (text_pattern_ops).
  if (filters.apprenticeFirstName !== undefined) {
    const prefix = `${escapeLike(filters.apprenticeFirstName.toLowerCase())}%`;
    query = query.where(sql`lower(c.apprentice_first_name)`, 'like', prefix);
  }
  if (filters.apprenticeLastName !== undefined) {
    const prefix = `${escapeLike(filters.apprenticeLastName.toLowerCase())}%`;
    query = query.where(sql`lower(c.apprentice_last_name)`, 'like', prefix);
  }
  if (filters.trainingSiret !== undefined) query = query.where('c.training_siret', '=', filters.trainingSiret);
  if (filters.employerSiret !== undefined) query = query.where('c.employer_siret', '=', filters.employerSiret);
  if (filters.startFrom !== undefined) query = query.where('c.start_date', '>=', filters.startFrom);
  if (filters.startTo !== undefined) query = query.where('c.start_date', '<=', filters.startTo);
  if (filters.contractStatus !== undefined) query = query.where('c.status', '=', filters.contractStatus);
  return query;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A page of the filtered eligible installments, in the order asked (ties: contract, period, id). */
export function eligiblePageQuery(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  filters: EligibleFilters,
  today: string,
  page: EligiblePageRequest,
) {
  const { order } = page;
  let query = filteredEligible(db, cfaId, nature, filters, today).select([
    ...CONTRACT_COLUMNS,
    'c.apprentice_first_name',
    'c.apprentice_last_name',
    'c.training_siret',
    'i.id',
    'i.nature',
    'i.amount_cents',
  ]);
  switch (page.sort) {
    case 'apprentice':
      query = query.orderBy('c.apprentice_last_name', order).orderBy('c.apprentice_first_name', order);
      break;
    case 'periodStart':
      query = query.orderBy('i.period_start', order);
      break;
    case 'amount':
      query = query.orderBy('i.amount_cents', order);
      break;
    case 'contractNumber':
      break;
  }
  return query
    .orderBy('c.number', order)
    .orderBy('i.period_start', order)
    .orderBy('i.id', order)
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
}

/** The count and the sums of the whole filtered selection (numeric sums: exact whatever their size). */
export function eligibleRecapQuery(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  filters: EligibleFilters,
  today: string,
) {
  return filteredEligible(db, cfaId, nature, filters, today).select([
    sql<number>`count(*)::int`.as('count'),
    sql<string>`coalesce(sum(i.amount_cents) filter (where i.amount_cents > 0), 0)::text`.as('invoice_cents'),
    sql<string>`coalesce(sum(i.amount_cents) filter (where i.amount_cents < 0), 0)::text`.as('credit_cents'),
  ]);
}

/** The CFA's default settlement of credit notes and its eligible installments in a nature, by id. */
async function selectionBasis(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  today: string,
): Promise<{ cfa: { creditNoteSettlement: SettlementMode }; eligible: BillableInstallment[] }> {
  const cfa = await db
    .selectFrom('cfas')
    .select(['id', 'credit_note_settlement'])
    .where('id', '=', cfaId)
    .executeTakeFirst();
  if (!cfa) throw new DomainError('NOT_FOUND', 'CFA inconnu.');
  const eligible = await eligibleInstallments(db, cfaId, nature, today)
    .select(['i.id', 'i.amount_cents'])
    .orderBy('i.id')
    .execute();
  return {
    cfa: { creditNoteSettlement: cfa.credit_note_settlement },
    eligible: eligible.map((i) => ({ id: i.id, amountCents: i.amount_cents })),
  };
}

export function createGenerationRepository(db: Kysely<Database>) {
  return {
    /**
     * One page of the installments a CFA may bill on `today` in a cost nature, filtered as in « Mes contrats », with
     * the total and the recap of the whole filtered selection (not the page's).
     */
    async listEligible(
      cfaId: string,
      nature: CostNature,
      filters: EligibleFilters,
      today: string,
      page: EligiblePageRequest,
    ): Promise<{ items: EligibleInstallmentView[]; recap: EligibleRecapRow }> {
      const [rows, recap] = await Promise.all([
        eligiblePageQuery(db, cfaId, nature, filters, today, page).execute(),
        eligibleRecapQuery(db, cfaId, nature, filters, today).executeTakeFirstOrThrow(),
      ]);
      const items = rows.map((r) => ({
        id: r.id,
        contractNumber: r.number,
        contractLabel: r.label,
        apprenticeName: r.apprentice_name,
        apprenticeFirstName: r.apprentice_first_name,
        apprenticeLastName: r.apprentice_last_name,
        trainingSiret: r.training_siret,
        employerName: r.employer_name,
        employerSiret: r.employer_siret,
        contractStart: r.start_date,
        contractEnd: r.end_date,
        nature: r.nature,
        periodStart: r.period_start,
        periodEnd: r.period_end,
        amountCents: r.amount_cents,
        contractStatus: r.status,
      }));
      return { items, recap: { ...recap, count: Number(recap.count) } };
    },

    /**
     * What a selection is planned on (generation and its preview): the CFA's default settlement of credit notes and
     * its eligible installments, by id.
     */
    selectionBasis: (cfaId: string, nature: CostNature, today: string) => selectionBasis(db, cfaId, nature, today),

    /** Why each of `ids` is not eligible for `cfaId` in `nature` on `today` (the eligible ones are left out). */
    async exclusions(
      cfaId: string,
      nature: CostNature,
      today: string,
      ids: readonly string[],
    ): Promise<{ id: string; reason: Exclude<ExclusionReason, 'NOT_SELECTED'> }[]> {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('installments as i')
        .innerJoin('contracts as c', 'c.id', 'i.contract_id')
        .select(['i.id', 'c.cfa_id', 'i.nature', 'i.period_start'])
        .select(isReserved().as('billed'))
        .where('i.id', 'in', [...ids])
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      const out: { id: string; reason: Exclude<ExclusionReason, 'NOT_SELECTED'> }[] = [];
      for (const id of ids) {
        const row = byId.get(id);
        if (!row) out.push({ id, reason: 'UNKNOWN' });
        else if (row.cfa_id !== cfaId) out.push({ id, reason: 'OTHER_CFA' });
        else if (row.nature !== nature) out.push({ id, reason: 'OTHER_NATURE' });
        else if (row.period_start > today) out.push({ id, reason: 'NOT_STARTED' });
        else if (row.billed) out.push({ id, reason: 'ALREADY_BILLED' });
      }
      return out;
    },

    /**
     * Creates the planned pro formas, their lines (reserving their installments) and their GENERATE audit rows in
     * one transaction. A concurrent generation that reserved one of the installments first
     * (pro_forma_lines_live_installment_key) makes it fail with INSTALLMENT_NOT_ELIGIBLE.
     */
    async reserve(request: ReservationRequest): Promise<ReservedProForma[]> {
      try {
        return await db.transaction().execute(async (trx) => {
          const basis = await selectionBasis(trx, request.cfaId, request.nature, request.today);
          const planned = request.plan(basis.eligible, basis.cfa);
          const reserved: ReservedProForma[] = [];
          for (const plan of planned) {
            const { seq } = await sql<{ seq: number }>`select nextval('pro_forma_number_seq') as seq`
              .execute(trx)
              .then((r) => r.rows[0] as { seq: number });
            const number = formatProFormaNumber(Number(seq));
            const row = await trx
              .insertInto('pro_formas')
              .values({
                number,
                workflow_id: request.workflowIdOf(number),
                cfa_id: request.cfaId,
                kind: plan.kind,
                nature: request.nature,
                total_cents: plan.totalCents,
                status: 'AWAITING_INVOICE',
                settlement_mode: plan.settlementMode,
              })
              .returning(['id', 'created_at'])
              .executeTakeFirstOrThrow();
            // Installment order is fixed (by id) so two overlapping generations lock in the same order.
            await trx
              .insertInto('pro_forma_lines')
              .values(
                plan.lines.map((l) => ({
                  pro_forma_id: row.id,
                  installment_id: l.id,
                  nature: request.nature,
                  amount_cents: l.amountCents,
                })),
              )
              .execute();
            await trx
              .insertInto('audit_events')
              .values({
                pro_forma_id: row.id,
                actor: request.actor,
                action: 'GENERATE',
                from_status: null,
                to_status: 'AWAITING_INVOICE',
                details: JSON.stringify({ lines: plan.lines.length }),
              })
              .execute();
            reserved.push({
              id: row.id,
              number,
              kind: plan.kind,
              nature: request.nature,
              totalCents: plan.totalCents,
              lineCount: plan.lines.length,
              settlementMode: plan.settlementMode,
              createdAt: row.created_at.toISOString(),
            });
          }
          return reserved;
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === UNIQUE_VIOLATION || code === DEADLOCK) {
          throw new DomainError(
            'INSTALLMENT_NOT_ELIGIBLE',
            'Une ou plusieurs échéances viennent d’être facturées par ailleurs : actualisez la sélection.',
          );
        }
        throw error;
      }
    },

    /** A pro forma and its CFA, by number (what its workflow is started with); fails when the row does not exist. */
    async proFormaToStart(number: string) {
      const row = await db
        .selectFrom('pro_formas as p')
        .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
        .select([
          'p.number',
          'p.kind',
          'p.nature',
          'p.total_cents',
          'p.settlement_mode',
          'p.created_at',
          'c.id as cfa_id',
          'c.siret',
          'c.name',
          'c.email',
          'c.trusted',
        ])
        .where('p.number', '=', number)
        .executeTakeFirstOrThrow();
      return {
        proForma: {
          number: row.number,
          kind: row.kind,
          nature: row.nature,
          totalCents: row.total_cents,
          settlementMode: row.settlement_mode,
          createdAt: row.created_at.toISOString(),
        },
        cfa: { id: row.cfa_id, siret: row.siret, name: row.name, email: row.email, trusted: row.trusted },
      };
    },

    /** Numbers of pro formas created before `createdBefore` whose workflow never recorded its start, oldest first. */
    async unstartedProFormas(createdBefore: Date, limit: number): Promise<string[]> {
      const rows = await db
        .selectFrom('pro_formas')
        .select('number')
        .where('workflow_started_at', 'is', null)
        .where('created_at', '<', createdBefore)
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.number);
    },
  };
}

export type GenerationRepository = ReturnType<typeof createGenerationRepository>;
