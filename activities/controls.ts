import type { Kysely } from 'kysely';
import {
  controlVerdict,
  runControls,
  type ControlResult,
  type ControlVerdict,
  type ReadInvoice,
} from '../domain/controls';
import { parisDate } from '../domain/dates';
import { DomainError } from '../domain/errors';
import type { Database } from '../db/schema';

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
  return {
    async runControls(input: RunControlsInput): Promise<ControlsOutcome> {
      const proForma = await db
        .selectFrom('pro_formas as p')
        .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
        .select(['p.id', 'p.number', 'p.kind', 'p.total_cents', 'p.cfa_id', 'c.siret', 'c.iban'])
        .where('p.number', '=', input.proFormaNumber)
        .executeTakeFirst();
      if (!proForma) throw new DomainError('NOT_FOUND', `Pro forma ${input.proFormaNumber} inconnue.`);

      const depositDate = parisDate(new Date(input.depositedAt));
      const invoiceNumber = input.extraction.fields.invoiceNumber;
      const [usedOn, sameDocument, mandate] = await Promise.all([
        invoiceNumber === null
          ? Promise.resolve([])
          : db
              .selectFrom('pro_formas')
              .select('number')
              .where('cfa_id', '=', proForma.cfa_id)
              .where('id', '!=', proForma.id)
              .where('status', '!=', 'CANCELLED')
              .where('invoice_number', '=', invoiceNumber)
              .orderBy('number')
              .execute(),
        db
          .selectFrom('documents as d')
          .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
          .select('p.number')
          .distinct()
          .where('d.sha256', '=', input.sha256)
          .where('p.id', '!=', proForma.id)
          .orderBy('p.number')
          .execute(),
        db
          .selectFrom('mandates')
          .select('id')
          .where('cfa_id', '=', proForma.cfa_id)
          .where('valid_from', '<=', depositDate)
          .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', depositDate)]))
          .executeTakeFirst(),
      ]);

      const results = runControls({
        proForma: { number: proForma.number, kind: proForma.kind, totalCents: proForma.total_cents },
        cfa: { siret: proForma.siret, iban: proForma.iban },
        invoice: input.extraction,
        invoiceNumberUsedOn: usedOn.map((r) => r.number),
        sameDocumentOn: sameDocument.map((r) => r.number),
        mandateValid: mandate !== undefined,
        depositDate,
      });
      return { results, verdict: controlVerdict(results) };
    },
  };
}
