import { executionDateAfter, isSettlementDay, planRun, type RunCfa } from '../../domain/payment-run';
import { EPC_MAX_AMOUNT_CENTS } from '../../domain/sepa';

const day = (d: number) => `2026-11-${String(d).padStart(2, '0')}T09:00:00Z`;

describe('the netting of a payment run', () => {
  const cfa: RunCfa = {
    cfaId: 'cfa-a',
    invoices: [
      { number: 'PRO-00000003', amountCents: 50_000, validatedAt: day(3) },
      { number: 'PRO-00000001', amountCents: 100_000, validatedAt: day(1) },
    ],
    deductions: [
      { number: 'PRO-00000005', remainingCents: 30_000, validatedAt: day(5) },
      { number: 'PRO-00000002', remainingCents: 20_000, validatedAt: day(2) },
    ],
  };

  it('pays a CFA once, its invoices less its credit notes, oldest first', () => {
    const plan = planRun([cfa], 'PER_CFA');
    expect(plan.transfers).toEqual([
      {
        cfaId: 'cfa-a',
        invoices: [
          { number: 'PRO-00000001', amountCents: 100_000 },
          { number: 'PRO-00000003', amountCents: 50_000 },
        ],
        deductions: [
          { number: 'PRO-00000002', appliedCents: 20_000, settled: true },
          { number: 'PRO-00000005', appliedCents: 30_000, settled: true },
        ],
        amountCents: 100_000,
      },
    ]);
    expect(plan.carried).toEqual([]);
  });

  it('pays invoice by invoice, each deducting what it can', () => {
    const plan = planRun(
      [{ ...cfa, deductions: [{ number: 'PRO-00000009', remainingCents: 120_000, validatedAt: day(2) }] }],
      'PER_INVOICE',
    );
    expect(plan.transfers.map((t) => [t.invoices.map((i) => i.number), t.deductions, t.amountCents])).toEqual([
      [['PRO-00000001'], [{ number: 'PRO-00000009', appliedCents: 100_000, settled: false }], 0],
      [['PRO-00000003'], [{ number: 'PRO-00000009', appliedCents: 20_000, settled: true }], 30_000],
    ]);
    expect(plan.carried).toEqual([]);
  });

  it('never makes a transfer negative: what a credit note cannot deduct today is carried', () => {
    const plan = planRun(
      [{ ...cfa, deductions: [{ number: 'PRO-00000007', remainingCents: 400_000, validatedAt: day(2) }] }],
      'PER_CFA',
    );
    expect(plan.transfers[0]).toMatchObject({
      amountCents: 0,
      deductions: [{ number: 'PRO-00000007', appliedCents: 150_000, settled: false }],
    });
    expect(plan.carried).toEqual([{ cfaId: 'cfa-a', number: 'PRO-00000007', remainingCents: 250_000 }]);
  });

  it('carries whole the credit notes of a CFA with nothing to pay', () => {
    const plan = planRun([{ cfaId: 'cfa-b', invoices: [], deductions: cfa.deductions }], 'PER_CFA');
    expect(plan.transfers).toEqual([]);
    expect(plan.carried.map((c) => [c.number, c.remainingCents])).toEqual([
      ['PRO-00000002', 20_000],
      ['PRO-00000005', 30_000],
    ]);
  });

  it('leaves out a transfer over the EPC limit whole, deducting nothing for it, and goes on with the rest', () => {
    const big: RunCfa = {
      cfaId: 'cfa-big',
      invoices: [
        { number: 'PRO-00000010', amountCents: EPC_MAX_AMOUNT_CENTS, validatedAt: day(1) },
        { number: 'PRO-00000011', amountCents: 2_000, validatedAt: day(2) },
      ],
      deductions: [{ number: 'PRO-00000012', remainingCents: 1_000, validatedAt: day(1) }],
    };
    const plan = planRun([big, cfa], 'PER_CFA');
    expect(plan.refused).toEqual([
      {
        cfaId: 'cfa-big',
        invoices: ['PRO-00000010', 'PRO-00000011'],
        amountCents: EPC_MAX_AMOUNT_CENTS + 1_000,
        reason: 'AMOUNT_OVER_EPC_LIMIT',
      },
    ]);
    expect(plan.carried).toContainEqual({ cfaId: 'cfa-big', number: 'PRO-00000012', remainingCents: 1_000 });
    expect(plan.transfers.map((t) => t.cfaId)).toEqual(['cfa-a']);
  });

  it('keeps the money: paid plus deducted equals invoiced, deducted plus carried equals what was to deduct', () => {
    for (const grouping of ['PER_CFA', 'PER_INVOICE'] as const) {
      const plan = planRun([cfa], grouping);
      const paid = plan.transfers.reduce((s, t) => s + t.amountCents, 0);
      const deducted = plan.transfers.flatMap((t) => t.deductions).reduce((s, d) => s + d.appliedCents, 0);
      const carried = plan.carried.reduce((s, c) => s + c.remainingCents, 0);
      expect(paid + deducted).toBe(150_000);
      expect(deducted + carried).toBe(50_000);
      expect(plan.transfers.every((t) => t.amountCents >= 0)).toBe(true);
    }
  });
});

describe('the execution date of a run', () => {
  it.each([
    ['2026-12-02', '2026-12-03', 'a Wednesday: the next day'],
    ['2026-12-04', '2026-12-07', 'a Friday: the Monday'],
    ['2026-12-24', '2026-12-28', 'Christmas Eve: past 25 and 26 December and the weekend'],
    ['2027-03-25', '2027-03-30', 'before Good Friday 2027 (26 March): past the weekend and Easter Monday'],
    ['2026-04-30', '2026-05-04', 'before 1 May 2026 (a Friday): the Monday'],
    ['2026-12-31', '2027-01-04', 'New Year’s Eve 2026: past 1 January and the weekend'],
  ])('after %s is %s (%s)', (today, expected) => {
    expect(executionDateAfter(today)).toBe(expected);
  });

  it.each([
    ['2026-04-03', false, 'Good Friday 2026'],
    ['2026-04-06', false, 'Easter Monday 2026'],
    ['2025-04-18', false, 'Good Friday 2025'],
    ['2026-07-14', true, 'Bastille Day: banks settle (not a TARGET2 closing day)'],
    ['2026-12-05', false, 'a Saturday'],
  ])('%s is a settlement day: %s (%s)', (date, expected) => {
    expect(isSettlementDay(date)).toBe(expected);
  });
});
