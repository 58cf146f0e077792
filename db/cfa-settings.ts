import type { Kysely } from 'kysely';
import type { CfaMailKind } from '../domain/notification-kinds';
import { writeAudit } from './reference-audit';
import type { Database, SettlementModeCode } from './schema';

/** « Mon CFA »: what a CFA user reads of its CFA and the settings it may change itself. */
export interface CfaSettingsView {
  id: string;
  siret: string;
  name: string;
  /** The main address: the one written to when no address of the list receives a kind. */
  email: string;
  /** Read-only for the CFA: an admin changes it (audited, admins alerted). */
  iban: string;
  bic: string | null;
  /** Set when the bank refused a transfer to this IBAN (the reason): runs leave the CFA out until an admin checks it. */
  ibanFlag: string | null;
  creditNoteSettlement: SettlementModeCode;
  notificationEmails: NotificationEmail[];
}

export interface NotificationEmail {
  email: string;
  kinds: CfaMailKind[];
}

export interface CfaSettingsChange {
  creditNoteSettlement?: SettlementModeCode;
  /** Replaces the whole list (an empty list: every e-mail to the main address). */
  notificationEmails?: NotificationEmail[];
}

export async function findCfaSettings(db: Kysely<Database>, cfaId: string): Promise<CfaSettingsView | undefined> {
  const cfa = await db
    .selectFrom('cfas')
    .select(['id', 'siret', 'name', 'email', 'iban', 'bic', 'iban_flag', 'credit_note_settlement'])
    .where('id', '=', cfaId)
    .executeTakeFirst();
  if (!cfa) return undefined;
  return {
    id: cfa.id,
    siret: cfa.siret,
    name: cfa.name,
    email: cfa.email,
    iban: cfa.iban,
    bic: cfa.bic,
    ibanFlag: cfa.iban_flag,
    creditNoteSettlement: cfa.credit_note_settlement,
    notificationEmails: await notificationEmails(db, cfaId),
  };
}

async function notificationEmails(db: Kysely<Database>, cfaId: string): Promise<NotificationEmail[]> {
  const rows = await db
    .selectFrom('cfa_notification_emails')
    .select(['email', 'kinds'])
    .where('cfa_id', '=', cfaId)
    .orderBy('email')
    .execute();
  return rows.map((r) => ({ email: r.email, kinds: [...r.kinds].sort() as CfaMailKind[] }));
}

/** Applies a CFA user's change of its settings, audited in the same transaction (nothing changed: no audit row). */
export async function updateCfaSettings(
  db: Kysely<Database>,
  cfaId: string,
  change: CfaSettingsChange,
  actor: string,
): Promise<CfaSettingsView | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await findCfaSettings(trx, cfaId);
    if (!before) return undefined;
    if (change.creditNoteSettlement !== undefined) {
      await trx
        .updateTable('cfas')
        .set({ credit_note_settlement: change.creditNoteSettlement })
        .where('id', '=', cfaId)
        .execute();
    }
    if (change.notificationEmails !== undefined) {
      await trx.deleteFrom('cfa_notification_emails').where('cfa_id', '=', cfaId).execute();
      if (change.notificationEmails.length > 0) {
        await trx
          .insertInto('cfa_notification_emails')
          .values(
            change.notificationEmails.map((n) => ({ cfa_id: cfaId, email: n.email, kinds: [...new Set(n.kinds)] })),
          )
          .execute();
      }
    }
    const after = (await findCfaSettings(trx, cfaId)) as CfaSettingsView;
    const snapshot = (s: CfaSettingsView) => ({
      creditNoteSettlement: s.creditNoteSettlement,
      notificationEmails: s.notificationEmails,
    });
    if (JSON.stringify(snapshot(before)) !== JSON.stringify(snapshot(after))) {
      await writeAudit(trx, {
        entity: 'CFA',
        entityId: cfaId,
        action: 'UPDATE_SETTINGS',
        actor,
        before: snapshot(before),
        after: snapshot(after),
      });
    }
    return after;
  });
}

/**
 * Where a CFA's e-mail of `kind` goes: the addresses of its list that receive that kind; none of them: `fallback`
 * (the main address the workflow knows). Looked up when the e-mail is sent, so a change applies to the next one.
 */
export async function cfaRecipients(
  db: Kysely<Database>,
  about: { number?: string | null; cfaId?: string },
  kind: string,
  fallback: string,
): Promise<string[]> {
  let query = db
    .selectFrom('cfa_notification_emails as n')
    .select('n.email')
    .where(({ eb, val }) => eb(val(kind), '=', eb.fn.any('n.kinds')));
  if (about.cfaId !== undefined) query = query.where('n.cfa_id', '=', about.cfaId);
  else if (about.number) {
    query = query.where('n.cfa_id', '=', (eb) =>
      eb
        .selectFrom('pro_formas')
        .select('cfa_id')
        .where('number', '=', about.number as string),
    );
  } else return [fallback];
  const rows = await query.orderBy('n.email').execute();
  return rows.length > 0 ? rows.map((r) => r.email) : [fallback];
}
