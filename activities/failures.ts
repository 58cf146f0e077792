import { ApplicationFailure } from '@temporalio/activity';
import { DomainError, failureOptions } from '../domain/errors';

/**
 * Runs a repository call and turns its DomainError into an ApplicationFailure typed with the error's code, so that
 * the workflows' `nonRetryableErrorTypes` (domain/errors.ts) apply: a missing pro forma is not retried.
 */
export async function withDomainFailures<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof DomainError) {
      throw ApplicationFailure.create(failureOptions(error));
    }
    throw error;
  }
}
