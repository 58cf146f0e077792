import type { Kysely } from 'kysely';
import { createInvoiceRepository } from '../db/invoices';
import type { Database } from '../db/schema';
import {
  controlVerdict,
  runControls,
  type ControlResult,
  type ControlVerdict,
  type ReadInvoice,
} from '../domain/controls';
import { withDomainFailures } from './failures';

export interface RunControlsInput {
  proFormaNumber: string;
  /** SHA-256 of the deposited file being controlled. */
  sha256: string;
  extraction: ReadInvoice;
  /** ISO instant of the deposit. */
  depositedAt: string;
}

export interface ControlsOutcome {
  results: ControlResult[];
  verdict: ControlVerdict;
}

/** Gathers the facts the controls need from the database, then applies the pure rules of domain/controls.ts. */
export function createControlActivities({ db }: { db: Kysely<Database> }) {
  const invoices = createInvoiceRepository(db);
  return {
    async runControls(input: RunControlsInput): Promise<ControlsOutcome> {
      const facts = await withDomainFailures(
        invoices.findControlFacts({
          proFormaNumber: input.proFormaNumber,
          sha256: input.sha256,
          invoiceNumber: input.extraction.fields.invoiceNumber,
          depositedAt: input.depositedAt,
        }),
      );
      const results = runControls({ ...facts, invoice: input.extraction });
      return { results, verdict: controlVerdict(results) };
    },
  };
}
