import { reconcile, rejectReasonLabel, type BankLine, type KnownTransfer } from '../../domain/reconciliation';

const line = (overrides: Partial<BankLine>): BankLine => ({
  endToEndId: null,
  direction: 'DEBIT',
  status: 'BOOKED',
  amountCents: null,
  date: '2026-12-03',
  bankReference: 'BQ-1',
  reasonCode: null,
  remittance: null,
  ...overrides,
});

const transfers: KnownTransfer[] = [
  { endToEndId: 'RUN-1-1', amountCents: 405_150, state: 'ISSUED' },
  { endToEndId: 'RUN-1-2', amountCents: 5_000, state: 'ISSUED' },
  { endToEndId: 'RUN-1-3', amountCents: 12_000, state: 'BOOKED' },
  { endToEndId: 'RUN-1-4', amountCents: 7_000, state: 'REJECTED' },
];

describe('the reconciliation of the bank’s answer', () => {
  it('books, rejects and receives each line once, and reports the others with their reason', () => {
    const report = reconcile(
      [
        line({ endToEndId: 'RUN-1-1', amountCents: 405_150 }),
        line({ endToEndId: 'RUN-1-2', status: 'REJECTED', reasonCode: 'AC04' }),
        line({ endToEndId: 'RUN-1-1', amountCents: 405_150 }),
        line({ endToEndId: 'RUN-1-3', amountCents: 12_000 }),
        line({ endToEndId: 'RUN-9-9', amountCents: 100 }),
        line({ endToEndId: 'RUN-1-4', status: 'REJECTED' }),
        line({ endToEndId: 'RUN-1-2', status: 'PENDING' }),
        line({ direction: 'CREDIT', amountCents: 41_350, remittance: 'Remboursement avoir PRO-00000002' }),
        line({ direction: 'CREDIT', amountCents: 41_350, remittance: 'Remboursement avoir PRO-00000002' }),
        line({ direction: 'CREDIT', amountCents: 999, remittance: 'Virement divers' }),
      ],
      transfers,
      [{ number: 'PRO-00000002', amountCents: 41_350, received: false }],
    );
    expect(report.actions).toEqual([
      { line: 1, action: { kind: 'BOOK', endToEndId: 'RUN-1-1', date: '2026-12-03', bankReference: 'BQ-1' } },
      { line: 2, action: { kind: 'REJECT', endToEndId: 'RUN-1-2', reasonCode: 'AC04', date: '2026-12-03' } },
      {
        line: 8,
        action: {
          kind: 'RECEIVE',
          number: 'PRO-00000002',
          amountCents: 41_350,
          date: '2026-12-03',
          bankReference: 'BQ-1',
        },
      },
    ]);
    expect(report.reported.map((r) => [r.line, r.reason])).toEqual([
      [3, 'DUPLICATE_IN_FILE'],
      [4, 'ALREADY_APPLIED'],
      [5, 'UNKNOWN_TRANSFER'],
      [6, 'ALREADY_APPLIED'],
      [7, 'PENDING'],
      [9, 'ALREADY_APPLIED'],
      [10, 'UNMATCHED_CREDIT'],
    ]);
  });

  it('applies nothing for a booked amount that differs from the transfer', () => {
    const report = reconcile([line({ endToEndId: 'RUN-1-2', amountCents: 5_001 })], transfers, []);
    expect(report.actions).toEqual([]);
    expect(report.reported).toEqual([
      {
        line: 1,
        reason: 'AMOUNT_MISMATCH',
        endToEndId: 'RUN-1-2',
        detail: 'RUN-1-2 : 5001 centimes débités pour 5000 ordonnés',
      },
    ]);
  });

  it('reports a transfer the bank returns after booking it, and applies nothing (the pro formas are paid)', () => {
    const report = reconcile(
      [line({ endToEndId: 'RUN-1-3', direction: 'CREDIT', status: 'REJECTED', reasonCode: 'AC01' })],
      transfers,
      [],
    );
    expect(report.actions).toEqual([]);
    expect(report.reported).toEqual([
      {
        line: 1,
        reason: 'RETURNED_AFTER_BOOKING',
        endToEndId: 'RUN-1-3',
        detail:
          'RUN-1-3 retourné par la banque après comptabilisation (AC01 — Numéro de compte incorrect) : ' +
          'les pro formas sont déjà payées, à traiter à la main',
      },
    ]);
  });

  it('reports a return that follows the booking in the same file', () => {
    const report = reconcile(
      [
        line({ endToEndId: 'RUN-1-2', amountCents: 5_000 }),
        line({ endToEndId: 'RUN-1-2', direction: 'CREDIT', status: 'REJECTED', reasonCode: 'MD07' }),
      ],
      transfers,
      [],
    );
    expect(report.actions.map((a) => a.action.kind)).toEqual(['BOOK']);
    expect(report.reported.map((r) => [r.line, r.reason])).toEqual([[2, 'RETURNED_AFTER_BOOKING']]);
  });

  it('still rejects an issued transfer, and says a rejected one is already applied', () => {
    const report = reconcile(
      [
        line({ endToEndId: 'RUN-1-2', status: 'REJECTED', reasonCode: 'AM04' }),
        line({ endToEndId: 'RUN-1-4', status: 'REJECTED', reasonCode: 'AM04' }),
      ],
      transfers,
      [],
    );
    expect(report.actions.map((a) => a.action)).toEqual([
      { kind: 'REJECT', endToEndId: 'RUN-1-2', reasonCode: 'AM04', date: '2026-12-03' },
    ]);
    expect(report.reported.map((r) => [r.line, r.reason])).toEqual([[2, 'ALREADY_APPLIED']]);
  });

  it('gives the same answer to the same file applied after its first application (nothing twice)', () => {
    const lines = [line({ endToEndId: 'RUN-1-1', amountCents: 405_150 })];
    const first = reconcile(lines, transfers, []);
    expect(first.actions).toHaveLength(1);
    const after = transfers.map((t) => (t.endToEndId === 'RUN-1-1' ? { ...t, state: 'BOOKED' as const } : t));
    const second = reconcile(lines, after, []);
    expect(second.actions).toEqual([]);
    expect(second.reported.map((r) => r.reason)).toEqual(['ALREADY_APPLIED']);
  });
});

describe('the labels of the bank’s reason codes', () => {
  it.each([
    ['AC01', 'AC01 — Numéro de compte incorrect'],
    ['AC04', 'AC04 — Compte clôturé'],
    ['AC06', 'AC06 — Compte bloqué'],
    ['AM04', 'AM04 — Provision insuffisante'],
    ['AM05', 'AM05 — Doublon'],
    ['MD07', 'MD07 — Titulaire décédé'],
    ['MS03', 'MS03 — Raison non précisée'],
    ['RC01', 'RC01 — BIC incorrect'],
    [' ac04 ', 'AC04 — Compte clôturé'],
  ])('names %s', (code, label) => {
    expect(rejectReasonLabel(code)).toBe(label);
  });

  it('labels every usual code in French, with its code first', () => {
    for (const code of ['AG01', 'AG02', 'BE04', 'MS02', 'RR01', 'RR02', 'RR03', 'RR04', 'FF01', 'DUPL', 'CUST']) {
      expect(rejectReasonLabel(code)).toMatch(new RegExp(`^${code} — \\S`));
    }
  });

  it('names an unknown code as it is, and says when the bank gave none', () => {
    expect(rejectReasonLabel('XY99')).toBe('Motif XY99');
    expect(rejectReasonLabel(null)).toBe('Motif non précisé');
    expect(rejectReasonLabel('')).toBe('Motif non précisé');
  });
});

describe('money coming back on a transfer', () => {
  it('is a return even without the bank’s reason: the transfer is rejected, never booked', () => {
    const report = reconcile(
      [
        {
          endToEndId: 'RUN-20261202-01-0001',
          direction: 'CREDIT',
          status: 'BOOKED',
          amountCents: 10_000,
          date: '2026-12-04',
          bankReference: 'RET-1',
          reasonCode: null,
          remittance: null,
        },
      ],
      [{ endToEndId: 'RUN-20261202-01-0001', amountCents: 10_000, state: 'ISSUED' }],
      [],
    );
    expect(report.actions).toEqual([
      {
        line: 1,
        action: { kind: 'REJECT', endToEndId: 'RUN-20261202-01-0001', reasonCode: null, date: '2026-12-04' },
      },
    ]);
    expect(report.reported).toEqual([]);
  });
});
