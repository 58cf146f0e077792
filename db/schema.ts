import type { ColumnType, Generated, GeneratedAlways, Insertable, JSONColumnType, Selectable } from 'kysely';
import type { Decision, DecisionOrigin } from '../domain/decisions';
import type { ProFormaKind, ProFormaStage, ProFormaStatus } from '../domain/process';
import type { ExtractionEngine, FieldPositions } from '../domain/reading';

/**
 * Row types of the tables created by migrations/. They describe what the database stores; the domain's own types
 * live in domain/ and the query modules map rows to them, so these types never reach a route or a workflow.
 *
 * Conventions (set by db/connect.ts): bigint (cents, identities) reads as number, `date` as 'YYYY-MM-DD',
 * timestamptz as Date. jsonb is written as a JSON string (node-postgres would turn a JS array into a PG array).
 */

// Value lists, one per CHECK constraint of the schema.
export type CostNatureCode = 'PEDAGOGIE' | 'FRAIS_ANNEXES' | 'PREMIER_EQUIPEMENT' | 'MOBILITE';
export type SettlementModeCode = 'DEDUCTION' | 'REMBOURSEMENT';
export type UserRoleCode = 'admin' | 'validator' | 'cfa';
export type ContractStatusCode = 'ENGAGE' | 'RUPTURE';
export type ProFormaKindCode = ProFormaKind;
export type ProFormaStatusCode = ProFormaStatus;
export type ProFormaStageCode = ProFormaStage;
export type RefusalOriginCode = DecisionOrigin;
export type DocumentMimeTypeCode = 'application/pdf' | 'image/jpeg' | 'image/png' | 'image/gif';
export type ExtractionEngineCode = ExtractionEngine;
export type ControlOutcomeCode = 'PASSED' | 'FAILED' | 'NEEDS_REVIEW';
export type DecisionCode = Decision;
export type PaymentKindCode = 'TRANSFER' | 'DEDUCTION' | 'REIMBURSEMENT';
export type PaymentStatusCode = 'ORDERED' | 'ISSUED' | 'NETTED' | 'CONFIRMED' | 'WITHDRAWN' | 'REJECTED';
export type NotificationStatusCode = 'PENDING' | 'SENT' | 'FAILED';
export type NotificationTransportCode = 'SMTP' | 'OUTBOX';

/** A timestamptz with a `now()` default. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A timestamptz that stays null until the event happens. */
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type JsonRecord = Record<string, unknown>;

export interface CfasTable {
  id: Generated<string>;
  siret: string;
  name: string;
  email: string;
  /** Normalized: upper case, no spaces. */
  iban: string;
  /** Needed for an IBAN outside the European Economic Area. */
  bic: Generated<string | null>;
  /** Set (with what the bank said) when the bank rejected a transfer to this IBAN; left out of the runs until cleared. */
  iban_flag: Generated<string | null>;
  iban_flagged_at: Generated<Date | null>;
  trusted: Generated<boolean>;
  credit_note_settlement: Generated<SettlementModeCode>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  role: UserRoleCode;
  name: string;
  /** Unique without regard to case. */
  email: string;
  /** Right codes (domain/rights.ts), each once; `me:read` is never stored (everyone holds it). */
  rights: string[];
  /** SHA-256 of the token, lowercase hex; null until an invited user accepts its invitation. */
  token_hash: string | null;
  /** Null: the token never expires. */
  token_expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
}

/** The CFAs a CFA user acts for (one or more); staff have none. */
export interface UserCfasTable {
  user_id: string;
  cfa_id: string;
}

export interface InvitationsTable {
  id: Generated<string>;
  user_id: string;
  /** SHA-256 of the link's secret, set by the activity that e-mails it. */
  token_hash: string | null;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: Date;
  sent_at: NullableTimestamp;
  accepted_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
}

/** A browser's session (the web pages): its cookie's secret as SHA-256, the CSRF token its writes echo. */
export interface WebSessionsTable {
  id: Generated<string>;
  secret_hash: string;
  csrf_token: string;
  user_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  ended_at: NullableTimestamp;
}

export interface MandatesTable {
  id: Generated<string>;
  cfa_id: string;
  valid_from: string;
  valid_to: string | null;
  created_at: Timestamp;
  /** The signed mandate (migration 2026_12_02_0003): all set or all null (a mandate recorded without its document). */
  document_sha256: string | null;
  document_file_name: string | null;
  document_mime_type: 'application/pdf' | null;
  document_size_bytes: number | null;
  uploaded_by: string | null;
  uploaded_at: NullableTimestamp;
  /** When the CFA was told the mandate expires soon (once). */
  expiry_notified_at: NullableTimestamp;
}

export interface ContractsTable {
  id: Generated<string>;
  cfa_id: string;
  number: string;
  /** Diploma label. */
  label: string;
  apprentice_name: string;
  /** Split from apprentice_name on its first space unless given (trigger, migration 2026_12_02_0004). */
  apprentice_first_name: ColumnType<string, string | undefined, string | undefined>;
  apprentice_last_name: ColumnType<string, string | undefined, string | undefined>;
  /** The CFA's teaching SIRET (« SIRET CFA pédagogique »), when known. */
  training_siret: ColumnType<string | null, string | null | undefined, string | null>;
  employer_name: string;
  employer_siret: string;
  start_date: string;
  end_date: string;
  status: ContractStatusCode;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InstallmentsTable {
  id: Generated<string>;
  contract_id: string;
  nature: CostNatureCode;
  period_start: string;
  period_end: string;
  /** Never zero; negative for an overpayment. */
  amount_cents: number;
  created_at: Timestamp;
}

export interface ProFormasTable {
  id: Generated<string>;
  /** 'PRO-' and 8 digits, from the sequence pro_forma_number_seq. */
  number: string;
  workflow_id: string;
  cfa_id: string;
  kind: ProFormaKindCode;
  nature: CostNatureCode;
  /** Positive for an invoice, negative for a credit note. */
  total_cents: number;
  status: ProFormaStatusCode;
  stage: ProFormaStageCode | null;
  /** Set exactly on credit notes. */
  settlement_mode: SettlementModeCode | null;
  /** As read on the latest deposited invoice. */
  invoice_number: string | null;
  refusal_origin: RefusalOriginCode | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  deposited_at: NullableTimestamp;
  decided_at: NullableTimestamp;
  validated_at: NullableTimestamp;
  refused_at: NullableTimestamp;
  paid_at: NullableTimestamp;
  /** Filled by the database when the status becomes CANCELLED, unless given. */
  cancelled_at: NullableTimestamp;
  /** Set by the workflow's first activity (see the reconciliation of generation). */
  workflow_started_at: NullableTimestamp;
  /** The validator holding the item (the workflow's claim, copied); its claim has expired once claim_expires_at passed. */
  claimed_by: string | null;
  claim_expires_at: NullableTimestamp;
  /** Codes of the latest reading's controls that need a human (uncertain or failed). */
  review_codes: ColumnType<string[], string[] | undefined, string[]>;
  reading_engine: ExtractionEngineCode | null;
  /** A trusted CFA's compliant invoice sent to a human all the same (« contrôle par sondage »). */
  sampled: Generated<boolean>;
  /** Above the four-eyes threshold, the validator whose approval awaits a second one. */
  first_approved_by: string | null;
  /** The issue date read on the latest invoice (YYYY-MM-DD), copied by a trigger on extractions. */
  invoice_issue_date: ColumnType<string | null, never, never>;
}

/**
 * How many pro formas share these values, kept by triggers (migration 2026_12_02_0001): the dashboard's counters and
 * the lists' totals are sums over these groups. Never written by the application.
 */
export interface ProFormaCountsTable {
  cfa_id: string;
  status: ProFormaStatusCode;
  stage: ProFormaStageCode | null;
  refusal_origin: RefusalOriginCode | null;
  nature: CostNatureCode;
  kind: ProFormaKindCode;
  /** Whether an invoice was deposited (deposited_at set). */
  deposited: boolean;
  n: ColumnType<string, never, never>;
  /** The latest of these dates among the pro formas that entered the group. */
  last_deposited_at: ColumnType<Date | null, never, never>;
  last_validated_at: ColumnType<Date | null, never, never>;
  last_refused_at: ColumnType<Date | null, never, never>;
  last_paid_at: ColumnType<Date | null, never, never>;
}

export interface ProFormaLinesTable {
  id: Generated<string>;
  pro_forma_id: string;
  installment_id: string;
  /** Same as the pro forma's and the installment's (composite foreign keys). */
  nature: CostNatureCode;
  amount_cents: number;
  /** Set by the database when the pro forma is cancelled; the installment is then eligible again. */
  released_at: NullableTimestamp;
}

export interface DocumentsTable {
  id: Generated<string>;
  pro_forma_id: string;
  version: number;
  file_name: string;
  mime_type: DocumentMimeTypeCode;
  size_bytes: number;
  /** Lowercase hex. */
  sha256: string;
  storage_key: string;
  uploaded_by: string | null;
  /** Idempotency key of the deposit. */
  request_id: string | null;
  uploaded_at: Timestamp;
}

export interface ExtractionsTable {
  id: Generated<string>;
  document_id: string;
  engine: ExtractionEngineCode;
  fields: JSONColumnType<JsonRecord, string | undefined, string>;
  field_confidences: JSONColumnType<Record<string, number> | null, string | null | undefined, string | null>;
  /** domain/reading's FieldPositions; null when none was found or before they were recorded. */
  field_positions: JSONColumnType<FieldPositions | null, string | null | undefined, string | null>;
  /** Between 0 and 1. */
  confidence: number | null;
  page_count: number | null;
  duration_ms: number | null;
  error: string | null;
  created_at: Timestamp;
}

export interface RefusalReasonsTable {
  code: string;
  label: string;
  letter: string;
  /** Usable by the automatic controls. */
  automatic: Generated<boolean>;
  active: Generated<boolean>;
  /** The current version of label and letter (refusal_reason_versions keeps each one). */
  version: Generated<number>;
  retired_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface RefusalReasonVersionsTable {
  code: string;
  version: number;
  label: string;
  letter: string;
  created_by: string | null;
  created_at: Timestamp;
}

export type CorrectedFieldCode =
  'invoiceNumber' | 'proFormaNumber' | 'totalCents' | 'iban' | 'siret' | 'issueDate' | 'dueDate';

export interface ReadingCorrectionsTable {
  id: Generated<string>;
  pro_forma_id: string;
  document_id: string;
  field: CorrectedFieldCode;
  /** JSON of the value (a string, or cents as a number); null when the reading had none. */
  before: ColumnType<unknown, string | null, string | null>;
  after: ColumnType<unknown, string | null, string | null>;
  justification: string;
  corrected_by: string;
  idempotency_key: string;
  corrected_at: Timestamp;
}

export interface ValidatorPortfoliosTable {
  user_id: string;
  cfa_id: string;
  assigned_by: string | null;
  assigned_at: Timestamp;
}

export type AuditedEntityCode = 'CFA' | 'MANDATE' | 'USER' | 'PORTFOLIO' | 'REFUSAL_REASON';

/** A change of reference data: written in the change's own transaction. */
export interface ReferenceAuditTable {
  id: GeneratedAlways<number>;
  entity: AuditedEntityCode;
  entity_id: string;
  action: string;
  actor: string | null;
  before: JSONColumnType<JsonRecord | null, string | null | undefined, string | null>;
  after: JSONColumnType<JsonRecord | null, string | null | undefined, string | null>;
  at: Timestamp;
}

export interface ControlResultsTable {
  id: Generated<string>;
  document_id: string;
  pro_forma_id: string;
  code: string;
  outcome: ControlOutcomeCode;
  /** Computed by the database from outcome. */
  passed: GeneratedAlways<boolean>;
  message: string;
  reason_code: string | null;
  evidence: JSONColumnType<JsonRecord | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface DecisionsTable {
  id: Generated<string>;
  pro_forma_id: string;
  document_id: string | null;
  origin: RefusalOriginCode;
  decision: DecisionCode;
  /** Set exactly when the decision is REFUSE. */
  reason_code: string | null;
  comment: string | null;
  letter: string | null;
  decided_by: string | null;
  request_id: string | null;
  /** The catalogue version of the refusal reason (its label and letter then). */
  reason_version: number | null;
  decided_at: Timestamp;
}

export interface PaymentsTable {
  id: Generated<string>;
  pro_forma_id: string;
  cfa_id: string;
  kind: PaymentKindCode;
  amount_cents: number;
  status: PaymentStatusCode;
  netted_in_payment_id: string | null;
  /** A DEDUCTION credit note: what it still has to deduct (negative, 0 once deducted); null for other kinds. */
  remaining_cents: number | null;
  reference: string | null;
  ordered_at: Timestamp;
  confirmed_at: NullableTimestamp;
}

export interface PaymentRunsTable {
  id: Generated<string>;
  number: string;
  trigger: 'SCHEDULE' | 'MANUAL';
  requested_by: string | null;
  grouping: 'PER_CFA' | 'PER_INVOICE';
  cutoff: Date;
  execution_date: string;
  transfer_count: number;
  total_cents: number;
  file_sha256: string | null;
  file_size: number | null;
  created_at: Timestamp;
  /** The id of the workflow that made the run: its retried activity finds the run instead of making another. */
  request_key: string | null;
}

export interface PaymentTransfersTable {
  id: Generated<string>;
  run_id: string;
  cfa_id: string;
  end_to_end_id: string;
  amount_cents: number;
  creditor_name: string;
  iban: string;
  bic: string | null;
  remittance: string;
  status: 'ISSUED' | 'COMPENSATED' | 'BOOKED' | 'REJECTED';
  bank_reference: string | null;
  booked_on: string | null;
  reject_reason: string | null;
}

export interface PaymentTransferItemsTable {
  transfer_id: string;
  payment_id: string;
  kind: 'INVOICE' | 'DEDUCTION';
  amount_cents: number;
  settled: boolean;
}

export interface PaymentRunExclusionsTable {
  id: Generated<string>;
  run_id: string;
  cfa_id: string;
  reason: string;
  detail: string;
  pro_forma_numbers: string[];
}

export interface BankFilesTable {
  id: Generated<string>;
  sha256: string;
  file_name: string;
  kind: 'camt.054' | 'pain.002';
  message_id: string;
  source: 'UPLOAD' | 'FOLDER';
  uploaded_by: string | null;
  received_at: Timestamp;
  applied_count: number;
  reported_count: number;
}

export interface BankFileLinesTable {
  file_id: string;
  line: number;
  action: 'BOOK' | 'REJECT' | 'RECEIVE' | null;
  reason: string | null;
  end_to_end_id: string | null;
  pro_forma_number: string | null;
  amount_cents: number | null;
  detail: string;
}

export interface NotificationsTable {
  id: Generated<string>;
  pro_forma_id: string | null;
  recipient: string;
  template: string;
  subject: string;
  status: NotificationStatusCode;
  transport: NotificationTransportCode | null;
  attempts: Generated<number>;
  error: string | null;
  idempotency_key: string;
  /** SMTP message id or path of the .eml in the outbox. */
  location: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface AuditEventsTable {
  id: GeneratedAlways<number>;
  pro_forma_id: string | null;
  /** A user id, or 'system'. */
  actor: string;
  action: string;
  from_status: ProFormaStatusCode | null;
  to_status: ProFormaStatusCode | null;
  details: JSONColumnType<JsonRecord | null, string | null | undefined, string | null>;
  idempotency_key: string | null;
  at: Timestamp;
}

/** The request an `Idempotency-Key` was first used for, per user and action (the API refuses another with it). */
export interface IdempotencyKeysTable {
  user_id: string;
  action: string;
  key: string;
  /** SHA-256 (hex) of the request: action, pro forma, body or deposited file. */
  fingerprint: string;
  created_at: Timestamp;
}

/** A deposit whose file is stored and whose workflow update has not been answered yet. */
export interface DepositsInFlightTable {
  id: Generated<string>;
  sha256: string;
  /** The request (its update id) the deposit belongs to: every attempt of a request claims under it. */
  request_id: string | null;
  created_at: Timestamp;
}

/** An address a CFA wants some kinds of e-mail at (« Mon CFA »). */
export interface CfaNotificationEmailsTable {
  id: Generated<string>;
  cfa_id: string;
  email: string;
  /** Template codes. */
  kinds: string[];
  created_at: Timestamp;
}

export interface Database {
  cfas: CfasTable;
  cfa_notification_emails: CfaNotificationEmailsTable;
  users: UsersTable;
  user_cfas: UserCfasTable;
  invitations: InvitationsTable;
  web_sessions: WebSessionsTable;
  mandates: MandatesTable;
  contracts: ContractsTable;
  installments: InstallmentsTable;
  pro_formas: ProFormasTable;
  pro_forma_counts: ProFormaCountsTable;
  pro_forma_lines: ProFormaLinesTable;
  documents: DocumentsTable;
  extractions: ExtractionsTable;
  refusal_reasons: RefusalReasonsTable;
  refusal_reason_versions: RefusalReasonVersionsTable;
  reading_corrections: ReadingCorrectionsTable;
  validator_portfolios: ValidatorPortfoliosTable;
  reference_audit: ReferenceAuditTable;
  control_results: ControlResultsTable;
  decisions: DecisionsTable;
  payments: PaymentsTable;
  payment_runs: PaymentRunsTable;
  payment_transfers: PaymentTransfersTable;
  payment_transfer_items: PaymentTransferItemsTable;
  payment_run_exclusions: PaymentRunExclusionsTable;
  bank_files: BankFilesTable;
  bank_file_lines: BankFileLinesTable;
  notifications: NotificationsTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  deposits_in_flight: DepositsInFlightTable;
}

export type CfaRow = Selectable<CfasTable>;
export type NewUserRow = Insertable<UsersTable>;
export type ContractRow = Selectable<ContractsTable>;
export type InstallmentRow = Selectable<InstallmentsTable>;
export type ProFormaRow = Selectable<ProFormasTable>;
export type NewProFormaRow = Insertable<ProFormasTable>;
export type NewDocumentRow = Insertable<DocumentsTable>;
