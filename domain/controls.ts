import { formatEuros } from './money';
import { formatIban, isValidIban, isValidSiret, normalizeIban, normalizeSiret, sirenOfSiret } from './identifiers';
import type { ExtractionEngine } from './reading';
import type { ProFormaKind } from './process';

/**
 * The automatic controls of a deposited invoice (domain.md, "Reading the invoice (OCR) and automatic controls").
 * Pure: the activity gathers the facts (duplicates, mandates) from the database and passes them in.
 *
 * Each control ends PASSED, FAILED (the invoice is refused automatically with the control's refusal reason) or
 * NEEDS_REVIEW (a validator decides). A value read with low confidence, or not found by OCR, is never grounds for
 * an automatic refusal: an OCR miss is ours, not the CFA's.
 */

export const CONTROL_CODES = [
  'DOCUMENT_READABLE',
  'DOCUMENT_NOT_DUPLICATE',
  'MANDATE_VALID',
  'PRO_FORMA_NUMBER',
  'TOTAL_AMOUNT',
  'INVOICE_NUMBER',
  'INVOICE_NUMBER_UNIQUE',
  'SIRET',
  'IBAN_VALID',
  'IBAN_MATCHES_CFA',
] as const;
export type ControlCode = (typeof CONTROL_CODES)[number];

export type ControlOutcome = 'PASSED' | 'FAILED' | 'NEEDS_REVIEW';

/** Codes of the refusal-reason catalogue (seeded by migrations/2026_11_22_0002_refusal_reasons.ts). */
export type RefusalReasonCode =
  | 'PRO_FORMA_NUMBER_MISSING'
  | 'AMOUNT_MISMATCH'
  | 'SIRET_INVALID'
  | 'IBAN_INVALID'
  | 'IBAN_CHANGED'
  | 'INVOICE_NUMBER_MISSING'
  | 'DUPLICATE_INVOICE'
  | 'DUPLICATE_DOCUMENT'
  | 'MANDATE_INVALID'
  | 'DOCUMENT_UNREADABLE'
  | 'OTHER';

/** The refusal reason each control stands for: its own when it fails, the one a validator is offered otherwise. */
export const CONTROL_REASONS: Record<ControlCode, RefusalReasonCode> = {
  DOCUMENT_READABLE: 'DOCUMENT_UNREADABLE',
  DOCUMENT_NOT_DUPLICATE: 'DUPLICATE_DOCUMENT',
  MANDATE_VALID: 'MANDATE_INVALID',
  PRO_FORMA_NUMBER: 'PRO_FORMA_NUMBER_MISSING',
  TOTAL_AMOUNT: 'AMOUNT_MISMATCH',
  INVOICE_NUMBER: 'INVOICE_NUMBER_MISSING',
  INVOICE_NUMBER_UNIQUE: 'DUPLICATE_INVOICE',
  SIRET: 'SIRET_INVALID',
  IBAN_VALID: 'IBAN_INVALID',
  IBAN_MATCHES_CFA: 'IBAN_CHANGED',
};

export interface ControlResult {
  code: ControlCode;
  outcome: ControlOutcome;
  passed: boolean;
  /** French, shown to the CFA and the validator. */
  message: string;
  reasonCode: RefusalReasonCode;
  evidence?: Record<string, unknown>;
}

type ReadField = 'invoiceNumber' | 'proFormaNumber' | 'totalCents' | 'siret' | 'siren' | 'iban';

/** What the reading produced (structurally, extraction/types.ts ExtractionResult). */
export interface ReadInvoice {
  engine: ExtractionEngine;
  fields: {
    invoiceNumber: string | null;
    proFormaNumber: string | null;
    totalCents: number | null;
    siret: string | null;
    siren: string | null;
    iban: string | null;
  };
  fieldConfidences: Record<ReadField, number>;
  error?: { code: string; message: string };
}

export interface ControlFacts {
  proForma: { number: string; kind: ProFormaKind; totalCents: number };
  cfa: { siret: string; iban: string };
  invoice: ReadInvoice;
  /** Other live pro formas of this CFA already carrying the invoice number read. */
  invoiceNumberUsedOn: readonly string[];
  /** Other pro formas on which a file with the same SHA-256 was deposited. */
  sameDocumentOn: readonly string[];
  /**
   * The billing mandate of the CFA that covers the deposit date (Europe/Paris), named by the control; null: none.
   * Absent (older callers), `mandateValid` decides alone and the control names no mandate.
   */
  mandate?: UsedMandate | null;
  /** A billing mandate of the CFA covers the deposit date: `mandate !== null` where `mandate` is given. */
  mandateValid: boolean;
  /** Deposit date in Europe/Paris, YYYY-MM-DD, for the messages. */
  depositDate: string;
}

/** Below this, a value read is not trusted enough to refuse on it. */
export const MIN_CONFIDENCE_TO_REFUSE = 0.8;

/**
 * Errors that mean nobody can open the file (a human neither): the CFA must send another one. Any other failure
 * to read (OCR found nothing, timed out, image too large to OCR) goes to a validator, who can still look at it.
 */
const UNOPENABLE = new Set(['PDF_ENCRYPTED', 'PDF_UNREADABLE', 'IMAGE_UNREADABLE', 'UNSUPPORTED_FORMAT']);

function result(
  code: ControlCode,
  outcome: ControlOutcome,
  message: string,
  evidence?: Record<string, unknown>,
): ControlResult {
  return { code, outcome, passed: outcome === 'PASSED', message, reasonCode: CONTROL_REASONS[code], evidence };
}

/** A field read: its value and whether it is sure enough to refuse on. */
function read<K extends ReadField>(invoice: ReadInvoice, field: K) {
  const value = invoice.fields[field];
  const confidence = invoice.fieldConfidences[field] ?? 0;
  return { value, confidence, sure: confidence >= MIN_CONFIDENCE_TO_REFUSE };
}

/**
 * A field that was not found refuses the invoice only when the reader is sure the document does not print it (a
 * text layer with nothing of the field's shape anywhere). Merely not found (a label laid out in a way the parsers
 * missed, OCR, structured data that leaves it out while the page may print it), a human checks.
 */
function missingOutcome(invoice: ReadInvoice, field: ReadField): ControlOutcome {
  return read(invoice, field).sure ? 'FAILED' : 'NEEDS_REVIEW';
}

function controlReadable(invoice: ReadInvoice): ControlResult {
  if (invoice.engine !== 'NONE') {
    return result('DOCUMENT_READABLE', 'PASSED', 'Le document a pu être lu.', { engine: invoice.engine });
  }
  const evidence = { error: invoice.error?.code ?? null };
  if (invoice.error && UNOPENABLE.has(invoice.error.code)) {
    return result(
      'DOCUMENT_READABLE',
      'FAILED',
      `Le document ne peut pas être ouvert : ${invoice.error.message}`,
      evidence,
    );
  }
  return result(
    'DOCUMENT_READABLE',
    'NEEDS_REVIEW',
    `La lecture automatique du document n'a rien donné${invoice.error ? ` (${invoice.error.message})` : ''} : un valideur va le lire.`,
    evidence,
  );
}

function controlDuplicateDocument(sameDocumentOn: readonly string[]): ControlResult {
  if (sameDocumentOn.length === 0) {
    return result('DOCUMENT_NOT_DUPLICATE', 'PASSED', "Ce document n'a été déposé sur aucune autre facture pro forma.");
  }
  return result(
    'DOCUMENT_NOT_DUPLICATE',
    'FAILED',
    `Ce document a déjà été déposé sur la facture pro forma ${sameDocumentOn.join(', ')}.`,
    { proFormas: sameDocumentOn },
  );
}

/** The mandate the MANDATE_VALID control used. */
export interface UsedMandate {
  id: string;
  validFrom: string;
  /** Null: without end. */
  validTo: string | null;
}

/** « Mandat de facturation du 01/01/2026 au 31/12/2026 (n° …) ». */
function mandateName(mandate: UsedMandate): string {
  const period = mandate.validTo
    ? `du ${frenchDate(mandate.validFrom)} au ${frenchDate(mandate.validTo)}`
    : `du ${frenchDate(mandate.validFrom)}, sans date de fin,`;
  return `Mandat de facturation ${period} (n° ${mandate.id})`;
}

function controlMandate(facts: Pick<ControlFacts, 'mandate' | 'mandateValid' | 'depositDate'>): ControlResult {
  const { depositDate } = facts;
  const { mandate } = facts;
  const valid = mandate === undefined ? facts.mandateValid : mandate !== null;
  if (valid && mandate) {
    return result(
      'MANDATE_VALID',
      'PASSED',
      `${mandateName(mandate)} valide à la date du dépôt (${frenchDate(depositDate)}).`,
      { depositDate, mandateId: mandate.id, validFrom: mandate.validFrom, validTo: mandate.validTo },
    );
  }
  return valid
    ? result(
        'MANDATE_VALID',
        'PASSED',
        `Le mandat de facturation est valide à la date du dépôt (${frenchDate(depositDate)}).`,
      )
    : result(
        'MANDATE_VALID',
        'FAILED',
        `Aucun mandat de facturation valide à la date du dépôt (${frenchDate(depositDate)}).`,
        { depositDate },
      );
}

function controlProFormaNumber(invoice: ReadInvoice, expected: string): ControlResult {
  const { value, sure } = read(invoice, 'proFormaNumber');
  if (value === null) {
    return result(
      'PRO_FORMA_NUMBER',
      missingOutcome(invoice, 'proFormaNumber'),
      `Le numéro de la facture pro forma (${expected}) n'a pas été trouvé sur la facture.`,
      { expected },
    );
  }
  if (value === expected) {
    return result('PRO_FORMA_NUMBER', 'PASSED', `La facture rappelle le numéro de pro forma ${expected}.`);
  }
  return result(
    'PRO_FORMA_NUMBER',
    sure ? 'FAILED' : 'NEEDS_REVIEW',
    `La facture mentionne la pro forma ${value} au lieu de ${expected}.`,
    { expected, read: value },
  );
}

function controlTotal(invoice: ReadInvoice, proForma: ControlFacts['proForma']): ControlResult {
  const { value, sure } = read(invoice, 'totalCents');
  const expected = proForma.totalCents;
  if (value === null) {
    return result(
      'TOTAL_AMOUNT',
      missingOutcome(invoice, 'totalCents'),
      `Le montant total de la facture n'a pas été trouvé (attendu : ${formatEuros(expected)}).`,
      { expectedCents: expected },
    );
  }
  // A credit note (avoir) is often printed as a positive amount; its sign is carried by the document type.
  const matches = value === expected || (proForma.kind === 'CREDIT_NOTE' && value === -expected);
  if (matches) {
    return result('TOTAL_AMOUNT', 'PASSED', `Le montant ${formatEuros(value)} est égal à celui de la pro forma.`);
  }
  return result(
    'TOTAL_AMOUNT',
    sure ? 'FAILED' : 'NEEDS_REVIEW',
    `Le montant indiqué (${formatEuros(value)}) n'est pas égal au montant de la facture pro forma (${formatEuros(expected)}).`,
    { expectedCents: expected, readCents: value },
  );
}

function controlInvoiceNumber(invoice: ReadInvoice): ControlResult {
  const { value } = read(invoice, 'invoiceNumber');
  return value === null
    ? result('INVOICE_NUMBER', missingOutcome(invoice, 'invoiceNumber'), "Le numéro de facture n'a pas été trouvé.")
    : result('INVOICE_NUMBER', 'PASSED', `Numéro de facture : ${value}.`);
}

function controlInvoiceNumberUnique(invoice: ReadInvoice, usedOn: readonly string[]): ControlResult {
  const { value, sure } = read(invoice, 'invoiceNumber');
  if (value === null) {
    return result(
      'INVOICE_NUMBER_UNIQUE',
      'NEEDS_REVIEW',
      'Sans numéro de facture, le doublon ne peut pas être vérifié.',
    );
  }
  if (usedOn.length === 0) {
    return result('INVOICE_NUMBER_UNIQUE', 'PASSED', `Le numéro de facture ${value} n'a pas déjà été utilisé.`);
  }
  return result(
    'INVOICE_NUMBER_UNIQUE',
    sure ? 'FAILED' : 'NEEDS_REVIEW',
    `Le numéro de facture ${value} est déjà utilisé sur la facture pro forma ${usedOn.join(', ')}.`,
    { invoiceNumber: value, proFormas: usedOn },
  );
}

function controlSiret(invoice: ReadInvoice, cfaSiret: string): ControlResult {
  const siret = read(invoice, 'siret');
  const siren = read(invoice, 'siren');
  const expectedSiren = sirenOfSiret(cfaSiret);
  if (siret.value === null) {
    if (siren.value !== null && siren.value === expectedSiren) {
      return result(
        'SIRET',
        'NEEDS_REVIEW',
        `Seul le SIREN ${siren.value} figure sur la facture ; le SIRET ${cfaSiret} est attendu.`,
        { expected: cfaSiret, readSiren: siren.value },
      );
    }
    return result('SIRET', missingOutcome(invoice, 'siret'), `Le SIRET n'a pas été trouvé (attendu : ${cfaSiret}).`, {
      expected: cfaSiret,
    });
  }
  const value = normalizeSiret(siret.value);
  if (value === cfaSiret) return result('SIRET', 'PASSED', `Le SIRET ${value} est celui du CFA.`);
  const evidence = { expected: cfaSiret, read: value };
  if (!isValidSiret(value)) {
    return result('SIRET', siret.sure ? 'FAILED' : 'NEEDS_REVIEW', `Le SIRET ${value} n'est pas valide.`, evidence);
  }
  if (sirenOfSiret(value) === expectedSiren) {
    return result(
      'SIRET',
      'NEEDS_REVIEW',
      `Le SIRET ${value} est celui d'un autre établissement de l'entreprise (SIRET du CFA : ${cfaSiret}).`,
      evidence,
    );
  }
  return result(
    'SIRET',
    siret.sure ? 'FAILED' : 'NEEDS_REVIEW',
    `Le SIRET ${value} n'est pas celui du CFA (${cfaSiret}).`,
    evidence,
  );
}

function controlIbanValid(invoice: ReadInvoice): ControlResult {
  const { value, sure } = read(invoice, 'iban');
  if (value === null)
    return result('IBAN_VALID', missingOutcome(invoice, 'iban'), "L'IBAN n'a pas été trouvé sur la facture.");
  const iban = normalizeIban(value);
  if (isValidIban(iban)) return result('IBAN_VALID', 'PASSED', `L'IBAN ${formatIban(iban)} est valide.`);
  // An OCR misread breaks the checksum as surely as a wrong IBAN does: refuse only on a sure reading.
  return result(
    'IBAN_VALID',
    sure && invoice.engine !== 'OCR' ? 'FAILED' : 'NEEDS_REVIEW',
    `L'IBAN ${formatIban(iban)} n'est pas valide (clé de contrôle ISO 13616 erronée).`,
    { read: iban },
  );
}

function controlIbanMatchesCfa(invoice: ReadInvoice, cfaIban: string): ControlResult {
  const { value } = read(invoice, 'iban');
  const registered = normalizeIban(cfaIban);
  if (value === null) {
    return result(
      'IBAN_MATCHES_CFA',
      'NEEDS_REVIEW',
      "Sans IBAN lu, la concordance avec l'IBAN enregistré n'est pas vérifiée.",
    );
  }
  const iban = normalizeIban(value);
  if (iban === registered) {
    return result('IBAN_MATCHES_CFA', 'PASSED', "L'IBAN est celui enregistré pour le CFA.");
  }
  if (!isValidIban(iban)) {
    return result(
      'IBAN_MATCHES_CFA',
      'NEEDS_REVIEW',
      "L'IBAN lu n'est pas valide : sa concordance n'est pas vérifiée.",
    );
  }
  // A changed bank account is the classic invoice fraud: never refused blindly, never accepted silently.
  return result(
    'IBAN_MATCHES_CFA',
    'NEEDS_REVIEW',
    `Attention : l'IBAN de la facture (${formatIban(iban)}) diffère de l'IBAN enregistré pour le CFA (${formatIban(registered)}). Vérifiez le changement de coordonnées bancaires auprès du CFA avant toute validation.`,
    { registered, read: iban },
  );
}

/** Runs every control, in the order they are shown. */
export function runControls(facts: ControlFacts): ControlResult[] {
  const { invoice } = facts;
  return [
    controlReadable(invoice),
    controlDuplicateDocument(facts.sameDocumentOn),
    controlMandate(facts),
    controlProFormaNumber(invoice, facts.proForma.number),
    controlTotal(invoice, facts.proForma),
    controlInvoiceNumber(invoice),
    controlInvoiceNumberUnique(invoice, facts.invoiceNumberUsedOn),
    controlSiret(invoice, facts.cfa.siret),
    controlIbanValid(invoice),
    controlIbanMatchesCfa(invoice, facts.cfa.iban),
  ];
}

export type ControlVerdict =
  | { kind: 'REFUSE'; reasonCode: RefusalReasonCode; failed: ControlResult[] }
  | { kind: 'REVIEW'; toReview: ControlResult[] }
  | { kind: 'ALL_PASSED' };

/**
 * What the controls decide: a failed control refuses (with the first failed control's reason); otherwise anything
 * uncertain goes to a validator; otherwise every control passed (a trusted CFA is then validated without a human).
 */
export function controlVerdict(results: readonly ControlResult[]): ControlVerdict {
  const failed = results.filter((r) => r.outcome === 'FAILED');
  if (failed.length > 0) return { kind: 'REFUSE', reasonCode: (failed[0] as ControlResult).reasonCode, failed };
  const toReview = results.filter((r) => r.outcome === 'NEEDS_REVIEW');
  if (toReview.length > 0) return { kind: 'REVIEW', toReview };
  return { kind: 'ALL_PASSED' };
}

function frenchDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}/${m}/${y}`;
}
