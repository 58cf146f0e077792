import type { ProFormaState } from '../db/pro-forma-detail';
import type { Scope } from '../db/pro-forma-summary';
import { claimDepositedContent, releaseDepositClaim, releaseRefusedDeposit } from '../db/request-bindings';
import { depositInvoiceUpdate } from '../workflows/pro-forma.messages';
import type { User } from './auth';
import { workflowCalls, type ApiDeps } from './deps';
import { HttpError, isRefusedByWorkflow } from './errors';
import { acceptInvoiceFile, type UploadedFile } from './uploads';
import { digest, requestIdOf, updateProForma } from './workflow-calls';

/**
 * A deposit: the file is judged, stored (by SHA-256) before the workflow is told, then offered to the workflow, whose
 * validator has the last word. A refused deposit takes its file back, unless another deposit holds the same bytes.
 */
export async function depositInvoice(
  deps: ApiDeps,
  user: User,
  scope: Scope,
  state: ProFormaState,
  file: UploadedFile,
  keyHeader: string | undefined,
): Promise<void> {
  const accepted = await acceptInvoiceFile(file);
  const document = {
    sha256: accepted.sha256,
    fileName: accepted.fileName,
    mimeType: accepted.mimeType,
    size: accepted.size,
  };
  const calls = workflowCalls(deps);
  const requestId = await requestIdOf(calls, {
    action: 'deposit',
    number: state.number,
    userId: user.id,
    keyHeader,
    content: document,
    // Without a key, the same file sent again by the same user on the same version is the same deposit (a retry),
    // also when the first one was applied after an answer that did not say so (a deadline): that version is still
    // the latest, and still under validation.
    fallback: digest(user.id, accepted.sha256, depositedOn(state, user, accepted.sha256)),
  });
  const claim = await claimDepositedContent(deps.db, accepted.sha256, requestId);
  await deps.store.put(file.buffer);
  try {
    await updateProForma(calls, scope, state, 'DEPOSIT_INVOICE', depositInvoiceUpdate, {
      requestId,
      actor: { id: user.id, role: user.role },
      document,
    });
  } catch (error) {
    // Only a deposit that certainly changed nothing gives its file back: after a deadline, the workflow may have
    // taken it; the claim then stays, and keeps the file.
    if (certainlyNotApplied(error)) {
      const { sha256 } = accepted;
      // A failed clean-up leaves the claim, hence the file: the answer stays the refusal's.
      await releaseRefusedDeposit(deps.db, claim, sha256, () => deps.store.delete(sha256)).then(
        (removed) => deps.logger.info({ sha256, removed }, 'refused deposit: stored file released'),
        (cleanupError: unknown) => deps.logger.warn({ err: cleanupError, sha256 }, 'refused deposit: file kept'),
      );
    }
    throw error;
  }
  await releaseDepositClaim(deps.db, claim);
}

/** The version a deposit of `sha256` by `user` comes on top of: the one it made itself if it is being validated. */
function depositedOn(state: ProFormaState, user: User, sha256: string): number {
  const latest = state.latestDocument;
  const retried = latest?.sha256 === sha256 && latest.uploadedBy === user.id && state.status === 'UNDER_VALIDATION';
  return retried ? state.documentCount - 1 : state.documentCount;
}

/**
 * The workflow refused the update, or took none: the answers updateProForma builds itself (a closed or missing
 * workflow, a workflow whose task fails) all mean that the server admitted no update.
 */
function certainlyNotApplied(error: unknown): boolean {
  return isRefusedByWorkflow(error) || error instanceof HttpError;
}
