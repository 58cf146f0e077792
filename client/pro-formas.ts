import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import { costNatureLabel, type ContractStatus, type CostNature, type SettlementMode } from '../domain/cost-nature';
import { parisDate } from '../domain/dates';
import { DomainError } from '../domain/errors';
import { formatProFormaNumber } from '../domain/identifiers';
import { formatEuros } from '../domain/money';
import { recap, splitBySign, type SelectionRecap } from '../domain/pro-forma';
import { statusLabel } from '../domain/status';
import type { Database } from '../db/schema';
import type { Config } from '../infra/config';
import {
  proFormaWorkflowId,
  type ProFormaWorkflow,
  type ProFormaWorkflowInput,
  type Timings,
} from '../workflows/pro-forma.messages';
import {
  CfaSiretKey,
  CostNatureKey,
  ProFormaNumberKey,
  ProFormaStatusKey,
  TotalCentsKey,
} from '../workflows/search-attributes';

export interface ProFormaClientDeps {
  db: Kysely<Database>;
  client: Client;
  config: Pick<Config, 'temporal' | 'timings'>;
  /** Test knobs (durations in seconds, forced continue-as-new). */
  workflowOverrides?: Partial<Pick<ProFormaWorkflowInput, 'continueAsNewAfterEvents'>> & { timings?: Partial<Timings> };
}

export interface GenerateInput {
  cfaId: string;
  nature: CostNature;
  /** Absent: every eligible installment of the nature. */
  installmentIds?: string[];
  /** For a credit note; the CFA's default otherwise. */
  settlementMode?: SettlementMode;
  actor: string;
  /** "Today" in Europe/Paris decides which installments have started; injectable for tests. */
  now?: Date;
  /**
   * When given, a workflow start that fails (Temporal unreachable, deadline passed) is reported here instead of
   * thrown: the rows are committed and `reconcileWorkflowStarts` starts their workflows later.
   */
  onStartFailure?: (number: string, error: unknown) => void;
}

export interface GeneratedProForma {
  id: string;
  number: string;
  kind: 'INVOICE' | 'CREDIT_NOTE';
  nature: CostNature;
  totalCents: number;
  lineCount: number;
  status: 'AWAITING_INVOICE';
  statusLabel: string;
  settlementMode: SettlementMode | null;
  createdAt: string;
}

const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';

/** Installments of a CFA eligible for billing: period started (Paris date) and in no live pro forma. */
export function eligibleInstallments(db: Kysely<Database>, cfaId: string, nature: CostNature, today: string) {
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

/** The installments a CFA may bill now in a cost nature, filtered as in « Mes contrats », with the recap. */
export async function listEligibleInstallments(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  filters: EligibleFilters,
  now: Date = new Date(),
): Promise<{ items: EligibleInstallmentView[]; recap: SelectionRecap }> {
  let query = eligibleInstallments(db, cfaId, nature, parisDate(now));
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
    .select([
      'i.id',
      'c.number',
      'c.label',
      'c.apprentice_name',
      'c.employer_name',
      'c.employer_siret',
      'c.start_date',
      'c.end_date',
      'c.status',
      'i.nature',
      'i.period_start',
      'i.period_end',
      'i.amount_cents',
    ])
    .orderBy('c.number')
    .orderBy('i.period_start')
    .orderBy('i.id')
    .execute();
  const items = rows.map((r) => ({
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
  return { items, recap: recap(items) };
}

/**
 * Generates the pro forma(s) of a selection and starts their workflows.
 *
 * A row never lives without its workflow, nor a workflow without its row: the rows (and the reservation of their
 * installments) are committed first, then each workflow is started under its deterministic id
 * `pro-forma-<number>`. A workflow thus never exists before its row. If the process dies between the commit and
 * the start, `reconcileWorkflowStarts` (run by the main worker at start and every minute) starts it: rows whose
 * workflow never recorded its start (`workflow_started_at`) are started again, and a start that did happen
 * answers "already started", which is harmless.
 */
export async function generateProFormas(deps: ProFormaClientDeps, input: GenerateInput): Promise<GeneratedProForma[]> {
  const today = parisDate(input.now ?? new Date());
  let created: GeneratedProForma[];
  try {
    created = await deps.db.transaction().execute(async (trx) => {
      const cfa = await trx
        .selectFrom('cfas')
        .select(['id', 'credit_note_settlement'])
        .where('id', '=', input.cfaId)
        .executeTakeFirst();
      if (!cfa) throw new DomainError('NOT_FOUND', 'CFA inconnu.');
      const eligible = await eligibleInstallments(trx, input.cfaId, input.nature, today)
        .select(['i.id', 'i.amount_cents'])
        .orderBy('i.id')
        .execute();
      let selection = eligible;
      if (input.installmentIds) {
        const wanted = new Set(input.installmentIds);
        selection = eligible.filter((i) => wanted.has(i.id));
        const missing = [...wanted].filter((id) => !selection.some((i) => i.id === id));
        if (missing.length > 0) {
          throw new DomainError(
            'INSTALLMENT_NOT_ELIGIBLE',
            `${missing.length} échéance(s) ne sont pas (ou plus) éligibles à la facturation en ${costNatureLabel(input.nature)}.`,
            { installmentIds: missing },
          );
        }
      }
      if (selection.length === 0) {
        throw new DomainError('EMPTY_SELECTION', `Aucune échéance éligible en ${costNatureLabel(input.nature)}.`);
      }
      const planned = splitBySign(selection.map((i) => ({ id: i.id, amountCents: i.amount_cents })));
      const rows: GeneratedProForma[] = [];
      for (const plan of planned) {
        const { seq } = await sql<{ seq: number }>`select nextval('pro_forma_number_seq') as seq`
          .execute(trx)
          .then((r) => r.rows[0] as { seq: number });
        const number = formatProFormaNumber(Number(seq));
        const settlementMode =
          plan.kind === 'CREDIT_NOTE' ? (input.settlementMode ?? cfa.credit_note_settlement) : null;
        const row = await trx
          .insertInto('pro_formas')
          .values({
            number,
            workflow_id: proFormaWorkflowId(number),
            cfa_id: input.cfaId,
            kind: plan.kind,
            nature: input.nature,
            total_cents: plan.totalCents,
            status: 'AWAITING_INVOICE',
            settlement_mode: settlementMode,
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
              nature: input.nature,
              amount_cents: l.amountCents,
            })),
          )
          .execute();
        await trx
          .insertInto('audit_events')
          .values({
            pro_forma_id: row.id,
            actor: input.actor,
            action: 'GENERATE',
            from_status: null,
            to_status: 'AWAITING_INVOICE',
            details: JSON.stringify({ lines: plan.lines.length }),
          })
          .execute();
        rows.push({
          id: row.id,
          number,
          kind: plan.kind,
          nature: input.nature,
          totalCents: plan.totalCents,
          lineCount: plan.lines.length,
          status: 'AWAITING_INVOICE',
          statusLabel: statusLabel('AWAITING_INVOICE', plan.kind),
          settlementMode,
          createdAt: row.created_at.toISOString(),
        });
      }
      return rows;
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    // A concurrent generation reserved one of these installments first (pro_forma_lines_live_installment_key).
    if (code === UNIQUE_VIOLATION || code === DEADLOCK) {
      throw new DomainError(
        'INSTALLMENT_NOT_ELIGIBLE',
        'Une ou plusieurs échéances viennent d’être facturées par ailleurs : actualisez la sélection.',
      );
    }
    throw error;
  }
  for (const row of created) {
    try {
      await startProFormaWorkflow(deps, row.number);
    } catch (error) {
      if (!input.onStartFailure) throw error;
      input.onStartFailure(row.number, error);
    }
  }
  return created;
}

/** Starts the workflow of a pro forma row; a workflow already started is left as it is. */
export async function startProFormaWorkflow(deps: ProFormaClientDeps, number: string): Promise<void> {
  const row = await deps.db
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
  const { temporal, timings } = deps.config;
  const input: ProFormaWorkflowInput = {
    proForma: {
      number: row.number,
      kind: row.kind,
      nature: row.nature,
      totalCents: row.total_cents,
      settlementMode: row.settlement_mode,
      createdAt: row.created_at.toISOString(),
    },
    cfa: { id: row.cfa_id, siret: row.siret, name: row.name, email: row.email, trusted: row.trusted },
    ocrTaskQueue: temporal.ocrTaskQueue,
    timings: { ...timings, ...deps.workflowOverrides?.timings },
    continueAsNewAfterEvents: deps.workflowOverrides?.continueAsNewAfterEvents,
  };
  try {
    // By name, with the type only: the API process never loads the workflow body.
    await deps.client.workflow.start<ProFormaWorkflow>('proFormaWorkflow', {
      workflowId: proFormaWorkflowId(row.number),
      taskQueue: temporal.taskQueue,
      args: [input],
      // Business keys only: no personal data (apprentice names) in visibility.
      typedSearchAttributes: [
        { key: ProFormaNumberKey, value: row.number },
        { key: ProFormaStatusKey, value: 'AWAITING_INVOICE' },
        { key: CfaSiretKey, value: row.siret },
        { key: CostNatureKey, value: row.nature },
        { key: TotalCentsKey, value: row.total_cents },
      ],
      memo: { cfaName: row.name, totalCents: row.total_cents },
      staticSummary: `${row.number} · ${row.name} · ${formatEuros(row.total_cents)} · ${costNatureLabel(row.nature)}`,
      // A pro forma number is never reused, so neither is its workflow id, even once the workflow has closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    await assertSameProForma(deps, row.number, row.siret, row.total_cents);
  }
}

/**
 * "Already started" is expected when a start is retried. But a workflow with this id that belongs to another pro
 * forma means the Temporal namespace holds history from another database (one was reset, not the other): talking
 * to that workflow would act on the wrong pro forma, so stop loudly.
 */
async function assertSameProForma(deps: ProFormaClientDeps, number: string, siret: string, totalCents: number) {
  const description = await deps.client.workflow.getHandle(proFormaWorkflowId(number)).describe();
  const attributes = description.typedSearchAttributes;
  if (attributes.get(CfaSiretKey) !== siret || attributes.get(TotalCentsKey) !== totalCents) {
    throw new Error(
      `Workflow ${proFormaWorkflowId(number)} already exists for another pro forma: the Temporal namespace and the ` +
        'database do not belong together (was one of them reset without the other?).',
    );
  }
}

/** Starts the workflows of rows whose start was lost (see generateProFormas). Returns the numbers started. */
export async function reconcileWorkflowStarts(deps: ProFormaClientDeps, olderThanMs = 30_000): Promise<string[]> {
  const stale = await deps.db
    .selectFrom('pro_formas')
    .select('number')
    .where('workflow_started_at', 'is', null)
    .where('created_at', '<', new Date(Date.now() - olderThanMs))
    .orderBy('created_at')
    .limit(500)
    .execute();
  for (const { number } of stale) await startProFormaWorkflow(deps, number);
  return stale.map((r) => r.number);
}
