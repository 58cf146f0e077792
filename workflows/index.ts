// The worker's `workflowsPath`: re-exports the workflows, and only them.
export { invoiceWorkflow } from './invoice';
export { proFormaWorkflow } from './pro-forma';
export { referenceAlertWorkflow } from './reference-alerts';
export { mandateExpiryWorkflow } from './mandate-expiry';
export { invitationWorkflow } from './invitations';
export { paymentRunWorkflow, bankFileWorkflow } from './payment-runs';
