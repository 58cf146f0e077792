import { isSepaAmount, isSepaId, remittanceInformation, sepaAmount, toSepaText } from '../../domain/sepa';

describe('SEPA text and identifiers', () => {
  it.each([
    ['CFA des Métiers de l’Île-de-France', "CFA des Metiers de l'Ile-de-France"],
    ['Œuvre « Saint-Éloi » & Cie', 'OEuvre Saint-Eloi + Cie'],
    ['Straße_Nord 12 — bâtiment B', 'Strasse-Nord 12 - batiment B'],
    ['Façade\u00a0ÇA ; tabulation\tet retour\n', 'Facade CA tabulation et retour'],
    ['北京 CFA', 'CFA'],
    ['', ''],
  ])('writes %j in the SEPA character set as %j', (text, sepa) => {
    expect(toSepaText(text)).toBe(sepa);
    expect(toSepaText(text)).toMatch(/^[A-Za-z0-9/\-?:().,'+ ]*$/);
  });

  it('cuts to the length asked without a trailing space', () => {
    expect(toSepaText('Factures PRO-00000001 PRO-00000002', 22)).toBe('Factures PRO-00000001');
    expect(toSepaText('a'.repeat(200))).toHaveLength(140);
  });

  it.each([
    ['RUN-20261202-1', true],
    ['RUN-20261202-1/PRO-00000042', true],
    ['/RUN', false],
    ['RUN/', false],
    ['RUN//1', false],
    ['RUN 1', false],
    ['RUN-É', false],
    ['x'.repeat(35), true],
    ['x'.repeat(36), false],
    ['', false],
  ])('judges %j as an identifier: %s', (id, ok) => {
    expect(isSepaId(id)).toBe(ok);
  });

  it('writes amounts with two decimals, and knows the EPC range', () => {
    expect(sepaAmount(123_456)).toBe('1234.56');
    expect(sepaAmount(5)).toBe('0.05');
    expect(sepaAmount(99_999_999_999)).toBe('999999999.99');
    expect(() => sepaAmount(-1)).toThrow(RangeError);
    expect([0, 1, 99_999_999_999, 100_000_000_000, -5, 1.5].map(isSepaAmount)).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('remittance information', () => {
  it('names the invoices paid and the credit notes deducted', () => {
    expect(remittanceInformation(['PRO-00000001', 'PRO-00000003'], ['PRO-00000002'])).toBe(
      'Factures PRO-00000001 PRO-00000003 moins avoirs PRO-00000002',
    );
    expect(remittanceInformation(['PRO-00000001'], [])).toBe('Factures PRO-00000001');
  });

  it('counts the numbers that do not fit in 140 characters, never cutting one', () => {
    const invoices = Array.from({ length: 12 }, (_, i) => `PRO-${String(i + 1).padStart(8, '0')}`);
    const text = remittanceInformation(invoices, ['PRO-00000099', 'PRO-00000098']);
    expect(text.length).toBeLessThanOrEqual(140);
    const shown = text.match(/PRO-\d{8}/g) ?? [];
    const hidden = Number(/\+(\d+)$/.exec(text)?.[1]);
    expect(shown.length + hidden).toBe(14);
    for (const number of shown) expect([...invoices, 'PRO-00000099', 'PRO-00000098']).toContain(number);
  });
});
