import { ApplicationFailure } from '@temporalio/activity';
import type { Kysely, Transaction } from 'kysely';
import type { ControlResult } from '../domain/controls';
import type { ProFormaStage, ProFormaStatus } from '../domain/status';
import type { Database, DocumentMimeTypeCode } from '../db/schema';
import type { ExtractionResult } from '../extraction/types';

/**
 * The PostgreSQL read model of the pro forma workflows. Every write is idempotent: a retried activity finds its
 * key (audit event, document version, decision) already there and changes nothing; a status change and its audit
 * row are one transaction.
 */

export interface TransitionRecord {
  /** Idempotency key: workflow id + step. */
  key: string;
  number: string;
  from: ProFormaStatus;
  to: ProFormaStatus;
  stage: ProFormaStage | null;
  action: string;
  actor: string;
  at: string;
  set?: {
    depositedAt?: string;
    decidedAt?: string;
    validatedAt?: string;
    refusedAt?: string;
    paidAt?: string;
    cancelledAt?: string;
    refusalOrigin?: 'AUTOMATIC' | 'MANUAL';
  };
}

export interface DepositRecord {
  key: string;
  number: string;
  requestId: string;
  document: {
    version: number;
    sha256: string;
    fileName: string;
    mimeType: string;
    size: number;
    uploadedAt: string;
    uploadedBy: string;
  };
}

export interface DecisionRecord {
  key: string;
  number: string;
  version: number;
  origin: 'AUTOMATIC' | 'MANUAL';
  decision: 'APPROVE' | 'REFUSE';
  reasonCode: string | null;
  comment: string | null;
  letter: string | null;
  actor: string;
  at: string;
}

export interface RefusalReason {
  code: string;
  label: string;
  letter: string;
}

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function proFormaId(db: Kysely<Database> | Transaction<Database>, number: string): Promise<string> {
  const row = await db.selectFrom('pro_formas').select('id').where('number', '=', number).executeTakeFirst();
  if (!row) throw ApplicationFailure.nonRetryable(`Pro forma ${number} absente de la base`, 'NOT_FOUND');
  return row.id;
}

async function documentId(db: Kysely<Database> | Transaction<Database>, proFormaId: string, version: number) {
  const row = await db
    .selectFrom('documents')
    .select('id')
    .where('pro_forma_id', '=', proFormaId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw ApplicationFailure.nonRetryable(`Version ${version} du document absente`, 'NOT_FOUND');
  return row.id;
}

export function createReadModelActivities({ db }: { db: Kysely<Database> }) {
  return {
    /** The workflow exists: the generation's reconciliation no longer needs to start it. */
    async recordWorkflowStarted({ number }: { number: string }): Promise<void> {
      await db
        .updateTable('pro_formas')
        .set({ workflow_started_at: new Date() })
        .where('number', '=', number)
        .where('workflow_started_at', 'is', null)
        .execute();
    },

    async recordTransition(record: TransitionRecord): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const id = await proFormaId(trx, record.number);
        const inserted = await trx
          .insertInto('audit_events')
          .values({
            pro_forma_id: id,
            actor: record.actor,
            action: record.action,
            from_status: record.from,
            to_status: record.to,
            details: JSON.stringify({ stage: record.stage }),
            idempotency_key: record.key,
            at: record.at,
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return;
        const set = record.set ?? {};
        await trx
          .updateTable('pro_formas')
          .set({
            status: record.to,
            stage: record.stage,
            ...(set.depositedAt && { deposited_at: set.depositedAt }),
            ...(set.decidedAt && { decided_at: set.decidedAt }),
            ...(set.validatedAt && { validated_at: set.validatedAt }),
            ...(set.refusedAt && { refused_at: set.refusedAt }),
            ...(set.paidAt && { paid_at: set.paidAt }),
            ...(set.cancelledAt && { cancelled_at: set.cancelledAt }),
            ...(set.refusalOrigin && { refusal_origin: set.refusalOrigin }),
            ...(record.to === 'UNDER_VALIDATION' && record.stage === 'READING' && { refusal_origin: null }),
          })
          .where('id', '=', id)
          .execute();
      });
    },

    async recordDeposit(record: DepositRecord): Promise<void> {
      const id = await proFormaId(db, record.number);
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
          uploaded_by: USER_ID.test(document.uploadedBy) ? document.uploadedBy : null,
          request_id: record.requestId,
          uploaded_at: document.uploadedAt,
        })
        .onConflict((oc) => oc.columns(['pro_forma_id', 'version']).doNothing())
        .execute();
    },

    async recordExtraction(input: { number: string; version: number; extraction: ExtractionResult }): Promise<void> {
      const { extraction } = input;
      await db.transaction().execute(async (trx) => {
        const id = await proFormaId(trx, input.number);
        const docId = await documentId(trx, id, input.version);
        await trx
          .insertInto('extractions')
          .values({
            document_id: docId,
            engine: extraction.engine,
            fields: JSON.stringify(extraction.fields),
            field_confidences: JSON.stringify(extraction.fieldConfidences),
            confidence: extraction.confidence,
            page_count: extraction.pageCount,
            duration_ms: Math.round(extraction.durationMs),
            error: extraction.error ? `${extraction.error.code}: ${extraction.error.message}` : null,
          })
          .onConflict((oc) => oc.column('document_id').doNothing())
          .execute();
        await trx
          .updateTable('pro_formas')
          .set({ invoice_number: extraction.fields.invoiceNumber })
          .where('id', '=', id)
          .execute();
      });
    },

    async recordControls(input: { number: string; version: number; results: ControlResult[] }): Promise<void> {
      const id = await proFormaId(db, input.number);
      const docId = await documentId(db, id, input.version);
      if (input.results.length === 0) return;
      await db
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
        .onConflict((oc) => oc.columns(['document_id', 'code']).doNothing())
        .execute();
    },

    /** Fails (not retried) with UNKNOWN_REFUSAL_REASON for a code that is not an active reason of the catalogue. */
    async loadRefusalReason(code: string): Promise<RefusalReason> {
      const reason = await db
        .selectFrom('refusal_reasons')
        .select(['code', 'label', 'letter'])
        .where('code', '=', code)
        .where('active', '=', true)
        .executeTakeFirst();
      if (!reason) {
        throw ApplicationFailure.nonRetryable(`Motif de refus inconnu : ${code}`, 'UNKNOWN_REFUSAL_REASON', { code });
      }
      return reason;
    },

    async recordDecision(record: DecisionRecord): Promise<void> {
      const id = await proFormaId(db, record.number);
      const docId = record.version > 0 ? await documentId(db, id, record.version) : null;
      await db
        .insertInto('decisions')
        .values({
          pro_forma_id: id,
          document_id: docId,
          origin: record.origin,
          decision: record.decision,
          reason_code: record.reasonCode,
          comment: record.comment,
          letter: record.letter,
          decided_by: USER_ID.test(record.actor) ? record.actor : null,
          request_id: record.key,
          decided_at: record.at,
        })
        .onConflict((oc) => oc.column('request_id').doNothing())
        .execute();
    },
  };
}
