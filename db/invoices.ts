import type { DocumentVersion } from '../domain/deposit-rules';
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import type { ControlFacts, ControlResult } from '../domain/controls';
import { parisDate } from '../domain/dates';
import { DomainError } from '../domain/errors';
import type { ExtractionResult } from '../domain/reading';
import { proFormaIdByNumber } from './pro-formas';
import type { Database, DocumentMimeTypeCode } from './schema';
import { userIdOrNull } from './user-ids';

/**
 * The invoices deposited on a pro forma: their documents (one per version), readings and control results. Every
 * write is keyed (pro forma + version, document, document + control code) so that a retried activity adds nothing.
 */

export interface DepositRecord {
  key: string;
  number: string;
  requestId: string;
  document: DocumentVersion;
}

export async function documentIdByVersion(
  db: Kysely<Database> | Transaction<Database>,
  proFormaId: string,
  version: number,
): Promise<string> {
  const row = await db
    .selectFrom('documents')
    .select('id')
    .where('pro_forma_id', '=', proFormaId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw new DomainError('NOT_FOUND', `Version ${version} du document absente`);
  return row.id;
}

/**
 * What a version's reading or controls set on its pro forma, unless a newer version was deposited meanwhile (the
 * invoice workflow of a superseded version, cancelled too late, changes nothing).
 */
async function setForLatestVersion(
  trx: Transaction<Database>,
  proFormaId: string,
  version: number,
  values: Updateable<Database['pro_formas']>,
): Promise<void> {
  await trx
    .updateTable('pro_formas')
    .set(values)
    .where('id', '=', proFormaId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('documents').select('id').where('pro_forma_id', '=', proFormaId).where('version', '>', version),
        ),
      ),
    )
    .execute();
}

export function createInvoiceRepository(db: Kysely<Database>) {
  return {
    async recordDeposit(record: DepositRecord): Promise<void> {
      const id = await proFormaIdByNumber(db, record.number);
      const { document } = record;
      await db
        .insertInto('documents')
        .values({
          pro_forma_id: id,
          version: document.version,
          file_name: document.fileName,
          mime_type: document.mimeType as DocumentMimeTypeCode,
          size_bytes: document.size,
          sha256: document.sha256,
          storage_key: document.sha256,
          uploaded_by: userIdOrNull(document.uploadedBy),
          request_id: record.requestId,
          uploaded_at: document.uploadedAt,
        })
        .onConflict((oc) => oc.columns(['pro_forma_id', 'version']).doNothing())
        .execute();
    },

    /** The reading of one version and the invoice number it found on the pro forma, in one transaction. */
    async recordExtraction(input: { number: string; version: number; extraction: ExtractionResult }): Promise<void> {
      const { extraction } = input;
      await db.transaction().execute(async (trx) => {
        const id = await proFormaIdByNumber(trx, input.number);
        const docId = await documentIdByVersion(trx, id, input.version);
        await trx
          .insertInto('extractions')
          .values({
            document_id: docId,
            engine: extraction.engine,
            fields: JSON.stringify(extraction.fields),
            field_confidences: JSON.stringify(extraction.fieldConfidences),
            field_positions: extraction.fieldPositions ? JSON.stringify(extraction.fieldPositions) : null,
            confidence: extraction.confidence,
            page_count: extraction.pageCount,
            duration_ms: Math.round(extraction.durationMs),
            error: extraction.error ? `${extraction.error.code}: ${extraction.error.message}` : null,
          })
          .onConflict((oc) => oc.column('document_id').doNothing())
          .execute();
        await setForLatestVersion(trx, id, input.version, {
          invoice_number: extraction.fields.invoiceNumber,
          reading_engine: extraction.engine,
        });
      });
    },

    /**
     * The results of the controls of one version, and what needs a human on it (the pro forma's review codes). A
     * correction of the reading runs the controls again: its results replace the version's (same keys).
     */
    async recordControls(input: { number: string; version: number; results: ControlResult[] }): Promise<void> {
      if (input.results.length === 0) return;
      await db.transaction().execute(async (trx) => {
        const id = await proFormaIdByNumber(trx, input.number);
        const docId = await documentIdByVersion(trx, id, input.version);
        await trx
          .insertInto('control_results')
          .values(
            input.results.map((r) => ({
              document_id: docId,
              pro_forma_id: id,
              code: r.code,
              outcome: r.outcome,
              message: r.message,
              reason_code: r.reasonCode,
              evidence: r.evidence ? JSON.stringify(r.evidence) : null,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['document_id', 'code']).doUpdateSet((eb) => ({
              outcome: eb.ref('excluded.outcome'),
              message: eb.ref('excluded.message'),
              reason_code: eb.ref('excluded.reason_code'),
              evidence: eb.ref('excluded.evidence'),
            })),
          )
          .execute();
        await setForLatestVersion(trx, id, input.version, {
          review_codes: input.results.filter((r) => r.outcome !== 'PASSED').map((r) => r.code),
        });
      });
    },

    /**
     * The facts the controls check an invoice against: the pro forma and its CFA, the other live pro formas of the
     * CFA carrying the same invoice number, the pro formas the same file was deposited on, a mandate on the day.
     */
    async findControlFacts(input: {
      proFormaNumber: string;
      sha256: string;
      invoiceNumber: string | null;
      depositedAt: string;
    }): Promise<Omit<ControlFacts, 'invoice'>> {
      const proForma = await db
        .selectFrom('pro_formas as p')
        .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
        .select(['p.id', 'p.number', 'p.kind', 'p.total_cents', 'p.cfa_id', 'c.siret', 'c.iban'])
        .where('p.number', '=', input.proFormaNumber)
        .executeTakeFirst();
      if (!proForma) throw new DomainError('NOT_FOUND', `Pro forma ${input.proFormaNumber} inconnue.`);

      const depositDate = parisDate(new Date(input.depositedAt));
      const { invoiceNumber } = input;
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
          .select(['id', 'valid_from', 'valid_to'])
          .where('cfa_id', '=', proForma.cfa_id)
          .where('valid_from', '<=', depositDate)
          .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', depositDate)]))
          // Several may cover the day: the one that lasts longest, then the latest signed.
          .orderBy(sql`valid_to desc nulls first`)
          .orderBy('valid_from', 'desc')
          .orderBy('id')
          .executeTakeFirst(),
      ]);
      return {
        proForma: { number: proForma.number, kind: proForma.kind, totalCents: proForma.total_cents },
        cfa: { siret: proForma.siret, iban: proForma.iban },
        invoiceNumberUsedOn: usedOn.map((r) => r.number),
        sameDocumentOn: sameDocument.map((r) => r.number),
        mandate: mandate ? { id: mandate.id, validFrom: mandate.valid_from, validTo: mandate.valid_to } : null,
        mandateValid: mandate !== undefined,
        depositDate,
      };
    },
  };
}

export type InvoiceRepository = ReturnType<typeof createInvoiceRepository>;
