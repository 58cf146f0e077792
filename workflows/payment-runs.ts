import { log, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProFormaNotice, RunInput, TellOutcome } from '../activities/payment-runs';
import type { BankFileInput, BankFileLineView } from '../db/bank-files';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import { formatEuros } from '../domain/money';
import { mail } from './activity-options';

/**
 * The payment runs (issue 14). A run — started by the Schedule `payment-runs` (every working day at 10:00
 * Europe/Paris by default) or by an admin — makes the run in one transaction (netting, SEPA file checked against the
 * EPC schema, stored, recorded), then tells each pro forma in a transfer that its payment is issued (a transfer of 0,
 * the credit notes covering the invoices, pays them at once). The bank's answer (a camt.054 or pain.002, read by the
 * API's reader processes) is applied in one transaction, then each pro forma is told it is paid or that its transfer
 * was rejected, and the admins who run the payments are alerted of rejections.
 */

/** A run's transaction writes and checks a file of thousands of transfers; a bank file's is as long. */
const applying = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumInterval: '1 minute', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

/** Telling thousands of workflows takes a while: the activity heartbeats at each one. */
const telling = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumInterval: '1 minute', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

export interface PaymentRunResult {
  number: string;
  transferCount: number;
  totalCents: number;
  fileSha256: string | null;
  excluded: { cfaId: string; reason: string; detail: string; numbers: string[] }[];
  told: number;
  notTold: TellOutcome['refused'];
}

export async function paymentRunWorkflow(input: RunInput): Promise<PaymentRunResult> {
  const { run, notices } = await applying.makePaymentRun(input);
  setCurrentDetails(
    `**${run.number}** · ${run.transferCount} virement(s) · ${formatEuros(run.totalCents)}` +
      (run.excluded.length > 0 ? `\n\n${run.excluded.length} CFA écarté(s)` : ''),
  );
  log.info('payment run made', { number: run.number, transfers: run.transferCount, pro_formas: notices.length });
  const told = await tell(notices);
  return {
    number: run.number,
    transferCount: run.transferCount,
    totalCents: run.totalCents,
    fileSha256: run.fileSha256,
    excluded: run.excluded,
    told: told.told,
    notTold: told.refused,
  };
}

export type BankFileWorkflowInput = Omit<BankFileInput, 'now'>;

export interface BankFileResult {
  id: string;
  alreadyReceived: boolean;
  appliedCount: number;
  reportedCount: number;
  lines: BankFileLineView[];
  told: number;
  notTold: TellOutcome['refused'];
}

export async function bankFileWorkflow(input: BankFileWorkflowInput): Promise<BankFileResult> {
  const outcome = await applying.applyBankFile(input);
  setCurrentDetails(
    `**${input.fileName}** (${input.file.kind}) · ${outcome.appliedCount} ligne(s) appliquée(s), ` +
      `${outcome.reportedCount} signalée(s)`,
  );
  const told = await tell(outcome.notices);
  // An alert that cannot be sent is logged (and recorded by its activity): the file is applied all the same.
  if (outcome.rejections.length > 0) {
    await mail
      .alertPaymentManagers({
        key: workflowInfo().workflowId,
        data: {
          fileName: input.fileName,
          rejections: outcome.rejections.map(({ cfaName, endToEndId, reason, numbers }) => ({
            cfaName,
            endToEndId,
            reason,
            numbers,
          })),
        },
      })
      .catch((error: unknown) => log.warn('rejections not alerted', { file: input.fileName, error: String(error) }));
  }
  return {
    id: outcome.id,
    alreadyReceived: outcome.alreadyReceived,
    appliedCount: outcome.appliedCount,
    reportedCount: outcome.reportedCount,
    lines: outcome.lines,
    told: told.told,
    notTold: told.refused,
  };
}

async function tell(notices: ProFormaNotice[]): Promise<TellOutcome> {
  if (notices.length === 0) return { told: 0, refused: [] };
  return telling.tellProFormas({ notices });
}
