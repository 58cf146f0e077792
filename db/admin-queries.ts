import { sql, type Kysely } from 'kysely';
import type { SettlementMode } from '../domain/cost-nature';
import type { Database, JsonRecord } from './schema';
import { uniquely } from './errors';
import { MANDATE_COLUMNS, toMandate, type MandateListItem } from './mandates';
import { writeAudit, type WrittenAudit } from './reference-audit';

/**
 * Reads and writes of the reference data admins manage: CFAs, mandates, the refusal-reason catalogue (users:
 * db/users.ts). Unique violations surface as UniqueViolationError (db/errors.ts) so the API answers 409. Every write
 * audits itself (db/reference-audit.ts) in its own transaction.
 */

export interface CfaView {
  id: string;
  siret: string;
  name: string;
  email: string;
  iban: string;
  /** Needed to pay an IBAN outside the European Economic Area. */
  bic: string | null;
  /** The bank rejected a transfer to this IBAN: the runs leave the CFA out until an admin checks it or changes it. */
  ibanFlag: { reason: string; at: string } | null;
  trusted: boolean;
  creditNoteSettlement: SettlementMode;
  createdAt: string;
  updatedAt: string;
}

export interface NewCfa {
  siret: string;
  name: string;
  email: string;
  iban: string;
  bic?: string | null;
  trusted: boolean;
  creditNoteSettlement: SettlementMode;
}

const CFA_COLUMNS = [
  'id',
  'siret',
  'name',
  'email',
  'iban',
  'bic',
  'iban_flag',
  'iban_flagged_at',
  'trusted',
  'credit_note_settlement',
  'created_at',
  'updated_at',
] as const;

function toCfa(row: {
  id: string;
  siret: string;
  name: string;
  email: string;
  iban: string;
  bic: string | null;
  iban_flag: string | null;
  iban_flagged_at: Date | null;
  trusted: boolean;
  credit_note_settlement: SettlementMode;
  created_at: Date;
  updated_at: Date;
}): CfaView {
  return {
    id: row.id,
    siret: row.siret,
    name: row.name,
    email: row.email,
    iban: row.iban,
    bic: row.bic,
    ibanFlag:
      row.iban_flag === null
        ? null
        : { reason: row.iban_flag, at: (row.iban_flagged_at ?? row.updated_at).toISOString() },
    trusted: row.trusted,
    creditNoteSettlement: row.credit_note_settlement,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** What the audit keeps of a CFA: everything an admin may change, and its SIRET. */
function cfaSnapshot(cfa: CfaView): JsonRecord {
  return {
    siret: cfa.siret,
    name: cfa.name,
    email: cfa.email,
    iban: cfa.iban,
    // Only once set: the snapshots written before the BIC existed compare equal to today's.
    ...(cfa.bic !== null && { bic: cfa.bic }),
    // Only while set: an admin who clears it (IBAN checked, or changed) leaves a trace.
    ...(cfa.ibanFlag !== null && { ibanFlag: cfa.ibanFlag.reason }),
    trusted: cfa.trusted,
    creditNoteSettlement: cfa.creditNoteSettlement,
  };
}

/** Whether two snapshots of the audit hold the same values (a request that changes nothing is not audited). */
function unchanged(before: JsonRecord, after: JsonRecord): boolean {
  return JSON.stringify(before) === JSON.stringify(after);
}

/** Who makes a change of reference data (an admin's id; null for the service's own seeding). */
export interface ChangeOptions {
  actor?: string | null;
}

export async function createCfa(db: Kysely<Database>, cfa: NewCfa, options: ChangeOptions = {}): Promise<CfaView> {
  return db.transaction().execute(async (trx) => {
    const row = await uniquely(() =>
      trx
        .insertInto('cfas')
        .values({
          siret: cfa.siret,
          name: cfa.name,
          email: cfa.email,
          iban: cfa.iban,
          bic: cfa.bic ?? null,
          trusted: cfa.trusted,
          credit_note_settlement: cfa.creditNoteSettlement,
        })
        .returning(CFA_COLUMNS)
        .executeTakeFirstOrThrow(),
    );
    const created = toCfa(row);
    await writeAudit(trx, {
      entity: 'CFA',
      entityId: created.id,
      action: 'CREATE',
      actor: options.actor ?? null,
      before: null,
      after: cfaSnapshot(created),
    });
    return created;
  });
}

/** A CFA's change, as seen inside its transaction (before it commits). */
export interface CfaChange {
  before: CfaView;
  after: CfaView;
  audit: WrittenAudit;
  /** When the IBAN changed: the numbers of the CFA's pro formas awaiting payment (VALIDATED); empty otherwise. */
  awaitingPayment: string[];
}

/**
 * Changes a CFA and audits it, in one transaction. `beforeCommit` runs inside it, after the audit row is written:
 * if it throws, nothing is changed (the API starts the IBAN alert there, so that a change never lands without it).
 */
export async function updateCfa(
  db: Kysely<Database>,
  id: string,
  changes: Partial<Omit<NewCfa, 'siret'>> & { ibanChecked?: true },
  options: ChangeOptions & { beforeCommit?: (change: CfaChange) => Promise<void> } = {},
): Promise<CfaView | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('cfas')
      .select(CFA_COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return undefined;
    const row = await trx
      .updateTable('cfas')
      .set({
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.email !== undefined && { email: changes.email }),
        ...(changes.iban !== undefined && { iban: changes.iban }),
        // A new IBAN, or the flagged one checked: the runs pay the CFA again.
        ...((changes.ibanChecked || (changes.iban !== undefined && changes.iban !== current.iban)) && {
          iban_flag: null,
          iban_flagged_at: null,
        }),
        ...(changes.bic !== undefined && { bic: changes.bic }),
        ...(changes.trusted !== undefined && { trusted: changes.trusted }),
        ...(changes.creditNoteSettlement !== undefined && { credit_note_settlement: changes.creditNoteSettlement }),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returning(CFA_COLUMNS)
      .executeTakeFirstOrThrow();
    const before = toCfa(current);
    const after = toCfa(row);
    // A request that changes nothing leaves no trace (nor any alert).
    if (unchanged(cfaSnapshot(before), cfaSnapshot(after))) return after;
    const audit = await writeAudit(trx, {
      entity: 'CFA',
      entityId: id,
      action: 'UPDATE',
      actor: options.actor ?? null,
      before: cfaSnapshot(before),
      after: cfaSnapshot(after),
    });
    const awaitingPayment =
      before.iban === after.iban
        ? []
        : (
            await trx
              .selectFrom('pro_formas')
              .select('number')
              .where('cfa_id', '=', id)
              .where('status', '=', 'VALIDATED')
              .orderBy('number')
              .execute()
          ).map((p) => p.number);
    await options.beforeCommit?.({ before, after, audit, awaitingPayment });
    return after;
  });
}

export async function listCfas(db: Kysely<Database>): Promise<CfaView[]> {
  const rows = await db.selectFrom('cfas').select(CFA_COLUMNS).orderBy('name').orderBy('siret').execute();
  return rows.map(toCfa);
}

export async function cfaExists(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('cfas').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export interface MandateView {
  id: string;
  cfaId: string;
  validFrom: string;
  validTo: string | null;
  createdAt: string;
}

export async function createMandate(
  db: Kysely<Database>,
  mandate: { cfaId: string; validFrom: string; validTo: string | null },
  options: ChangeOptions = {},
): Promise<MandateView> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('mandates')
      .values({ cfa_id: mandate.cfaId, valid_from: mandate.validFrom, valid_to: mandate.validTo })
      .returning(['id', 'cfa_id', 'valid_from', 'valid_to', 'created_at'])
      .executeTakeFirstOrThrow();
    const created: MandateView = {
      id: row.id,
      cfaId: row.cfa_id,
      validFrom: row.valid_from,
      validTo: row.valid_to,
      createdAt: row.created_at.toISOString(),
    };
    await writeAudit(trx, {
      entity: 'MANDATE',
      entityId: created.id,
      action: 'CREATE',
      actor: options.actor ?? null,
      before: null,
      after: { cfaId: created.cfaId, validFrom: created.validFrom, validTo: created.validTo },
    });
    return created;
  });
}

export interface RefusalReasonView {
  code: string;
  label: string;
  letter: string;
  automatic: boolean;
  active: boolean;
  /** The current version of label and letter. */
  version: number;
  retiredAt: string | null;
}

export interface RefusalReasonVersionView {
  version: number;
  label: string;
  letter: string;
  createdBy: string | null;
  createdAt: string;
}

const REASON_COLUMNS = ['code', 'label', 'letter', 'automatic', 'active', 'version', 'retired_at'] as const;

function toReason(row: {
  code: string;
  label: string;
  letter: string;
  automatic: boolean;
  active: boolean;
  version: number;
  retired_at: Date | null;
}): RefusalReasonView {
  return {
    code: row.code,
    label: row.label,
    letter: row.letter,
    automatic: row.automatic,
    active: row.active,
    version: row.version,
    retiredAt: row.retired_at === null ? null : row.retired_at.toISOString(),
  };
}

function reasonSnapshot(reason: RefusalReasonView): JsonRecord {
  return {
    label: reason.label,
    letter: reason.letter,
    version: reason.version,
    active: reason.active,
    retiredAt: reason.retiredAt,
  };
}

/** The catalogue; retired reasons (no longer offered) only when asked for. */
export async function listRefusalReasons(
  db: Kysely<Database>,
  options: { includeRetired?: boolean } = {},
): Promise<RefusalReasonView[]> {
  let query = db.selectFrom('refusal_reasons').select(REASON_COLUMNS).orderBy('code');
  if (!options.includeRetired) query = query.where('retired_at', 'is', null);
  return (await query.execute()).map(toReason);
}

/** An active reason of the catalogue, or undefined. */
export async function findActiveRefusalReason(
  db: Kysely<Database>,
  code: string,
): Promise<RefusalReasonView | undefined> {
  const row = await db
    .selectFrom('refusal_reasons')
    .select(REASON_COLUMNS)
    .where('code', '=', code)
    .where('active', '=', true)
    .executeTakeFirst();
  return row && toReason(row);
}

/** A reason of the catalogue (retired or not) with every version of its label and letter, oldest first. */
export async function findRefusalReason(
  db: Kysely<Database>,
  code: string,
): Promise<(RefusalReasonView & { versions: RefusalReasonVersionView[] }) | undefined> {
  const row = await db.selectFrom('refusal_reasons').select(REASON_COLUMNS).where('code', '=', code).executeTakeFirst();
  if (!row) return undefined;
  const versions = await db
    .selectFrom('refusal_reason_versions')
    .select(['version', 'label', 'letter', 'created_by', 'created_at'])
    .where('code', '=', code)
    .orderBy('version')
    .execute();
  return {
    ...toReason(row),
    versions: versions.map((v) => ({
      version: v.version,
      label: v.label,
      letter: v.letter,
      createdBy: v.created_by,
      createdAt: v.created_at.toISOString(),
    })),
  };
}

export async function createRefusalReason(
  db: Kysely<Database>,
  reason: { code: string; label: string; letter: string },
  options: ChangeOptions = {},
): Promise<RefusalReasonView> {
  return db.transaction().execute(async (trx) => {
    const row = await uniquely(() =>
      trx
        .insertInto('refusal_reasons')
        .values({ code: reason.code, label: reason.label, letter: reason.letter, automatic: false })
        .returning(REASON_COLUMNS)
        .executeTakeFirstOrThrow(),
    );
    const created = toReason(row);
    await trx
      .insertInto('refusal_reason_versions')
      .values({
        code: created.code,
        version: created.version,
        label: created.label,
        letter: created.letter,
        created_by: options.actor ?? null,
      })
      .execute();
    await writeAudit(trx, {
      entity: 'REFUSAL_REASON',
      entityId: created.code,
      action: 'CREATE',
      actor: options.actor ?? null,
      before: null,
      after: reasonSnapshot(created),
    });
    return created;
  });
}

export type ReasonChangeOutcome =
  | { kind: 'changed'; reason: RefusalReasonView }
  | { kind: 'unchanged'; reason: RefusalReasonView }
  | { kind: 'not_found' }
  | { kind: 'retired'; reason: RefusalReasonView }
  | { kind: 'automatic'; reason: RefusalReasonView };

/**
 * A new version of a reason's label and/or letter. Letters already sent keep their text (decisions.letter) and
 * name the version they used; a retired reason is not edited; the same label and letter make no new version.
 */
export async function reviseRefusalReason(
  db: Kysely<Database>,
  code: string,
  changes: { label?: string; letter?: string },
  options: ChangeOptions = {},
): Promise<ReasonChangeOutcome> {
  return db.transaction().execute(async (trx): Promise<ReasonChangeOutcome> => {
    const current = await trx
      .selectFrom('refusal_reasons')
      .select(REASON_COLUMNS)
      .where('code', '=', code)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return { kind: 'not_found' };
    const before = toReason(current);
    if (before.retiredAt !== null) return { kind: 'retired', reason: before };
    if ((changes.label ?? before.label) === before.label && (changes.letter ?? before.letter) === before.letter) {
      return { kind: 'unchanged', reason: before };
    }
    const row = await trx
      .updateTable('refusal_reasons')
      .set((eb) => ({
        ...(changes.label !== undefined && { label: changes.label }),
        ...(changes.letter !== undefined && { letter: changes.letter }),
        version: eb('version', '+', 1),
      }))
      .where('code', '=', code)
      .returning(REASON_COLUMNS)
      .executeTakeFirstOrThrow();
    const after = toReason(row);
    await trx
      .insertInto('refusal_reason_versions')
      .values({
        code,
        version: after.version,
        label: after.label,
        letter: after.letter,
        created_by: options.actor ?? null,
      })
      .execute();
    await writeAudit(trx, {
      entity: 'REFUSAL_REASON',
      entityId: code,
      action: 'NEW_VERSION',
      actor: options.actor ?? null,
      before: reasonSnapshot(before),
      after: reasonSnapshot(after),
    });
    return { kind: 'changed', reason: after };
  });
}

/**
 * Retires a reason: no longer offered to validators, still shown on the refusals that used it. A reason the
 * automatic controls refuse with cannot be retired; retiring a retired reason changes nothing.
 */
export async function retireRefusalReason(
  db: Kysely<Database>,
  code: string,
  options: ChangeOptions = {},
): Promise<ReasonChangeOutcome> {
  return db.transaction().execute(async (trx): Promise<ReasonChangeOutcome> => {
    const current = await trx
      .selectFrom('refusal_reasons')
      .select(REASON_COLUMNS)
      .where('code', '=', code)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return { kind: 'not_found' };
    const before = toReason(current);
    if (before.retiredAt !== null) return { kind: 'unchanged', reason: before };
    if (before.automatic) return { kind: 'automatic', reason: before };
    const row = await trx
      .updateTable('refusal_reasons')
      .set({ active: false, retired_at: sql<Date>`now()` })
      .where('code', '=', code)
      .returning(REASON_COLUMNS)
      .executeTakeFirstOrThrow();
    const after = toReason(row);
    await writeAudit(trx, {
      entity: 'REFUSAL_REASON',
      entityId: code,
      action: 'RETIRE',
      actor: options.actor ?? null,
      before: reasonSnapshot(before),
      after: reasonSnapshot(after),
    });
    return { kind: 'changed', reason: after };
  });
}

/** The signed document of a mandate, already in the document store (stored first, then the row). */
export interface MandateDocumentInput {
  sha256: string;
  fileName: string;
  mimeType: 'application/pdf';
  size: number;
  uploadedBy: string;
}

/** Records a mandate with its signed document, audited (entity MANDATE) in the same transaction. */
export async function createMandateWithDocument(
  db: Kysely<Database>,
  mandate: { cfaId: string; validFrom: string; validTo: string | null; document: MandateDocumentInput },
  options: ChangeOptions = {},
): Promise<MandateListItem> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('mandates')
      .values({
        cfa_id: mandate.cfaId,
        valid_from: mandate.validFrom,
        valid_to: mandate.validTo,
        document_sha256: mandate.document.sha256,
        document_file_name: mandate.document.fileName,
        document_mime_type: mandate.document.mimeType,
        document_size_bytes: mandate.document.size,
        uploaded_by: mandate.document.uploadedBy,
        uploaded_at: new Date(),
      })
      .returning(MANDATE_COLUMNS)
      .executeTakeFirstOrThrow();
    const created = toMandate(row);
    await writeAudit(trx, {
      entity: 'MANDATE',
      entityId: created.id,
      action: 'CREATE',
      actor: options.actor ?? null,
      before: null,
      after: {
        cfaId: created.cfaId,
        validFrom: created.validFrom,
        validTo: created.validTo,
        document: { sha256: mandate.document.sha256, fileName: mandate.document.fileName, size: mandate.document.size },
      },
    });
    return created;
  });
}
