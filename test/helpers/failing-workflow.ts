/**
 * The workflow of a bad deployment: its code throws an error that is not a Temporal failure, so the worker fails
 * its workflow task instead of the workflow, and the server retries the task forever. Meanwhile the server refuses
 * updates and queries with FAILED_PRECONDITION (test/api/temporal-errors.test.ts).
 */
export const FAILURE_MESSAGE = 'deliberate workflow task failure';

export async function failingTaskWorkflow(): Promise<void> {
  throw new Error(FAILURE_MESSAGE);
}
