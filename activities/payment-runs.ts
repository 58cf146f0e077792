import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { applyBankFile, type BankFileInput, type BankFileOutcome, type PaymentNotice } from '../db/bank-files';
import { createPaymentRun, type RunOutcome } from '../db/payment-runs';
import type { Database } from '../db/schema';
import { writeCreditTransferFile } from '../documents/sepa-credit-transfer';
import { parisDate } from '../domain/dates';
import { executionDateAfter, type RunGrouping } from '../domain/payment-run';
import type { Config } from '../infra/config';
import type { DocumentStore } from '../infra/storage';
import {
  confirmPaymentUpdate,
  paymentIssuedUpdate,
  paymentRejectedUpdate,
  proFormaWorkflowId,
  SYSTEM,
} from '../workflows/pro-forma.messages';

/** How the service runs its payment runs (infra/config.ts, `paymentRuns` and `funder`). */
export interface PaymentRunSettings {
  grouping: RunGrouping;
  cutoffMs: number;
  debtor: { name: string; iban: string; bic: string };
}

export function paymentRunSettings(config: Pick<Config, 'paymentRuns' | 'funder'>): PaymentRunSettings {
  const { name, iban, bic } = config.funder;
  return { grouping: config.paymentRuns.grouping, cutoffMs: config.paymentRuns.cutoffMs, debtor: { name, iban, bic } };
}

export interface PaymentRunActivityDeps {
  db: Kysely<Database>;
  store: Pick<DocumentStore, 'put'>;
  /** Tells the pro formas' workflows (Updates): the run's activity is their client. */
  client: Client;
  settings: PaymentRunSettings;
}

export interface RunInput {
  trigger: 'SCHEDULE' | 'MANUAL';
  requestedBy: string | null;
  /** Overrides the configured grouping (an admin's run). */
  grouping?: RunGrouping;
}

/** What a pro forma's workflow is told by a run or by the bank's answer. */
export type ProFormaNotice =
  PaymentNotice | { kind: 'ISSUE'; number: string; requestId: string; runNumber: string; endToEndId: string };

export interface TellOutcome {
  told: number;
  /** Pro formas whose workflow refused the notice (moved meanwhile, e.g. confirmed by hand): reported, not retried. */
  refused: { number: string; kind: ProFormaNotice['kind']; message: string }[];
}

/** Notices of a run: each pro forma in a transfer is issued; a transfer of 0 (compensation) is paid at once. */
export function runNotices(run: RunOutcome, at: Date): ProFormaNotice[] {
  return run.payments.flatMap((p): ProFormaNotice[] => {
    const issue: ProFormaNotice = {
      kind: 'ISSUE',
      number: p.number,
      requestId: `${run.number}:${p.number}:issued`,
      runNumber: run.number,
      endToEndId: p.endToEndId,
    };
    if (!p.compensated) return [issue];
    const paid: ProFormaNotice = {
      kind: 'CONFIRM',
      number: p.number,
      requestId: `${run.number}:${p.number}:compensated`,
      paidAt: at.toISOString(),
      reference: p.endToEndId,
    };
    return [issue, paid];
  });
}

/**
 * The payment runs' activities (main queue): the run itself (one transaction, db/payment-runs.ts), the telling of
 * each pro forma's workflow, and the bank's answer applied (db/bank-files.ts).
 */
export function createPaymentRunActivities(deps: PaymentRunActivityDeps) {
  return {
    /** Makes the run (found again when retried: its key is the workflow's id). */
    async makePaymentRun(input: RunInput): Promise<{ run: RunOutcome; notices: ProFormaNotice[] }> {
      const { info } = Context.current();
      const now = new Date();
      const run = await createPaymentRun(
        deps.db,
        {
          requestKey: info.workflowExecution?.workflowId ?? info.activityId,
          trigger: input.trigger,
          requestedBy: input.requestedBy,
          grouping: input.grouping ?? deps.settings.grouping,
          cutoff: new Date(now.getTime() - deps.settings.cutoffMs),
          now,
          executionDate: executionDateAfter(parisDate(now)),
          debtor: deps.settings.debtor,
        },
        { writeFile: (content) => writeCreditTransferFile(content, deps.store) },
      );
      return { run, notices: runNotices(run, now) };
    },

    /**
     * Tells each pro forma's workflow, one Update each (its id makes a repeated one harmless). A workflow that
     * refuses (it moved meanwhile) or is gone is reported; any other failure fails the attempt, to be retried.
     */
    async tellProFormas(input: { notices: ProFormaNotice[] }): Promise<TellOutcome> {
      const context = Context.current();
      const outcome: TellOutcome = { told: 0, refused: [] };
      for (const [index, notice] of input.notices.entries()) {
        context.heartbeat(index);
        const handle = deps.client.workflow.getHandle(proFormaWorkflowId(notice.number));
        const options = { updateId: notice.requestId };
        const base = { requestId: notice.requestId, actor: SYSTEM };
        try {
          if (notice.kind === 'ISSUE') {
            const { runNumber, endToEndId } = notice;
            await handle.executeUpdate(paymentIssuedUpdate, { ...options, args: [{ ...base, runNumber, endToEndId }] });
          } else if (notice.kind === 'CONFIRM') {
            const { paidAt, reference } = notice;
            const args = [{ ...base, paidAt, ...(reference !== null && { reference }) }] as const;
            await handle.executeUpdate(confirmPaymentUpdate, { ...options, args: [...args] });
          } else {
            const { endToEndId, reason } = notice;
            await handle.executeUpdate(paymentRejectedUpdate, { ...options, args: [{ ...base, endToEndId, reason }] });
          }
          outcome.told++;
        } catch (error) {
          if (!(error instanceof WorkflowUpdateFailedError) && !(error instanceof WorkflowNotFoundError)) throw error;
          const message = error instanceof WorkflowUpdateFailedError ? String(error.cause?.message) : error.message;
          context.log.warn('pro forma not told', { number: notice.number, kind: notice.kind, message });
          outcome.refused.push({ number: notice.number, kind: notice.kind, message });
        }
      }
      return outcome;
    },

    /** Applies a bank file already read (the reader processes parsed it); the same file twice is applied once. */
    async applyBankFile(input: Omit<BankFileInput, 'now'>): Promise<BankFileOutcome> {
      return applyBankFile(deps.db, { ...input, now: new Date() });
    },
  };
}

export type PaymentRunActivities = ReturnType<typeof createPaymentRunActivities>;
