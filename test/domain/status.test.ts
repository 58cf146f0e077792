import { DomainError } from '../../domain/errors';
import {
  PRO_FORMA_ACTIONS,
  PRO_FORMA_KINDS,
  PRO_FORMA_STATUSES,
  allowedActions,
  assertAllowed,
  statusLabel,
  type ProFormaAction,
  type ProFormaKind,
  type ProFormaStatus,
} from '../../domain/status';

/**
 * The process table of domain.md, written out again here rather than read from domain/status.ts, so that a change
 * of the table in the code has to be made in the test too.
 */
const ALLOWS: Record<ProFormaStatus, Record<ProFormaAction, boolean>> = {
  AWAITING_INVOICE: {
    EXPORT_CONTRACTS: true,
    DEPOSIT_INVOICE: true,
    DECIDE: false,
    CANCEL: true,
    CONFIRM_PAYMENT: false,
  },
  UNDER_VALIDATION: {
    EXPORT_CONTRACTS: true,
    DEPOSIT_INVOICE: true,
    DECIDE: true,
    CANCEL: true,
    CONFIRM_PAYMENT: false,
  },
  VALIDATED: { EXPORT_CONTRACTS: true, DEPOSIT_INVOICE: false, DECIDE: false, CANCEL: false, CONFIRM_PAYMENT: true },
  PAID: { EXPORT_CONTRACTS: true, DEPOSIT_INVOICE: false, DECIDE: false, CANCEL: false, CONFIRM_PAYMENT: false },
  REFUSED: { EXPORT_CONTRACTS: true, DEPOSIT_INVOICE: true, DECIDE: false, CANCEL: true, CONFIRM_PAYMENT: false },
  CANCELLED: {
    EXPORT_CONTRACTS: false,
    DEPOSIT_INVOICE: false,
    DECIDE: false,
    CANCEL: false,
    CONFIRM_PAYMENT: false,
  },
};

/** The French labels users see, per status and kind; only AWAITING_INVOICE reads differently for a credit note. */
const LABELS: [ProFormaStatus, ProFormaKind, string][] = [
  ['AWAITING_INVOICE', 'INVOICE', 'En attente de facture'],
  ['AWAITING_INVOICE', 'CREDIT_NOTE', "En attente d'avoir"],
  ...(['INVOICE', 'CREDIT_NOTE'] as const).flatMap((kind): [ProFormaStatus, ProFormaKind, string][] => [
    ['UNDER_VALIDATION', kind, 'En cours de validation'],
    ['VALIDATED', kind, 'Validé'],
    ['PAID', kind, 'Payé'],
    ['REFUSED', kind, 'Refusé'],
    ['CANCELLED', kind, 'Annulé'],
  ]),
];

function label(status: ProFormaStatus, kind: ProFormaKind): string | undefined {
  return LABELS.find(([s, k]) => s === status && k === kind)?.[2];
}

const ACTION_WORDING: Record<ProFormaAction, string> = {
  EXPORT_CONTRACTS: "l'export des contrats",
  DEPOSIT_INVOICE: 'le dépôt de facture',
  DECIDE: 'une décision de validation',
  CANCEL: "l'annulation",
  CONFIRM_PAYMENT: 'la confirmation de paiement',
};

/** Actions that move a pro forma to another status; exporting its contracts changes nothing. */
const STATE_CHANGES: readonly ProFormaAction[] = ['DEPOSIT_INVOICE', 'DECIDE', 'CANCEL', 'CONFIRM_PAYMENT'];

const cells = PRO_FORMA_STATUSES.flatMap((status) =>
  PRO_FORMA_ACTIONS.flatMap((action) =>
    PRO_FORMA_KINDS.map((kind) => [status, action, kind, ALLOWS[status][action]] as const),
  ),
);

describe('the process table of a pro forma', () => {
  it('has a row for every status and a cell for every action the domain declares', () => {
    expect(Object.keys(ALLOWS).sort()).toEqual([...PRO_FORMA_STATUSES].sort());
    for (const status of PRO_FORMA_STATUSES) {
      expect(Object.keys(ALLOWS[status]).sort()).toEqual([...PRO_FORMA_ACTIONS].sort());
    }
  });

  it.each(PRO_FORMA_STATUSES)('lists for %s exactly the actions the table allows', (status) => {
    const expected = PRO_FORMA_ACTIONS.filter((action) => ALLOWS[status][action]);
    expect([...allowedActions(status)].sort()).toEqual([...expected].sort());
  });

  it.each(cells.filter(([, , , allowed]) => allowed))('lets %s accept %s (%s)', (status, action, kind) => {
    expect(() => assertAllowed(status, action, kind)).not.toThrow();
  });

  it.each(cells.filter(([, , , allowed]) => !allowed))(
    'refuses %s to %s (%s) with ACTION_NOT_ALLOWED naming the status in French',
    (status, action, kind) => {
      let refusal: unknown;
      try {
        assertAllowed(status, action, kind);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(DomainError);
      expect(refusal).toMatchObject({
        code: 'ACTION_NOT_ALLOWED',
        message:
          `Action non autorisée : ${ACTION_WORDING[action]} est impossible au statut ` +
          `« ${label(status, kind)} » (${status}).`,
        details: { status, action },
      });
    },
  );

  const FINAL: readonly ProFormaStatus[] = ['PAID', 'CANCELLED'];

  it.each(FINAL)('%s is final: no deposit, decision, cancellation or payment confirmation moves it on', (status) => {
    expect(allowedActions(status).filter((action) => STATE_CHANGES.includes(action))).toEqual([]);
  });

  it.each(PRO_FORMA_STATUSES.filter((status) => !FINAL.includes(status)))(
    '%s is not final: some action moves it on',
    (status) => {
      expect(allowedActions(status).filter((action) => STATE_CHANGES.includes(action))).not.toEqual([]);
    },
  );

  it('has a French label for every status of each kind', () => {
    const combinations = PRO_FORMA_STATUSES.flatMap((status) => PRO_FORMA_KINDS.map((kind) => `${status} ${kind}`));
    expect(LABELS.map(([status, kind]) => `${status} ${kind}`).sort()).toEqual(combinations.sort());
  });

  it.each(LABELS)('labels %s of a %s « %s »', (status, kind, expected) => {
    expect(statusLabel(status, kind)).toBe(expected);
  });

  it('labels a status as an invoice’s when no kind is given', () => {
    expect(statusLabel('AWAITING_INVOICE')).toBe('En attente de facture');
    expect(() => assertAllowed('PAID', 'CANCEL')).toThrow('« Payé » (PAID)');
  });
});
