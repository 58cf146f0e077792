import crypto from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/** The run's shared dev server (test/helpers/global-setup.ts). */
export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address)
    throw new Error('TEMPORAL_TEST_ADDRESS is unset: run the tests through jest (globalSetup starts Temporal)');
  return address;
}

export function connectTestEnvironment(address = testTemporalAddress()): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' });
}

/** A task queue no other test file polls. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}
