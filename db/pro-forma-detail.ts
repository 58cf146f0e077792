import { sql, type Kysely } from 'kysely';
import { fillLetter } from '../domain/pro-forma';
import {
  allowedActions,
  type ProFormaAction,
  type ProFormaKind,
  type ProFormaStage,
  type ProFormaStatus,
} from '../domain/process';
import {
  documentControls,
  documentExtraction,
  proFormaDocuments,
  type ControlView,
  type DocumentView,
  type ExtractionDetailView,
} from './pro-forma-documents';
import { proFormaCorrections, type CorrectionView } from './corrections';
import { proFormaLines, type ProFormaLineView } from './pro-forma-lines';
import { filteredProFormas } from './pro-forma-list';
import { iso, summaryColumns, toSummary, type ProFormaSummaryView, type Scope } from './pro-forma-summary';
import { DEAD_PAYMENT_STATUSES, type LivePaymentStatus } from './payments';
import type { Database, PaymentKindCode, RefusalOriginCode } from './schema';
import { cfaRestriction } from './scope';

/** One pro forma as the read model knows it: its state for the API's checks, and its whole detail. */

export interface RefusalDetailView {
  origin: RefusalOriginCode;
  reasonCode: string;
  label: string;
  comment: string | null;
  letter: string;
  at: string;
}

export interface HistoryView {
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  from: ProFormaStatus | null;
  to: ProFormaStatus | null;
  stage: ProFormaStage | null;
  /** Staff only: a staff action's reason, a correction's changes and justification, a claim's holder. */
  details?: Record<string, unknown> | null;
}

/** The validation desk's view of a pro forma: staff only. */
export interface DeskView {
  claim: { userId: string; name: string | null; expiresAt: string } | null;
  sampled: boolean;
  firstApproval: { userId: string; name: string | null } | null;
  reviewCodes: string[];
  corrections: CorrectionView[];
  /** The CFA's registered bank details, beside what the invoice reads (the IBAN flag: the bank refused a transfer). */
  cfaBanking: { iban: string; bic: string | null; ibanFlag: string | null };
}

/** The claim events of the desk: the staff's own business, not shown to CFAs. */
const DESK_ONLY_ACTIONS = ['CLAIM', 'TAKE_OVER_CLAIM', 'RELEASE_CLAIM'];

export interface PaymentDetailView {
  kind: PaymentKindCode;
  amountCents: number;
  /** The live order (one taken back when the pro forma returned to validation is not shown). */
  status: LivePaymentStatus;
  orderedAt: string;
  confirmedAt: string | null;
  reference: string | null;
}

export interface ProFormaDetailView extends ProFormaSummaryView {
  allowedActions: ProFormaAction[];
  lines: ProFormaLineView[];
  documents: DocumentView[];
  extraction: ExtractionDetailView | null;
  controls: ControlView[];
  refusal?: RefusalDetailView;
  payment: PaymentDetailView | null;
  history: HistoryView[];
  desk?: DeskView;
}

/** What the API needs to judge an action before asking the workflow (or after the workflow has closed). */
export interface ProFormaState {
  id: string;
  number: string;
  kind: ProFormaKind;
  status: ProFormaStatus;
  stage: ProFormaStage | null;
  cfaId: string;
  documentCount: number;
  /** The version deposited last: its file and who deposited it (null for the system or before any deposit). */
  latestDocument: { sha256: string; uploadedBy: string | null } | null;
}

export async function findProFormaState(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<ProFormaState | undefined> {
  let query = db
    .selectFrom('pro_formas as p')
    .select(['p.id', 'p.number', 'p.kind', 'p.status', 'p.stage', 'p.cfa_id'])
    .select((eb) =>
      eb
        .selectFrom('documents as d')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('d.pro_forma_id', '=', 'p.id')
        .as('document_count'),
    )
    .select((eb) => [
      eb
        .selectFrom('documents as d')
        .select('d.sha256')
        .whereRef('d.pro_forma_id', '=', 'p.id')
        .orderBy('d.version', 'desc')
        .limit(1)
        .as('latest_sha256'),
      eb
        .selectFrom('documents as d')
        .select('d.uploaded_by')
        .whereRef('d.pro_forma_id', '=', 'p.id')
        .orderBy('d.version', 'desc')
        .limit(1)
        .as('latest_uploaded_by'),
    ])
    .where('p.number', '=', number);
  const restriction = cfaRestriction('p.cfa_id', scope);
  if (restriction) query = query.where(restriction);
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    number: row.number,
    kind: row.kind,
    status: row.status,
    stage: row.stage,
    cfaId: row.cfa_id,
    documentCount: Number(row.document_count ?? 0),
    latestDocument: row.latest_sha256
      ? { sha256: row.latest_sha256, uploadedBy: row.latest_uploaded_by ?? null }
      : null,
  };
}

/** The whole pro forma as the read model knows it (its workflow may have closed). */
export async function findProFormaDetail(
  db: Kysely<Database>,
  scope: Scope,
  number: string,
): Promise<ProFormaDetailView | undefined> {
  const row = await summaryColumns(filteredProFormas(db, scope, { number })).executeTakeFirst();
  if (!row) return undefined;
  const summary = toSummary(row);
  const staff = scope.cfaIds === null;
  const [lines, documents, history, payment, refusal, desk] = await Promise.all([
    proFormaLines(db, row.id),
    proFormaDocuments(db, row.id),
    proFormaHistory(db, row.id, staff),
    db
      .selectFrom('payments')
      .select(['kind', 'amount_cents', 'status', 'ordered_at', 'confirmed_at', 'reference'])
      .where('pro_forma_id', '=', row.id)
      .where('status', 'not in', DEAD_PAYMENT_STATUSES)
      .$narrowType<{ status: LivePaymentStatus }>()
      .executeTakeFirst(),
    summary.status === 'REFUSED' ? latestRefusal(db, row.id, summary.number, summary.invoiceNumber) : undefined,
    staff ? deskOf(db, row.id) : undefined,
  ]);
  const latest = documents[documents.length - 1];
  const [extraction, controls] = latest
    ? await Promise.all([documentExtraction(db, latest.id, latest.version), documentControls(db, latest.id)])
    : [null, []];
  return {
    ...summary,
    allowedActions: [...allowedActions({ status: summary.status, stage: summary.stage })],
    lines,
    documents: documents.map(({ id: _id, ...document }) => document),
    extraction,
    controls,
    ...(refusal && { refusal }),
    payment: payment
      ? {
          kind: payment.kind,
          amountCents: payment.amount_cents,
          status: payment.status,
          orderedAt: payment.ordered_at.toISOString(),
          confirmedAt: iso(payment.confirmed_at),
          reference: payment.reference,
        }
      : null,
    history,
    ...(desk && { desk }),
  };
}

async function deskOf(db: Kysely<Database>, proFormaId: string): Promise<DeskView> {
  const [row, corrections] = await Promise.all([
    db
      .selectFrom('pro_formas as p')
      .leftJoin('users as holder', (join) =>
        join.onRef('holder.id', '=', 'p.claimed_by').on('p.claim_expires_at', '>', sql<Date>`now()`),
      )
      .leftJoin('users as first', 'first.id', 'p.first_approved_by')
      .innerJoin('cfas as c', 'c.id', 'p.cfa_id')
      .select([
        'c.iban as cfa_iban',
        'c.bic as cfa_bic',
        'c.iban_flag as cfa_iban_flag',
        'holder.id as holder_id',
        'holder.name as holder_name',
        'p.claim_expires_at',
        'p.sampled',
        'p.stage',
        'first.id as first_id',
        'first.name as first_name',
        'p.review_codes',
      ])
      .where('p.id', '=', proFormaId)
      .executeTakeFirstOrThrow(),
    proFormaCorrections(db, proFormaId),
  ]);
  return {
    claim:
      row.holder_id && row.claim_expires_at
        ? { userId: row.holder_id, name: row.holder_name, expiresAt: row.claim_expires_at.toISOString() }
        : null,
    sampled: row.sampled,
    firstApproval:
      row.first_id && row.stage === 'AWAITING_SECOND_APPROVAL' ? { userId: row.first_id, name: row.first_name } : null,
    reviewCodes: row.review_codes,
    corrections,
    cfaBanking: { iban: row.cfa_iban, bic: row.cfa_bic, ibanFlag: row.cfa_iban_flag },
  };
}

async function proFormaHistory(db: Kysely<Database>, proFormaId: string, staff: boolean): Promise<HistoryView[]> {
  let query = db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', (join) => join.on(sql`u.id::text`, '=', sql.ref('a.actor')))
    .select(['a.at', 'a.actor', 'a.action', 'a.from_status', 'a.to_status', 'a.details', 'u.name as actor_name'])
    .where('a.pro_forma_id', '=', proFormaId);
  if (!staff) query = query.where('a.action', 'not in', DESK_ONLY_ACTIONS);
  const rows = await query.orderBy('a.id').execute();
  return rows.map((r) => {
    const { stage, ...details } = r.details ?? {};
    return {
      at: r.at.toISOString(),
      actor: r.actor,
      actorName: r.actor_name ?? (r.actor === 'system' ? 'Système' : null),
      action: r.action,
      from: r.from_status,
      to: r.to_status,
      stage: (stage as ProFormaStage | undefined) ?? null,
      ...(staff && { details: Object.keys(details).length > 0 ? details : null }),
    };
  });
}

async function latestRefusal(
  db: Kysely<Database>,
  proFormaId: string,
  number: string,
  invoiceNumber: string | null,
): Promise<RefusalDetailView | undefined> {
  const row = await db
    .selectFrom('decisions as d')
    .innerJoin('refusal_reasons as r', 'r.code', 'd.reason_code')
    // The label of the catalogue's version the refusal used (a later edit does not rewrite past refusals).
    .leftJoin('refusal_reason_versions as v', (join) =>
      join.onRef('v.code', '=', 'd.reason_code').onRef('v.version', '=', 'd.reason_version'),
    )
    .select((eb) => [
      'd.origin',
      'd.reason_code',
      eb.fn.coalesce('v.label', 'r.label').as('label'),
      eb.fn.coalesce('v.letter', 'r.letter').as('template'),
      'd.comment',
      'd.letter',
      'd.decided_at',
    ])
    .where('d.pro_forma_id', '=', proFormaId)
    .where('d.decision', '=', 'REFUSE')
    .orderBy('d.decided_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row || row.reason_code === null) return undefined;
  return {
    origin: row.origin,
    reasonCode: row.reason_code,
    label: row.label,
    comment: row.comment,
    // The workflow stores the letter as it was sent; the catalogue's text is the fallback.
    letter: row.letter ?? fillLetter(row.template, { numeroProForma: number, numeroFacture: invoiceNumber }),
    at: row.decided_at.toISOString(),
  };
}
