import { DomainError } from '../../domain/errors';
import {
  MAX_PRO_FORMA_LINES,
  planSelection,
  recap,
  splitBySign,
  type BillableInstallment,
} from '../../domain/pro-forma';

/** Installments named by their amount: `i(300_000)` is installment "300000". */
const i = (amountCents: number, id = String(amountCents)): BillableInstallment => ({ id, amountCents });

describe('splitBySign: the pro formas one generation makes', () => {
  it.each<[string, BillableInstallment[], { kind: string; totalCents: number; ids: string[] }[]]>([
    [
      'mixed installments make an invoice of the positive ones and a credit note of the negative ones',
      [i(300_000), i(-41_350), i(120_050), i(-8_000)],
      [
        { kind: 'INVOICE', totalCents: 420_050, ids: ['300000', '120050'] },
        { kind: 'CREDIT_NOTE', totalCents: -49_350, ids: ['-41350', '-8000'] },
      ],
    ],
    [
      'a credit note comes second even when the negative installment is selected first',
      [i(-1), i(1)],
      [
        { kind: 'INVOICE', totalCents: 1, ids: ['1'] },
        { kind: 'CREDIT_NOTE', totalCents: -1, ids: ['-1'] },
      ],
    ],
    [
      'positive installments only make one invoice',
      [i(257_500), i(100)],
      [{ kind: 'INVOICE', totalCents: 257_600, ids: ['257500', '100'] }],
    ],
    [
      'negative installments only make one credit note',
      [i(-12_000), i(-3_000)],
      [{ kind: 'CREDIT_NOTE', totalCents: -15_000, ids: ['-12000', '-3000'] }],
    ],
    ['an empty selection makes nothing', [], []],
  ])('%s', (_case, installments, expected) => {
    const planned = splitBySign(installments).map((p) => ({
      kind: p.kind,
      totalCents: p.totalCents,
      ids: p.lines.map((line) => line.id),
    }));
    expect(planned).toEqual(expected);
  });

  it('keeps each installment object as the line it bills, with its extra fields', () => {
    const refund = { id: 'r', amountCents: -500, contract: 'C-1' };
    const [credit] = splitBySign([refund]);
    expect(credit?.lines[0]).toBe(refund);
  });

  it('accepts MAX_PRO_FORMA_LINES installments and refuses one more with SELECTION_TOO_LARGE, in French', () => {
    const most = Array.from({ length: MAX_PRO_FORMA_LINES }, (_, n) => i(n % 2 === 0 ? 100 : -100, `i${n}`));
    expect(splitBySign(most).map((p) => [p.kind, p.lines.length, p.totalCents])).toEqual([
      ['INVOICE', MAX_PRO_FORMA_LINES / 2, (MAX_PRO_FORMA_LINES / 2) * 100],
      ['CREDIT_NOTE', MAX_PRO_FORMA_LINES / 2, (MAX_PRO_FORMA_LINES / 2) * -100],
    ]);

    let refusal: unknown;
    try {
      splitBySign([...most, i(100, 'one-more')]);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({
      code: 'SELECTION_TOO_LARGE',
      message: expect.stringMatching(
        /^La sélection compte 10\s001 échéances : une génération en facture au plus 10\s000\./,
      ),
      details: { count: MAX_PRO_FORMA_LINES + 1, maxLines: MAX_PRO_FORMA_LINES },
    });
  });
});

describe('recap: what the CFA sees before generating', () => {
  it('counts every installment and sums the invoice and credit parts, the total lying between them', () => {
    expect(recap([i(300_000), i(-41_350), i(120_050)])).toEqual({
      count: 3,
      invoiceCents: 420_050,
      creditCents: -41_350,
      totalCents: 378_700,
    });
  });

  it('gives zeros for an empty selection', () => {
    expect(recap([])).toEqual({ count: 0, invoiceCents: 0, creditCents: 0, totalCents: 0 });
  });
});

describe('planSelection: what a CFA asks to bill, checked against what is eligible', () => {
  const eligible = [i(300_000), i(-41_350), i(120_050)];

  it('bills every eligible installment when none is named, the credit note settled the CFA’s way', () => {
    expect(
      planSelection(eligible, { nature: 'PEDAGOGIE' }, 'DEDUCTION').map((p) => [
        p.kind,
        p.totalCents,
        p.settlementMode,
      ]),
    ).toEqual([
      ['INVOICE', 420_050, null],
      ['CREDIT_NOTE', -41_350, 'DEDUCTION'],
    ]);
  });

  it('bills only the named installments, with the settlement mode asked for', () => {
    const plans = planSelection(
      eligible,
      { nature: 'PEDAGOGIE', installmentIds: ['-41350'], settlementMode: 'REMBOURSEMENT' },
      'DEDUCTION',
    );
    expect(plans).toEqual([
      { kind: 'CREDIT_NOTE', totalCents: -41_350, lines: [eligible[1]], settlementMode: 'REMBOURSEMENT' },
    ]);
  });

  it('refuses installments that are not eligible, naming them', () => {
    expect(() =>
      planSelection(eligible, { nature: 'FRAIS_ANNEXES', installmentIds: ['300000', 'gone'] }, 'DEDUCTION'),
    ).toThrow(
      expect.objectContaining({
        code: 'INSTALLMENT_NOT_ELIGIBLE',
        message: '1 échéance(s) ne sont pas (ou plus) éligibles à la facturation en Frais annexes.',
        details: { installmentIds: ['gone'] },
      }),
    );
  });

  it('refuses an empty selection', () => {
    expect(() => planSelection([], { nature: 'MOBILITE' }, 'DEDUCTION')).toThrow(
      expect.objectContaining({ code: 'EMPTY_SELECTION', message: 'Aucune échéance éligible en Mobilité.' }),
    );
  });
});
