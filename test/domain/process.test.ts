import type { DecisionOrigin } from '../../domain/decisions';
import { DomainError } from '../../domain/errors';
import {
  AWAITING_DECISION,
  DASHBOARD,
  DASHBOARD_CATEGORIES,
  FINAL_STATUSES,
  PRO_FORMA_ACTIONS,
  PRO_FORMA_KINDS,
  PRO_FORMA_STAGES,
  PRO_FORMA_STATUSES,
  alertOf,
  allowedActions,
  assertAllowed,
  inCategory,
  isFinalStatus,
  statusLabel,
  type Alert,
  type DashboardCategory,
  type ProFormaAction as Action,
  type ProFormaKind as Kind,
  type ProFormaStage,
  type ProFormaStatus as Status,
} from '../../domain/process';

/*
 * The process of domain.md, written out again here rather than read from domain/process.ts, so that a change of the
 * process in the code has to be made in the test too. Every status is crossed with every stage (and no stage), every
 * action and every kind: the module does not restrict stages to statuses, so neither do the expectations.
 */
type Stage = ProFormaStage | null;
const STATUSES: readonly Status[] = [
  'AWAITING_INVOICE',
  'UNDER_VALIDATION',
  'VALIDATED',
  'PAID',
  'REFUSED',
  'CANCELLED',
];
const STAGES: readonly Stage[] = [
  null,
  'READING',
  'CONTROLLING',
  'AWAITING_DECISION',
  'AWAITING_SECOND_APPROVAL',
  'AWAITING_PAYMENT',
  'PAYMENT_ISSUED',
];
const ACTIONS: readonly Action[] = [
  'EXPORT_CONTRACTS',
  'DEPOSIT_INVOICE',
  'DECIDE',
  'CLAIM',
  'CORRECT_READING',
  'CANCEL',
  'STAFF_CANCEL',
  'RETURN_TO_VALIDATION',
  'CONFIRM_PAYMENT',
  'ISSUE_PAYMENT',
  'REJECT_PAYMENT',
];
const KINDS: readonly Kind[] = ['INVOICE', 'CREDIT_NOTE'];
const ORIGINS: readonly (DecisionOrigin | null)[] = ['AUTOMATIC', 'MANUAL', null];
const FINAL: readonly Status[] = ['PAID', 'CANCELLED'];
const NOT_FINAL: readonly Status[] = ['AWAITING_INVOICE', 'UNDER_VALIDATION', 'VALIDATED', 'REFUSED'];

/** What each status allows, at any of its stages. */
const ALLOWS: Record<Status, readonly Action[]> = {
  AWAITING_INVOICE: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'CANCEL', 'STAFF_CANCEL'],
  UNDER_VALIDATION: [
    'EXPORT_CONTRACTS',
    'DEPOSIT_INVOICE',
    'DECIDE',
    'CLAIM',
    'CORRECT_READING',
    'CANCEL',
    'STAFF_CANCEL',
  ],
  VALIDATED: [
    'EXPORT_CONTRACTS',
    'STAFF_CANCEL',
    'RETURN_TO_VALIDATION',
    'CONFIRM_PAYMENT',
    'ISSUE_PAYMENT',
    'REJECT_PAYMENT',
  ],
  PAID: ['EXPORT_CONTRACTS'],
  REFUSED: ['EXPORT_CONTRACTS', 'DEPOSIT_INVOICE', 'CANCEL', 'STAFF_CANCEL'],
  CANCELLED: [],
};

/** The stages an action is limited to (others: any stage of a status that allows it). */
const ONLY_AT: Partial<Record<Action, readonly Stage[]>> = {
  // A human's decision and claim: the first decision, or the second approval above the four-eyes threshold.
  DECIDE: ['AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL'],
  CLAIM: ['AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL'],
  // A correction before the first approval only.
  CORRECT_READING: ['AWAITING_DECISION'],
  // Before the payment is in a transfer file sent to the bank.
  RETURN_TO_VALIDATION: ['AWAITING_PAYMENT'],
  // A payment run puts the payment in a file; the bank's answer may reject it.
  ISSUE_PAYMENT: ['AWAITING_PAYMENT'],
  REJECT_PAYMENT: ['PAYMENT_ISSUED'],
};

/** Once the transfer is sent to the bank, only its outcome (or the contracts' export) is possible. */
const AT_PAYMENT_ISSUED: readonly Action[] = ['EXPORT_CONTRACTS', 'CONFIRM_PAYMENT', 'REJECT_PAYMENT'];

/** Whether `action` is allowed where the pro forma stands (`undefined` stage: a bare status). */
function allows(status: Status, stage: Stage | undefined, action: Action): boolean {
  const only = ONLY_AT[action];
  if (status === 'VALIDATED' && stage === 'PAYMENT_ISSUED' && !AT_PAYMENT_ISSUED.includes(action)) return false;
  return ALLOWS[status].includes(action) && (only === undefined || stage === undefined || only.includes(stage));
}

/** The label at a position: a validated pro forma whose transfer was sent says so. */
function labelAt(status: Status, stage: Stage | undefined, kind: Kind): string {
  if (status === 'VALIDATED' && stage === 'PAYMENT_ISSUED') {
    return kind === 'CREDIT_NOTE' ? 'Déduit d’un virement émis' : 'Paiement émis';
  }
  return LABELS[kind][status];
}

const INVOICE_LABELS: Record<Status, string> = {
  AWAITING_INVOICE: 'En attente de facture',
  UNDER_VALIDATION: 'En cours de validation',
  VALIDATED: 'Validé',
  PAID: 'Payé',
  REFUSED: 'Refusé',
  CANCELLED: 'Annulé',
};
/** The French labels users see; a credit note waits for an "avoir", not a "facture". */
const LABELS: Record<Kind, Record<Status, string>> = {
  INVOICE: INVOICE_LABELS,
  CREDIT_NOTE: { ...INVOICE_LABELS, AWAITING_INVOICE: "En attente d'avoir" },
};

const WORDING: Record<Action, string> = {
  EXPORT_CONTRACTS: "l'export des contrats",
  DEPOSIT_INVOICE: 'le dépôt de facture',
  DECIDE: 'une décision de validation',
  CLAIM: 'la prise en charge par un valideur',
  CORRECT_READING: 'la correction de la lecture',
  CANCEL: "l'annulation",
  STAFF_CANCEL: "l'annulation par l'Opco",
  RETURN_TO_VALIDATION: 'le retour en validation',
  CONFIRM_PAYMENT: 'la confirmation de paiement',
  ISSUE_PAYMENT: "l'émission du paiement",
  REJECT_PAYMENT: 'le rejet du virement',
};

/** The EDF OA portal's categories: label, and which pro formas each holds. */
const CATEGORIES: Record<
  DashboardCategory,
  {
    label: string;
    holds: (status: Status, stage: Stage, origin: DecisionOrigin | null, deposited: boolean) => boolean;
  }
> = {
  EMISES: { label: 'Émises', holds: (_status, _stage, _origin, deposited) => deposited },
  TRANSMISES: { label: 'Transmises', holds: (status) => status === 'VALIDATED' || status === 'PAID' },
  REFUSEES: { label: 'Refusées', holds: (status, _stage, origin) => status === 'REFUSED' && origin === 'AUTOMATIC' },
  REJETEES: { label: 'Rejetées', holds: (status, _stage, origin) => status === 'REFUSED' && origin === 'MANUAL' },
  // Paid, or whose transfer is sent to the bank (« paiement émis »).
  PRISES_EN_CHARGE: {
    label: 'Prises en charge',
    holds: (status, stage) => status === 'PAID' || (status === 'VALIDATED' && stage === 'PAYMENT_ISSUED'),
  },
};
const categories = Object.keys(CATEGORIES) as DashboardCategory[];

type Outcome = 'allowed' | { code: string; message: string; details: unknown };

/** The expected outcome of `assertAllowed`: nothing, or the refusal with its exact code, message and details. */
function expected(status: Status, stage: Stage | undefined, action: Action, kind: Kind): Outcome {
  if (allows(status, stage, action)) return 'allowed';
  const label = labelAt(status, stage, kind);
  if (action === 'DECIDE') {
    const where = stage ? ` (étape ${stage})` : '';
    return {
      code: 'NO_DECISION_AWAITED',
      message: `Aucune décision n'est attendue : la facture pro forma est au statut « ${label} »${where}.`,
      details: { status, stage: stage ?? null },
    };
  }
  return {
    code: 'ACTION_NOT_ALLOWED',
    message: `Action non autorisée : ${WORDING[action]} est impossible au statut « ${label} » (${status}).`,
    details: { status, action },
  };
}

function outcome(run: () => void): Outcome {
  try {
    run();
    return 'allowed';
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
}

const verdict = (o: Outcome): string => (o === 'allowed' ? 'allowed' : o.code);
const positions = STATUSES.flatMap((status) => STAGES.map((stage) => [status, stage] as const));
const cells = positions.flatMap(([status, stage]) =>
  ACTIONS.flatMap((action) =>
    KINDS.map((kind) => [status, stage, action, kind, verdict(expected(status, stage, action, kind))] as const),
  ),
);
const bareCells = STATUSES.flatMap((status) =>
  ACTIONS.map((action) => [status, action, verdict(expected(status, undefined, action, 'INVOICE'))] as const),
);
const sorted = (actions: readonly Action[]): Action[] => [...actions].sort();

describe('the process of a pro forma', () => {
  it('declares the statuses, stages, actions, kinds, final statuses and categories restated here', () => {
    expect([...PRO_FORMA_STATUSES].sort()).toEqual([...STATUSES].sort());
    expect([null, ...PRO_FORMA_STAGES].sort()).toEqual([...STAGES].sort());
    expect([...PRO_FORMA_ACTIONS].sort()).toEqual([...ACTIONS].sort());
    expect([...PRO_FORMA_KINDS].sort()).toEqual([...KINDS].sort());
    expect([...FINAL_STATUSES].sort()).toEqual([...FINAL].sort());
    expect([...DASHBOARD_CATEGORIES].sort()).toEqual(Object.keys(CATEGORIES).sort());
    expect(AWAITING_DECISION).toEqual({ status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION' });
  });

  it.each(cells)('%s at stage %s: %s for %s is %s', (status, stage, action, kind) => {
    expect(outcome(() => assertAllowed({ status, stage, kind }, action))).toEqual(
      expected(status, stage, action, kind),
    );
  });

  it.each(bareCells)('a bare status %s is judged alone (as an invoice): %s is %s', (status, action) => {
    expect(outcome(() => assertAllowed(status, action))).toEqual(expected(status, undefined, action, 'INVOICE'));
  });

  it('words a refusal exactly in French', () => {
    const position = { status: 'UNDER_VALIDATION', stage: 'READING', kind: 'INVOICE' } as const;
    expect(() => assertAllowed(position, 'DECIDE')).toThrow(
      "Aucune décision n'est attendue : la facture pro forma est au statut « En cours de validation » (étape READING).",
    );
    expect(() => assertAllowed('PAID', 'CANCEL')).toThrow(
      "Action non autorisée : l'annulation est impossible au statut « Payé » (PAID).",
    );
    expect(() => assertAllowed({ status: 'AWAITING_INVOICE', stage: null, kind: 'CREDIT_NOTE' }, 'DECIDE')).toThrow(
      "Aucune décision n'est attendue : la facture pro forma est au statut « En attente d'avoir ».",
    );
    expect(() => assertAllowed('AWAITING_INVOICE', 'CONFIRM_PAYMENT')).toThrow(
      'Action non autorisée : la confirmation de paiement est impossible au statut « En attente de facture » ' +
        '(AWAITING_INVOICE).',
    );
  });

  it.each(positions)('lists for %s at stage %s exactly the actions allowed there', (status, stage) => {
    const allowed = ACTIONS.filter((action) => allows(status, stage, action));
    expect(sorted(allowedActions({ status, stage }))).toEqual(sorted(allowed));
  });

  it.each(STATUSES)('lists for a bare status %s the actions it allows at any stage', (status) => {
    expect(sorted(allowedActions(status))).toEqual(sorted(ALLOWS[status]));
  });

  /** Actions that move a pro forma to another status; exporting its contracts changes nothing. */
  const changes = (actions: readonly Action[]) => actions.filter((action) => action !== 'EXPORT_CONTRACTS');

  it.each(FINAL)('%s is final: no position of it allows a state change', (status) => {
    expect(isFinalStatus(status)).toBe(true);
    expect(changes(allowedActions(status))).toEqual([]);
    for (const stage of STAGES) expect(changes(allowedActions({ status, stage }))).toEqual([]);
  });

  it.each(NOT_FINAL)('%s is not final: every position of it allows a state change', (status) => {
    expect(isFinalStatus(status)).toBe(false);
    expect(changes(allowedActions(status)).length).toBeGreaterThan(0);
    for (const stage of STAGES) expect(changes(allowedActions({ status, stage })).length).toBeGreaterThan(0);
  });

  const labels = KINDS.flatMap((kind) => STATUSES.map((status) => [status, kind, LABELS[kind][status]] as const));

  it.each(labels)('labels %s of a %s « %s »', (status, kind, label) => {
    expect(statusLabel(status, kind)).toBe(label);
  });

  it.each(KINDS)('labels a validated %s whose transfer was sent to the bank', (kind) => {
    expect(statusLabel('VALIDATED', kind, 'PAYMENT_ISSUED')).toBe(labelAt('VALIDATED', 'PAYMENT_ISSUED', kind));
    expect(statusLabel('VALIDATED', kind, 'AWAITING_PAYMENT')).toBe('Validé');
  });

  it.each(STATUSES)('labels %s as an invoice’s when no kind is given', (status) => {
    expect(statusLabel(status)).toBe(LABELS.INVOICE[status]);
  });
});

/** Who is alerted while a pro forma waits: the CFA for its invoice, the validators for their decision. */
function expectedAlert(status: Status, stage: Stage, owesRepayment: boolean): Alert | undefined {
  if (status === 'AWAITING_INVOICE' || status === 'REFUSED') return 'REMIND_CFA';
  if (status === 'UNDER_VALIDATION' && (stage === 'AWAITING_DECISION' || stage === 'AWAITING_SECOND_APPROVAL')) {
    return 'ALERT_VALIDATORS';
  }
  // A validated REMBOURSEMENT credit note: the CFA is reminded to pay it back until its transfer is received.
  if (owesRepayment && status === 'VALIDATED' && stage === 'AWAITING_PAYMENT') return 'REMIND_REPAYMENT';
  return undefined;
}

describe('the alerts of a wait', () => {
  const waits = positions.flatMap(([status, stage]) =>
    [false, true].map(
      (owes) =>
        [status, stage, owes ? 'owing' : 'owing nothing', expectedAlert(status, stage, owes) ?? 'no one'] as const,
    ),
  );
  it.each(waits)('%s at stage %s, the CFA %s, alerts %s', (status, stage, owes) => {
    const owesRepayment = owes === 'owing';
    expect(alertOf({ status, stage }, owesRepayment)).toBe(expectedAlert(status, stage, owesRepayment));
  });
});

describe('the dashboard', () => {
  const rows = categories.flatMap((category) =>
    positions.flatMap(([status, stage]) =>
      ORIGINS.flatMap((origin) =>
        [true, false].map((deposited) => {
          const holds = CATEGORIES[category].holds(status, stage, origin, deposited);
          return [category, holds ? 'holds' : 'leaves out', status, stage, origin, deposited] as const;
        }),
      ),
    ),
  );

  it.each(rows)(
    '%s %s a %s pro forma at stage %s refused by %s, deposited: %s',
    (category, holds, status, stage, origin, deposited) => {
      expect(inCategory(category, { status, stage, refusalOrigin: origin, deposited })).toBe(holds === 'holds');
    },
  );

  it.each(categories)('labels %s in the portal’s words', (category) => {
    expect(DASHBOARD[category].label).toBe(CATEGORIES[category].label);
  });
});
