import { sql, type Kysely } from 'kysely';
import type { ContractStatus, CostNature, SettlementMode } from '../domain/cost-nature';
import { DomainError } from '../domain/errors';
import { formatProFormaNumber } from '../domain/identifiers';
import type { BillableInstallment, PlannedProForma } from '../domain/pro-forma';
import type { ProFormaKind } from '../domain/process';
import { CONTRACT_COLUMNS } from './pro-forma-lines';
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
  contractStatus?: ContractStatus;
}

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
    .where('i.period_start', '<=', today)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('pro_forma_lines as l')
            .select('l.id')
            .whereRef('l.installment_id', '=', 'i.id')
            .where('l.released_at', 'is', null),
        ),
      ),
    );
}

export function createGenerationRepository(db: Kysely<Database>) {
  return {
    /** The installments a CFA may bill on `today` in a cost nature, filtered as in « Mes contrats ». */
    async listEligible(
      cfaId: string,
      nature: CostNature,
      filters: EligibleFilters,
      today: string,
    ): Promise<EligibleInstallmentView[]> {
      let query = eligibleInstallments(db, cfaId, nature, today);
      if (filters.contractNumber !== undefined) query = query.where('c.number', '=', filters.contractNumber);
      if (filters.apprenticeName !== undefined) {
        const pattern = `%${filters.apprenticeName.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where('c.apprentice_name', 'ilike', pattern);
      }
      if (filters.employerSiret !== undefined) query = query.where('c.employer_siret', '=', filters.employerSiret);
      if (filters.startFrom !== undefined) query = query.where('c.start_date', '>=', filters.startFrom);
      if (filters.startTo !== undefined) query = query.where('c.start_date', '<=', filters.startTo);
      if (filters.contractStatus !== undefined) query = query.where('c.status', '=', filters.contractStatus);
      const rows = await query
        .select([...CONTRACT_COLUMNS, 'i.id', 'i.nature', 'i.amount_cents'])
        .orderBy('c.number')
        .orderBy('i.period_start')
        .orderBy('i.id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        contractNumber: r.number,
        contractLabel: r.label,
        apprenticeName: r.apprentice_name,
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
    },

    /**
     * Creates the planned pro formas, their lines (reserving their installments) and their GENERATE audit rows in
     * one transaction. A concurrent generation that reserved one of the installments first
     * (pro_forma_lines_live_installment_key) makes it fail with INSTALLMENT_NOT_ELIGIBLE.
     */
    async reserve(request: ReservationRequest): Promise<ReservedProForma[]> {
      try {
        return await db.transaction().execute(async (trx) => {
          const cfa = await trx
            .selectFrom('cfas')
            .select(['id', 'credit_note_settlement'])
            .where('id', '=', request.cfaId)
            .executeTakeFirst();
          if (!cfa) throw new DomainError('NOT_FOUND', 'CFA inconnu.');
          const eligible = await eligibleInstallments(trx, request.cfaId, request.nature, request.today)
            .select(['i.id', 'i.amount_cents'])
            .orderBy('i.id')
            .execute();
          const planned = request.plan(
            eligible.map((i) => ({ id: i.id, amountCents: i.amount_cents })),
            { creditNoteSettlement: cfa.credit_note_settlement },
          );
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
