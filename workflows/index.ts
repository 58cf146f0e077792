// The worker's `workflowsPath`: re-exports the workflows, and only them.
export { proFormaWorkflow } from './pro-forma';
