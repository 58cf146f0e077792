import type { Kysely } from 'kysely';
import { createCorrectionRepository, type CorrectionRecord } from '../db/corrections';
import { createDecisionRepository, type DecisionRecord, type RefusalReason } from '../db/decisions';
import { createInvoiceRepository, type DepositRecord } from '../db/invoices';
import { createProFormaRepository, type ClaimRecord, type TransitionRecord } from '../db/pro-formas';
import type { Database } from '../db/schema';
import type { ControlResult } from '../domain/controls';
import { assertRefusalReason } from '../domain/decisions';
import type { ExtractionResult } from '../extraction/types';
import { withDomainFailures } from './failures';

export type { ClaimRecord, CorrectionRecord, DecisionRecord, DepositRecord, RefusalReason, TransitionRecord };

/**
 * The PostgreSQL read model of the pro forma workflows. Every write is idempotent (db/ keys it by workflow id +
 * step): a retried activity finds its key (audit event, document version, decision) already there and changes
 * nothing; a status change and its audit row are one transaction.
 */
export function createReadModelActivities({ db }: { db: Kysely<Database> }) {
  const proFormas = createProFormaRepository(db);
  const invoices = createInvoiceRepository(db);
  const decisions = createDecisionRepository(db);
  const corrections = createCorrectionRepository(db);
  return {
    /** The workflow exists: the generation's reconciliation no longer needs to start it. */
    async recordWorkflowStarted({ number }: { number: string }): Promise<void> {
      await proFormas.recordWorkflowStarted(number);
    },

    async recordTransition(record: TransitionRecord): Promise<void> {
      await withDomainFailures(proFormas.recordTransition(record));
    },

    async recordDeposit(record: DepositRecord): Promise<void> {
      await withDomainFailures(invoices.recordDeposit(record));
    },

    async recordExtraction(input: { number: string; version: number; extraction: ExtractionResult }): Promise<void> {
      await withDomainFailures(invoices.recordExtraction(input));
    },

    async recordControls(input: { number: string; version: number; results: ControlResult[] }): Promise<void> {
      await withDomainFailures(invoices.recordControls(input));
    },

    /** Fails (not retried) with UNKNOWN_REFUSAL_REASON for a code that is not an active reason of the catalogue. */
    async loadRefusalReason(code: string): Promise<RefusalReason> {
      const found = decisions.findRefusalReason(code).then((reason) => {
        assertRefusalReason(code, reason !== undefined);
        return reason as RefusalReason;
      });
      return withDomainFailures(found);
    },

    async recordDecision(record: DecisionRecord): Promise<void> {
      await withDomainFailures(decisions.recordDecision(record));
    },

    async recordClaim(record: ClaimRecord): Promise<void> {
      await withDomainFailures(proFormas.recordClaim(record));
    },

    async recordCorrection(record: CorrectionRecord): Promise<void> {
      await withDomainFailures(corrections.recordCorrection(record));
    },
  };
}
