import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { BankFile } from '../db/bank-files';
import type { BankFileReading } from '../extraction/bank-statement';
import { ChildLimitError, ChildPoolUnavailableError } from '../infra/child-pool';
import type { ApiDeps } from './deps';
import { HttpError } from './errors';

/**
 * The bank's answers (camt.054, pain.002), uploaded by an admin or dropped in the watched folder: stored first, read
 * in a reader process (deadline, memory cap; a file that does not parse is refused whole, in words), then applied by
 * its workflow (workflows/payment-runs.ts, bankFileWorkflow), whose id is the file's SHA-256: the same file twice is
 * the same workflow, applied once.
 */

/** A bank file's lines travel in its workflow's input: beyond this, the bank is asked for smaller files. */
export const MAX_BANK_FILE_LINES = 2_000;

/** What bankFileWorkflow answers. */
export interface BankFileResult {
  id: string;
  alreadyReceived: boolean;
  told: number;
  notTold: { number: string; kind: 'ISSUE' | 'CONFIRM' | 'REJECT'; message: string }[];
}

export interface ReceivedBankFile {
  bytes: Buffer;
  fileName: string;
  source: 'UPLOAD' | 'FOLDER';
  uploadedBy: string | null;
}

/** The bank file read in a reader process: a refusal (or a reader stopped at its limits) is a 422 in words. */
async function readBankFile(deps: Pick<ApiDeps, 'readers'>, bytes: Buffer): Promise<BankFile> {
  let reading: BankFileReading;
  try {
    reading = (await deps.readers.run('readBankFile', { bytes })).value;
  } catch (error) {
    if (error instanceof ChildLimitError) {
      throw new HttpError(422, 'BANK_FILE_INVALID', 'Le fichier bancaire n’a pas pu être lu dans les limites.', {
        limit: error.limit,
      });
    }
    if (error instanceof ChildPoolUnavailableError) {
      throw new HttpError(503, 'READER_UNAVAILABLE', 'La lecture des fichiers est momentanément indisponible.');
    }
    throw error;
  }
  if (!reading.ok) throw new HttpError(422, 'BANK_FILE_INVALID', `Fichier bancaire illisible : ${reading.message}`);
  if (reading.file.lines.length > MAX_BANK_FILE_LINES) {
    throw new HttpError(
      422,
      'BANK_FILE_INVALID',
      `Le fichier compte ${reading.file.lines.length} lignes : au plus ${MAX_BANK_FILE_LINES} par fichier.`,
      { maxLines: MAX_BANK_FILE_LINES },
    );
  }
  return reading.file;
}

/**
 * Stores, reads and hands the file to its workflow; `again`: the same bytes were received before (their workflow's
 * answer stands, nothing is applied twice).
 */
export async function receiveBankFile(
  deps: Pick<ApiDeps, 'store' | 'readers' | 'temporal' | 'config'>,
  received: ReceivedBankFile,
): Promise<{ handle: WorkflowHandle; again: boolean }> {
  const stored = await deps.store.put(received.bytes);
  const file = await readBankFile(deps, received.bytes);
  const workflowId = `bank-file-${stored.sha256}`;
  const { fileName, source, uploadedBy } = received;
  try {
    const handle = await deps.temporal.workflow.start('bankFileWorkflow', {
      workflowId,
      taskQueue: deps.config.temporal.taskQueue,
      args: [{ sha256: stored.sha256, fileName, source, uploadedBy, file }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Fichier bancaire ${fileName} (${file.kind})`,
    });
    return { handle, again: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { handle: deps.temporal.workflow.getHandle(workflowId), again: true };
  }
}
