import fc from 'fast-check';
import { DomainError } from '../../domain/errors';
import { MAX_EXACT_SUM_TERMS, MAX_AMOUNT_CENTS, isBoundedCents, sumCents, sumCentsExact } from '../../domain/money';
import { MAX_PRO_FORMA_LINES, recap, splitBySign } from '../../domain/pro-forma';

/** Amounts anywhere in ±MAX_AMOUNT_CENTS; fast-check favours the bounds and zero. */
const bounded = fc.integer({ min: -MAX_AMOUNT_CENTS, max: MAX_AMOUNT_CENTS });
const installmentAmount = bounded.filter((cents) => cents !== 0);

/**
 * Many bounded amounts without generating each one: runs of one amount repeated, up to 90,000 in all, which is as
 * many as MAX_EXACT_SUM_TERMS allows (90,071).
 */
const manyBounded = fc
  .array(fc.record({ amount: bounded, times: fc.integer({ min: 1, max: 5_000 }) }), { maxLength: 18 })
  .map((runs) => runs.flatMap(({ amount, times }) => Array<number>(times).fill(amount)));

function reference(values: readonly number[]): bigint {
  return values.reduce((total, value) => total + BigInt(value), 0n);
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function installments(amounts: readonly number[]) {
  return amounts.map((amountCents, i) => ({ id: `i-${i}`, amountCents }));
}

describe('amount bounds', () => {
  it.each([
    [MAX_AMOUNT_CENTS, true],
    [-MAX_AMOUNT_CENTS, true],
    [0, true],
    [MAX_AMOUNT_CENTS + 1, false],
    [-MAX_AMOUNT_CENTS - 1, false],
    [Number.MAX_SAFE_INTEGER, false],
    [0.5, false],
    [Number.NaN, false],
  ])('judges %p within the bound of an installment: %p', (cents, within) => {
    expect(isBoundedCents(cents)).toBe(within);
  });

  it('bounds one installment to 999,999,999.99 €, the SEPA limit', () => {
    expect(MAX_AMOUNT_CENTS).toBe(99_999_999_999);
    expect(MAX_EXACT_SUM_TERMS).toBe(90_071);
  });
});

describe('sums of bounded amounts', () => {
  it('sums any list of bounded amounts exactly, as a bigint reference does', () => {
    fc.assert(
      fc.property(fc.array(bounded, { maxLength: 2_000 }), (values) => {
        expect(sumCentsExact(values)).toBe(reference(values));
        expect(sumCents(values)).toBe(Number(reference(values)));
      }),
    );
  });

  it('never throws on up to 90,000 bounded amounts and stays exact', () => {
    fc.assert(
      fc.property(manyBounded, (values) => {
        expect(BigInt(sumCents(values))).toBe(reference(values));
      }),
      { numRuns: 50 },
    );
  });

  it('sums MAX_EXACT_SUM_TERMS amounts at the bound exactly, and refuses one more as a 422, not a crash', () => {
    const most = Array<number>(MAX_EXACT_SUM_TERMS).fill(MAX_AMOUNT_CENTS);

    expect(sumCents(most)).toBe(9_007_099_999_909_929);
    expect(sumCents(most.map((cents) => -cents))).toBe(-9_007_099_999_909_929);
    const error = thrown(() => sumCents([...most, MAX_AMOUNT_CENTS]));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'AMOUNT_OUT_OF_RANGE',
      message:
        'Le total des 90\u202f072 échéances dépasse 90\u202f071\u202f992\u202f547\u202f409,91\u00a0€ : réduisez la sélection.',
    });
    expect(sumCentsExact([...most, MAX_AMOUNT_CENTS])).toBe(9_007_199_999_909_928n);
  });
});

describe('recap and generation totals', () => {
  it('recaps any selection of bounded installments exactly: invoice, credit note and total', () => {
    fc.assert(
      fc.property(fc.array(installmentAmount, { maxLength: 2_000 }), (amounts) => {
        const positive = amounts.filter((cents) => cents > 0);
        const negative = amounts.filter((cents) => cents < 0);

        expect(recap(installments(amounts))).toEqual({
          count: amounts.length,
          invoiceCents: Number(reference(positive)),
          creditCents: Number(reference(negative)),
          totalCents: Number(reference(amounts)),
        });
      }),
    );
  });

  it('totals each generated pro forma exactly, far below 2^53, up to MAX_PRO_FORMA_LINES lines', () => {
    fc.assert(
      fc.property(fc.array(installmentAmount, { maxLength: MAX_PRO_FORMA_LINES }), (amounts) => {
        for (const plan of splitBySign(installments(amounts))) {
          expect(BigInt(plan.totalCents)).toBe(reference(plan.lines.map((line) => line.amountCents)));
          expect(Math.abs(plan.totalCents)).toBeLessThanOrEqual(MAX_PRO_FORMA_LINES * MAX_AMOUNT_CENTS);
        }
      }),
      { numRuns: 50 },
    );
    expect(MAX_PRO_FORMA_LINES * MAX_AMOUNT_CENTS).toBeLessThan(Number.MAX_SAFE_INTEGER / 9);
  });

  it('generates the largest pro formas: MAX_PRO_FORMA_LINES installments at the bound, of each sign', () => {
    const amounts = [
      ...Array<number>(MAX_PRO_FORMA_LINES / 2).fill(MAX_AMOUNT_CENTS),
      ...Array<number>(MAX_PRO_FORMA_LINES / 2).fill(-MAX_AMOUNT_CENTS),
    ];

    expect(splitBySign(installments(amounts)).map(({ kind, totalCents }) => ({ kind, totalCents }))).toEqual([
      { kind: 'INVOICE', totalCents: 499_999_999_995_000 },
      { kind: 'CREDIT_NOTE', totalCents: -499_999_999_995_000 },
    ]);
    expect(splitBySign(installments(Array<number>(MAX_PRO_FORMA_LINES).fill(MAX_AMOUNT_CENTS)))).toMatchObject([
      { kind: 'INVOICE', totalCents: 999_999_999_990_000 },
    ]);
  });

  it('refuses to generate from more than MAX_PRO_FORMA_LINES installments, in French', () => {
    const selection = installments(Array<number>(MAX_PRO_FORMA_LINES + 1).fill(100));

    const error = thrown(() => splitBySign(selection));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'SELECTION_TOO_LARGE',
      message:
        'La sélection compte 10\u202f001 échéances : une génération en facture au plus 10\u202f000. ' +
        'Choisissez les échéances à inclure.',
      details: { count: 10_001, maxLines: 10_000 },
    });
  });
});
