import { DomainError } from './errors';
import { isProFormaNumber, isValidIban, isValidSiret, normalizeIban, normalizeSiret } from './identifiers';
import { isBoundedCents } from './money';
import type { InvoiceFields } from './reading';

/**
 * The validation desk's rules (issue 12), pure so that the workflow, its Update validators and the tests share them:
 * who may act on an item a validator holds, when an approval needs a second validator, which of a trusted CFA's
 * invoices are sampled, and what a correction of a reading may change.
 */

export interface Claim {
  userId: string;
  name: string | null;
  at: string;
  expiresAt: string;
}

export interface DeskActor {
  id: string;
  role: string;
  name?: string;
}

/** A claim holds until its expiry; an expired one is nobody's. */
export function liveClaim(claim: Claim | null | undefined, now: number): Claim | null {
  return claim && Date.parse(claim.expiresAt) > now ? claim : null;
}

function heldBy(claim: Claim): string {
  return claim.name ?? claim.userId;
}

function claimedByOther(claim: Claim, what: string): DomainError {
  return new DomainError(
    'CLAIMED_BY_OTHER',
    `Cette facture est prise en charge par ${heldBy(claim)} jusqu’à ${claim.expiresAt} : ${what} lui revient.`,
    { holder: { userId: claim.userId, name: claim.name }, expiresAt: claim.expiresAt },
  );
}

/** A validator acts on an item nobody else holds; an admin may take over someone else's claim when asked to. */
export function assertMayClaim(claim: Claim | null, actor: DeskActor, takeOver: boolean | undefined): void {
  if (claim === null || claim.userId === actor.id) return;
  if (takeOver && actor.role === 'admin') return;
  throw claimedByOther(claim, takeOver ? 'seul un administrateur peut la reprendre et elle' : 'elle');
}

/** Deciding or correcting an item someone else holds is refused, naming the holder, until the claim lapses. */
export function assertNotHeldByOther(claim: Claim | null, actor: DeskActor): void {
  if (claim !== null && claim.userId !== actor.id) throw claimedByOther(claim, 'la décision');
}

/** Releasing: the holder, or an admin. */
export function assertMayRelease(claim: Claim | null, actor: DeskActor): void {
  if (claim === null || claim.userId === actor.id || actor.role === 'admin') return;
  throw claimedByOther(claim, 'la libération');
}

// ---- Four eyes ----------------------------------------------------------------------------------------------------

/** An invoice above the threshold needs two validators' approvals (credit notes pay nothing out). */
export function needsSecondApproval(totalCents: number, fourEyesAboveCents: number | null): boolean {
  return fourEyesAboveCents !== null && totalCents > fourEyesAboveCents;
}

export function assertSecondApprover(firstApproverId: string, actor: DeskActor): void {
  if (firstApproverId === actor.id) {
    throw new DomainError(
      'SAME_APPROVER',
      'Vous avez déjà donné la première approbation : la seconde revient à un autre valideur (double validation).',
      { firstApprover: firstApproverId },
    );
  }
}

// ---- Sampling -----------------------------------------------------------------------------------------------------

/** FNV-1a, 32 bits: a stable hash, the same in every process and every replay. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * Whether a trusted CFA's compliant invoice goes to a human all the same: chosen from the invoice itself (its pro
 * forma, version and file), so that a replay, a retry or another worker chooses the same.
 */
export function isSampled(invoice: { number: string; version: number; sha256: string }, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fnv1a(`${invoice.number}:${invoice.version}:${invoice.sha256}`) / 0x1_0000_0000 < rate;
}

// ---- Corrections of a reading -------------------------------------------------------------------------------------

/** What a validator may correct in a reading: the fields the controls check. */
export const CORRECTABLE_FIELDS = [
  'invoiceNumber',
  'proFormaNumber',
  'totalCents',
  'iban',
  'siret',
  'issueDate',
] as const satisfies readonly (keyof InvoiceFields)[];
export type CorrectableField = (typeof CORRECTABLE_FIELDS)[number];
export type CorrectableFields = Pick<InvoiceFields, CorrectableField>;

export interface FieldChange {
  field: keyof CorrectableFields;
  before: string | number | null;
  after: string | number | null;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

type Checked<T> = { value: T } | { error: string };

function checked<T>(ok: boolean, value: () => T, error: string): Checked<T> {
  return ok ? { value: value() } : { error };
}

/** Each corrected value, normalized, or the French reason it is refused. */
const CHECKS: { [F in keyof CorrectableFields]: (v: unknown) => Checked<CorrectableFields[F]> } = {
  invoiceNumber: (v) =>
    checked(
      typeof v === 'string' && v.trim().length > 0 && v.trim().length <= 50,
      () => (v as string).trim(),
      '1 à 50 caractères attendus',
    ),
  proFormaNumber: (v) =>
    checked(
      typeof v === 'string' && isProFormaNumber(v.trim().toUpperCase()),
      () => (v as string).trim().toUpperCase(),
      'un numéro PRO- suivi de 8 chiffres attendu',
    ),
  totalCents: (v) =>
    checked(
      typeof v === 'number' && Number.isInteger(v) && v !== 0 && isBoundedCents(v),
      () => v as number,
      'un montant en centimes entier, non nul, attendu',
    ),
  iban: (v) =>
    checked(
      typeof v === 'string' && isValidIban(v),
      () => normalizeIban(v as string),
      'IBAN invalide (clé de contrôle)',
    ),
  siret: (v) =>
    checked(
      typeof v === 'string' && isValidSiret(v),
      () => normalizeSiret(v as string),
      'SIRET invalide (14 chiffres, clé de contrôle)',
    ),
  issueDate: (v) =>
    checked(typeof v === 'string' && isCalendarDate(v), () => v as string, 'une date AAAA-MM-JJ attendue'),
};

/**
 * The reading once corrected, and what changed. Throws VALIDATION_FAILED naming each refused value, or when no value
 * changes (a correction that corrects nothing is a mistake, not a history line). A null value says the document
 * prints no such field.
 */
export function applyCorrections<T extends CorrectableFields>(
  fields: T,
  corrections: Partial<Record<string, unknown>>,
): { fields: T; changes: FieldChange[] } {
  const issues: { path: string; message: string }[] = [];
  const corrected: T = { ...fields };
  const changes: FieldChange[] = [];
  for (const [name, value] of Object.entries(corrections)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(CHECKS, name)) {
      issues.push({ path: `fields.${name}`, message: 'champ non corrigeable' });
      continue;
    }
    const field = name as keyof CorrectableFields;
    const result: Checked<string | number | null> = value === null ? { value: null } : CHECKS[field](value);
    if ('error' in result) {
      issues.push({ path: `fields.${field}`, message: result.error });
      continue;
    }
    if (result.value === fields[field]) continue;
    (corrected as Record<string, unknown>)[field] = result.value;
    changes.push({ field, before: fields[field], after: result.value });
  }
  if (issues.length > 0) {
    throw new DomainError('VALIDATION_FAILED', 'Correction refusée : valeur invalide.', { issues });
  }
  if (changes.length === 0) {
    throw new DomainError('VALIDATION_FAILED', 'La correction ne change aucune valeur lue.', {
      issues: [{ path: 'fields', message: 'aucune valeur différente de la lecture' }],
    });
  }
  return { fields: corrected, changes };
}
