import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { createGenerationRepository, type EligibleFilters, type EligibleInstallmentView } from '../db/generation';
import type { Database } from '../db/schema';
import { costNatureLabel, type CostNature, type SettlementMode } from '../domain/cost-nature';
import { parisDate } from '../domain/dates';
import { formatEuros } from '../domain/money';
import { planSelection, recap, type SelectionRecap } from '../domain/pro-forma';
import { statusLabel } from '../domain/process';
import type { Config } from '../infra/config';
import {
  proFormaWorkflowId,
  type ProFormaWorkflow,
  type ProFormaWorkflowInput,
  type Timings,
  type DeskPolicy,
} from '../workflows/pro-forma.messages';
import {
  CfaSiretKey,
  CostNatureKey,
  ProFormaNumberKey,
  ProFormaStatusKey,
  TotalCentsKey,
} from '../workflows/search-attributes';

/**
 * The generation of pro formas: the selection's rule (domain/pro-forma.ts), the reservation of its rows (db/), the
 * start of each pro forma's workflow, and the reconciliation of starts that were lost.
 */

export interface GenerationDeps {
  db: Kysely<Database>;
  client: Client;
  config: Pick<Config, 'temporal' | 'timings' | 'desk'>;
  /** Test knobs (durations in seconds, forced continue-as-new). */
  workflowOverrides?: Partial<Pick<ProFormaWorkflowInput, 'continueAsNewAfterEvents'>> & {
    timings?: Partial<Timings>;
    desk?: Partial<DeskPolicy>;
  };
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

/** The installments a CFA may bill now in a cost nature, filtered as in « Mes contrats », with the recap. */
export async function listEligibleInstallments(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  filters: EligibleFilters,
  now: Date = new Date(),
): Promise<{ items: EligibleInstallmentView[]; recap: SelectionRecap }> {
  const items = await createGenerationRepository(db).listEligible(cfaId, nature, filters, parisDate(now));
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
export async function generateProFormas(deps: GenerationDeps, input: GenerateInput): Promise<GeneratedProForma[]> {
  const reserved = await createGenerationRepository(deps.db).reserve({
    cfaId: input.cfaId,
    nature: input.nature,
    today: parisDate(input.now ?? new Date()),
    actor: input.actor,
    workflowIdOf: proFormaWorkflowId,
    plan: (eligible, cfa) => planSelection(eligible, input, cfa.creditNoteSettlement),
  });
  const created = reserved.map((row): GeneratedProForma => ({
    id: row.id,
    number: row.number,
    kind: row.kind,
    nature: row.nature,
    totalCents: row.totalCents,
    lineCount: row.lineCount,
    status: 'AWAITING_INVOICE',
    statusLabel: statusLabel('AWAITING_INVOICE', row.kind),
    settlementMode: row.settlementMode,
    createdAt: row.createdAt,
  }));
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
export async function startProFormaWorkflow(deps: GenerationDeps, number: string): Promise<void> {
  const { proForma, cfa } = await createGenerationRepository(deps.db).proFormaToStart(number);
  const { temporal, timings, desk } = deps.config;
  const input: ProFormaWorkflowInput = {
    proForma,
    cfa,
    ocrTaskQueue: temporal.ocrTaskQueue,
    timings: { ...timings, ...deps.workflowOverrides?.timings },
    desk: {
      claimTtlMs: desk.claimTtlMs,
      fourEyesAboveCents: desk.fourEyesAboveCentsByNature[proForma.nature] ?? desk.fourEyesAboveCents,
      samplingRate: desk.samplingRate,
      ...deps.workflowOverrides?.desk,
    },
    continueAsNewAfterEvents: deps.workflowOverrides?.continueAsNewAfterEvents,
  };
  try {
    // By name, with the type only: the API process never loads the workflow body.
    await deps.client.workflow.start<ProFormaWorkflow>('proFormaWorkflow', {
      workflowId: proFormaWorkflowId(proForma.number),
      taskQueue: temporal.taskQueue,
      args: [input],
      // Business keys only: no personal data (apprentice names) in visibility.
      typedSearchAttributes: [
        { key: ProFormaNumberKey, value: proForma.number },
        { key: ProFormaStatusKey, value: 'AWAITING_INVOICE' },
        { key: CfaSiretKey, value: cfa.siret },
        { key: CostNatureKey, value: proForma.nature },
        { key: TotalCentsKey, value: proForma.totalCents },
      ],
      memo: { cfaName: cfa.name, totalCents: proForma.totalCents },
      staticSummary: `${proForma.number} · ${cfa.name} · ${formatEuros(proForma.totalCents)} · ${costNatureLabel(proForma.nature)}`,
      // A pro forma number is never reused, so neither is its workflow id, even once the workflow has closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    await assertSameProForma(deps, proForma.number, cfa.siret, proForma.totalCents);
  }
}

/**
 * "Already started" is expected when a start is retried. But a workflow with this id that belongs to another pro
 * forma means the Temporal namespace holds history from another database (one was reset, not the other): talking
 * to that workflow would act on the wrong pro forma, so stop loudly.
 */
async function assertSameProForma(deps: GenerationDeps, number: string, siret: string, totalCents: number) {
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
export async function reconcileWorkflowStarts(deps: GenerationDeps, olderThanMs = 30_000): Promise<string[]> {
  const stale = await createGenerationRepository(deps.db).unstartedProFormas(new Date(Date.now() - olderThanMs), 500);
  for (const number of stale) await startProFormaWorkflow(deps, number);
  return stale;
}
