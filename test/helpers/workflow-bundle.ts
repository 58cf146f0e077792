import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const silentLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The service's workflow code, bundled by webpack as the worker bundles it (seconds of CPU). */
export function bundleTestWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: silentLogger });
}
