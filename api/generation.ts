import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import {
  createGenerationRepository,
  type EligibleFilters,
  type EligibleInstallmentView,
  type EligiblePageRequest,
  type ExclusionReason,
  type PlannedReservation,
} from '../db/generation';
import type { Database } from '../db/schema';
import { costNatureLabel, type CostNature, type SettlementMode } from '../domain/cost-nature';
import { parisDate } from '../domain/dates';
import { formatEuros, formatIntegerFrench } from '../domain/money';
import { DomainError } from '../domain/errors';
import { planSelection, recap, type BillableInstallment, type SelectionRecap } from '../domain/pro-forma';
import { statusLabel } from '../domain/process';
import type { Config } from '../infra/config';
import { HttpError } from './errors';
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
  /** The preview's token: when the selection's state changed since, nothing is created (409 PREVIEW_OUTDATED). */
  previewToken?: string;
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

/**
 * A page of the installments a CFA may bill now in a cost nature, filtered as in « Mes contrats », with the total and
 * the recap of the whole filtered selection.
 */
export async function listEligibleInstallments(
  db: Kysely<Database>,
  cfaId: string,
  nature: CostNature,
  filters: EligibleFilters,
  page: EligiblePageRequest,
  now: Date = new Date(),
): Promise<{ items: EligibleInstallmentView[]; total: number; page: number; pageSize: number; recap: SelectionRecap }> {
  const found = await createGenerationRepository(db).listEligible(cfaId, nature, filters, parisDate(now), page);
  const invoiceCents = exactCents(found.recap.invoice_cents, found.recap.count);
  const creditCents = exactCents(found.recap.credit_cents, found.recap.count);
  return {
    items: found.items,
    total: found.recap.count,
    page: page.page,
    pageSize: page.pageSize,
    recap: {
      count: found.recap.count,
      invoiceCents,
      creditCents,
      totalCents: exactCents(
        String(BigInt(found.recap.invoice_cents) + BigInt(found.recap.credit_cents)),
        found.recap.count,
      ),
    },
  };
}

/** A sum SQL computed exactly, as a number of cents; beyond what a number holds exactly, the 422 of sumCents. */
function exactCents(text: string, count: number): number {
  const total = BigInt(text);
  if (total > BigInt(Number.MAX_SAFE_INTEGER) || total < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DomainError(
      'AMOUNT_OUT_OF_RANGE',
      `Le total des ${formatIntegerFrench(count)} échéances dépasse ${formatEuros(Number.MAX_SAFE_INTEGER)} : ` +
        'réduisez la sélection.',
      { count, totalCents: text },
    );
  }
  return Number(total);
}

// ---- The plan of a selection: one function for the generation and its preview -------------------------------------

export interface SelectionInput {
  cfaId: string;
  nature: CostNature;
  installmentIds?: readonly string[];
  settlementMode?: SettlementMode;
}

/**
 * The state a selection's outcome depends on, hashed: the normalized selection, the CFA's default settlement and, for
 * each installment considered (every eligible one without ids; each selected one otherwise), its id, its amount and
 * whether it is eligible. Equal tokens: generating now creates what the preview showed.
 */
export function previewTokenOf(
  selection: SelectionInput,
  basis: { cfa: { creditNoteSettlement: SettlementMode }; eligible: readonly BillableInstallment[] },
): string {
  const eligible = new Map(basis.eligible.map((i) => [i.id, i.amountCents]));
  const considered = selection.installmentIds
    ? [...selection.installmentIds].sort().map((id) => `${id}:${eligible.get(id) ?? '-'}`)
    : basis.eligible.map((i) => `${i.id}:${i.amountCents}`).sort();
  const state = JSON.stringify({
    v: 1,
    cfa: selection.cfaId,
    nature: selection.nature,
    settlementMode: selection.settlementMode ?? null,
    creditNoteSettlement: basis.cfa.creditNoteSettlement,
    all: selection.installmentIds === undefined,
    considered,
  });
  return `pv1.${crypto.createHash('sha256').update(state).digest('base64url')}`;
}

/**
 * What a selection makes out of the eligible installments: the plan generation reserves and the preview shows (the
 * one place it is written); refuses a selection generation would refuse, and, with a preview's token, a selection
 * whose state changed since the preview.
 */
export function planGeneration(
  selection: SelectionInput & { previewToken?: string },
  basis: { cfa: { creditNoteSettlement: SettlementMode }; eligible: readonly BillableInstallment[] },
): PlannedReservation[] {
  if (selection.previewToken !== undefined && previewTokenOf(selection, basis) !== selection.previewToken) {
    throw new HttpError(
      409,
      'PREVIEW_OUTDATED',
      'La sélection a changé depuis le récapitulatif (une échéance facturée par ailleurs, un montant modifié, une ' +
        'échéance libérée…) : rien n’a été généré, affichez de nouveau le récapitulatif.',
    );
  }
  return planSelection(basis.eligible, selection, basis.cfa.creditNoteSettlement);
}

export const EXCLUSION_LABELS: Record<ExclusionReason, string> = {
  NOT_SELECTED: 'Échéance éligible non sélectionnée',
  UNKNOWN: 'Échéance inconnue',
  OTHER_CFA: 'Échéance d’un autre CFA',
  OTHER_NATURE: 'Échéance d’une autre nature de coûts',
  NOT_STARTED: 'Période non commencée',
  ALREADY_BILLED: 'Échéance déjà dans une pro forma',
};

export interface GenerationPreview {
  nature: CostNature;
  included: { count: number };
  excluded: {
    count: number;
    byReason: { reason: ExclusionReason; label: string; count: number }[];
    /** The selected installments left out (the eligible ones not selected are only counted). */
    items: { installmentId: string; reason: ExclusionReason; label: string }[];
  };
  recap: SelectionRecap;
  proFormas: {
    kind: 'INVOICE' | 'CREDIT_NOTE';
    nature: CostNature;
    totalCents: number;
    lineCount: number;
    settlementMode: SettlementMode | null;
  }[];
  /** Whether generating this selection now succeeds; otherwise `blocking` is what it would answer. */
  generable: boolean;
  blocking: { code: string; message: string } | null;
  previewToken: string;
}

/** What generating the selection would create now (the same plan), without creating anything. */
export async function previewGeneration(
  db: Kysely<Database>,
  selection: SelectionInput,
  now: Date = new Date(),
): Promise<GenerationPreview> {
  const repository = createGenerationRepository(db);
  const today = parisDate(now);
  const basis = await repository.selectionBasis(selection.cfaId, selection.nature, today);
  const eligibleIds = new Set(basis.eligible.map((i) => i.id));
  const wanted = selection.installmentIds ? new Set(selection.installmentIds) : null;
  const included = wanted ? basis.eligible.filter((i) => wanted.has(i.id)) : basis.eligible;
  const notSelected = wanted ? basis.eligible.length - included.length : 0;
  const missing = selection.installmentIds?.filter((id) => !eligibleIds.has(id)) ?? [];
  const exclusions = await repository.exclusions(selection.cfaId, selection.nature, today, missing);

  let planned: PlannedReservation[] = [];
  let blocking: GenerationPreview['blocking'] = null;
  try {
    planned = planGeneration(selection, basis);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    blocking = { code: error.code, message: error.message };
    // What the selection's eligible part would make, shown beside what blocks it.
    if (included.length > 0 && missing.length > 0) {
      try {
        planned = planGeneration({ ...selection, installmentIds: included.map((i) => i.id) }, basis);
      } catch (inner) {
        if (!(inner instanceof DomainError)) throw inner;
      }
    }
  }
  const counts = new Map<ExclusionReason, number>();
  if (notSelected > 0) counts.set('NOT_SELECTED', notSelected);
  for (const e of exclusions) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
  return {
    nature: selection.nature,
    included: { count: included.length },
    excluded: {
      count: notSelected + exclusions.length,
      byReason: [...counts].map(([reason, count]) => ({ reason, label: EXCLUSION_LABELS[reason], count })),
      items: exclusions.map((e) => ({ installmentId: e.id, reason: e.reason, label: EXCLUSION_LABELS[e.reason] })),
    },
    recap: recap(included),
    proFormas: planned.map((p) => ({
      kind: p.kind,
      nature: selection.nature,
      totalCents: p.totalCents,
      lineCount: p.lines.length,
      settlementMode: p.settlementMode,
    })),
    generable: blocking === null,
    blocking,
    previewToken: previewTokenOf(selection, basis),
  };
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
    plan: (eligible, cfa) => planGeneration(input, { eligible, cfa }),
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
