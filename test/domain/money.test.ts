import { DomainError } from '../../domain/errors';
import {
  assertSafeCents,
  centsToDecimalString,
  formatCentsFrench,
  formatEuros,
  isSafeCents,
  parseAmountToCents,
  sumCents,
} from '../../domain/money';

const NBSP = '\u00a0';
const NNBSP = '\u202f';

describe('parseAmountToCents', () => {
  it.each([
    ['96 540,00 €', 9_654_000],
    [`96${NBSP}540,00${NBSP}€`, 9_654_000],
    [`96${NNBSP}540,00${NBSP}€`, 9_654_000],
    ['96.540,00', 9_654_000],
    ['96,540.00', 9_654_000],
    ["96'540.00", 9_654_000],
    ['96’540.00 CHF', 9_654_000],
    ['-4 135 €', -413_500],
    ['−4 135 €', -413_500],
    ['4 135- €', -413_500],
    ['(1 575,00 €)', -157_500],
    ['1 575,00 EUR', 157_500],
    ['EUR 1,575.00', 157_500],
    ['€ 1 575,00', 157_500],
    ['€135.00', 13_500],
    ['- €14.00', -1_400],
    ['€-14.00', -1_400],
    ['+12,50', 1_250],
    ['1 575 euros', 157_500],
    ['£0.50', 50],
    ['1.234.567,89', 123_456_789],
    ['1,234,567.89', 123_456_789],
    ['1 234 567,89', 123_456_789],
    ['1575', 157_500],
    ['1575,5', 157_550],
    ['0,05', 5],
    ['0.5', 50],
    ['-0,00', 0],
    ['3,9000', 390],
    ['1 234,500', 123_450],
    ['4,135', 413_500],
    ['1.000', 100_000],
    ['  671,15 €  ', 67_115],
  ])('reads %j as %i cents', (text, cents) => {
    expect(parseAmountToCents(text)).toBe(cents);
  });

  it.each([
    [''],
    ['€'],
    ['-'],
    ['abc'],
    ['12 34'],
    ['1 23,00'],
    ['12.34.56'],
    ['1.2345,00'],
    ['0,025'],
    ['9,9050'],
    ['17/05/2022'],
    ['17.05.2022'],
    ['2023-09-18'],
    ['10%'],
    ['--5,00'],
    ['(-5,00)'],
    ['1,234.567,89'],
    ['1 000.000,00'],
    ['5,'],
    [',50'],
    ['12 €34'],
    ['99999999999999999,00'],
  ])('refuses %j, which is not exactly one amount', (text) => {
    expect(parseAmountToCents(text)).toBeNull();
  });

  it('never goes through floats: 0,07 and 1 234 567,29 are exact', () => {
    expect(parseAmountToCents('0,07')).toBe(7);
    expect(parseAmountToCents('1 234 567,29')).toBe(123_456_729);
    expect(parseAmountToCents('4,35')).toBe(435);
  });

  it.each([0, 1, 7, 99, 100, 157_500, 9_654_000, -413_500, -5, 123_456_789_012])(
    'reads back what formatEuros printed for %i cents',
    (cents) => {
      expect(parseAmountToCents(formatEuros(cents))).toBe(cents);
    },
  );
});

describe('formatEuros', () => {
  it.each([
    [157_500, `1${NNBSP}575,00${NBSP}€`],
    [9_654_000, `96${NNBSP}540,00${NBSP}€`],
    [5, `0,05${NBSP}€`],
    [0, `0,00${NBSP}€`],
    [-413_500, `-4${NNBSP}135,00${NBSP}€`],
    [123_456_789, `1${NNBSP}234${NNBSP}567,89${NBSP}€`],
  ])('prints %i cents as %j', (cents, text) => {
    expect(formatEuros(cents)).toBe(text);
  });

  it.each([0, 5, 99, 100, 99_999, 100_000, 157_550, -1, -157_500, 987_654_321_098])(
    'prints %i cents exactly as Intl fr-FR does',
    (cents) => {
      const intl = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
      expect(formatEuros(cents)).toBe(intl.format(cents / 100));
    },
  );

  it('refuses a value that is not an integer number of cents', () => {
    expect(() => formatEuros(1.5)).toThrow(RangeError);
    expect(() => formatEuros(Number.NaN)).toThrow(RangeError);
  });
});

describe('other forms and checks', () => {
  it.each([
    [157_500, '1575.00'],
    [5, '0.05'],
    [-413_550, '-4135.50'],
    [0, '0.00'],
  ])('writes %i cents in machine form as %j', (cents, text) => {
    expect(centsToDecimalString(cents)).toBe(text);
  });

  it('writes French digits without the currency for letters', () => {
    expect(formatCentsFrench(9_654_000)).toBe(`96${NNBSP}540,00`);
  });

  it.each([
    [0, true],
    [-157_500, true],
    [Number.MAX_SAFE_INTEGER, true],
    [Number.MAX_SAFE_INTEGER + 1, false],
    [0.5, false],
    [Number.NaN, false],
    ['100', false],
  ])('judges %p a safe number of cents: %p', (value, safe) => {
    expect(isSafeCents(value)).toBe(safe);
  });

  it('sums cents exactly and refuses a total beyond the safe integers as a business error, not a crash', () => {
    expect(sumCents([10, 20, -5])).toBe(25);
    expect(sumCents([])).toBe(0);
    expect(() => sumCents([Number.MAX_SAFE_INTEGER, 1])).toThrow(DomainError);
    expect(() => assertSafeCents(0.1 + 0.2)).toThrow(RangeError);
  });
});
