import {
  IBAN_LENGTHS,
  PRO_FORMA_NUMBER,
  formatIban,
  formatProFormaNumber,
  frenchVatFromSiren,
  ibanMod97,
  isLuhnValid,
  isProFormaNumber,
  isValidFrenchVat,
  isValidIban,
  isValidSiren,
  isValidSiret,
  normalizeIban,
  normalizeSiret,
  normalizeVatId,
  sirenOfSiret,
} from '../../domain/identifiers';

describe('SIRET and SIREN', () => {
  it.each([
    ['73282932000074', true],
    ['732 829 320 00074', true],
    ['732.829.320.00074', true],
    ['732\u00a0829\u00a0320\u202f00074', true],
    ['12345678200077', true],
    ['35600000049837', true],
    ['35600000000048', true],
    ['73282932000075', false],
    ['7328293200007', false],
    ['732829320000740', false],
    ['7328293200007A', false],
    ['35600000049838', false],
    ['99999999800010', false],
    ['', false],
  ])('judges SIRET %j valid: %p', (siret, valid) => {
    expect(isValidSiret(siret)).toBe(valid);
  });

  it('accepts a La Poste establishment whose Luhn fails but whose digit sum is a multiple of 5', () => {
    expect(isLuhnValid('35600000049837')).toBe(false);
    expect(isValidSiret('35600000049837')).toBe(true);
  });

  it('refuses a 14-digit number passing Luhn whose SIREN part does not', () => {
    expect(isLuhnValid('10000000000008')).toBe(true);
    expect(isValidSiret('10000000000008')).toBe(false);
  });

  it.each([
    ['732829320', true],
    ['732 829 320', true],
    ['552081317', true],
    ['356000000', true],
    ['732829321', false],
    ['73282932', false],
    ['73282932A', false],
  ])('judges SIREN %j valid: %p', (siren, valid) => {
    expect(isValidSiren(siren)).toBe(valid);
  });

  it.each([
    ['732 829 320 00074', '73282932000074'],
    ['732.829.320.00074', '73282932000074'],
    [' 73282932000074 ', '73282932000074'],
  ])('normalizes %j to %j', (text, siret) => {
    expect(normalizeSiret(text)).toBe(siret);
  });

  it('takes the SIREN out of a SIRET', () => {
    expect(sirenOfSiret('732 829 320 00074')).toBe('732829320');
  });
});

describe('French VAT number', () => {
  it.each([
    ['552081317', 'FR03552081317'],
    ['732829320', 'FR44732829320'],
    ['123456782', 'FR11123456782'],
    ['999999998', 'FR11999999998'],
  ])('derives the VAT number of SIREN %s: %s', (siren, vat) => {
    expect(frenchVatFromSiren(siren)).toBe(vat);
  });

  it('refuses to derive a VAT number from something that is not a SIREN', () => {
    expect(() => frenchVatFromSiren('12345')).toThrow(RangeError);
  });

  it.each([
    ['FR03552081317', true],
    ['FR 03 552 081 317', true],
    ['fr03552081317', true],
    ['FR04552081317', false],
    ['FR0355208131', false],
    ['DE123456789', false],
    ['FRAB552081317', false],
  ])('judges French VAT number %j valid: %p', (vat, valid) => {
    expect(isValidFrenchVat(vat)).toBe(valid);
  });

  it('normalizes a VAT number printed with spaces and dots', () => {
    expect(normalizeVatId('fr 32 123.456.789')).toBe('FR32123456789');
  });
});

describe('IBAN', () => {
  it.each([
    ['FR7630006000011234567890189'],
    ['FR76 3000 6000 0112 3456 7890 189'],
    ['fr76 3000 6000 0112 3456 7890 189'],
    ['FR76-3000-6000-0112-3456-7890-189'],
    ['FR1420041010050500013M02606'],
    ['DE89370400440532013000'],
    ['GB29NWBK60161331926819'],
    ['BE68539007547034'],
    ['NL91ABNA0417164300'],
    ['ES9121000418450200051332'],
    ['IT60X0542811101000000123456'],
    ['CH9300762011623852957'],
    ['LU280019400644750000'],
    ['MC5811222000010123456789030'],
    ['AT611904300234573201'],
    ['PT50000201231234567890154'],
    ['NO9386011117947'],
    ['MT84MALT011000012345MTLCAST001S'],
  ])('accepts %j', (iban) => {
    expect(isValidIban(iban)).toBe(true);
  });

  it.each([
    ['FR7630006000011234567890188', 'the check fails'],
    ['FR7730006000011234567890189', 'the check digits are wrong'],
    ['FR763000600001123456789018', 'it is one character short for France'],
    ['FR76300060000112345678901890', 'it is one character long for France'],
    ['DE1212344321987600', 'it is too short for Germany'],
    ['XX7630006000011234567890189', 'the country is unknown'],
    ['FR76 3000 6000 0112 3456 7890 18!', 'it holds a character outside A-Z 0-9'],
    ['FR7O30006000011234567890189', 'its check digits hold a letter'],
    ['', 'it is empty'],
  ])('refuses %j because %s', (iban) => {
    expect(isValidIban(iban)).toBe(false);
  });

  it('computes the ISO 13616 remainder without big numbers', () => {
    expect(ibanMod97('FR7630006000011234567890189')).toBe(1);
    expect(ibanMod97('GB29NWBK60161331926819')).toBe(1);
    expect(ibanMod97('FR7630006000011234567890188')).not.toBe(1);
  });

  it('knows the length of the SEPA countries', () => {
    expect(IBAN_LENGTHS).toMatchObject({ FR: 27, DE: 22, BE: 16, ES: 24, IT: 27, NL: 18, LU: 20, CH: 21, GB: 22 });
  });

  it('normalizes and prints in groups of four', () => {
    expect(normalizeIban(' fr76 3000-6000 0112 3456 7890 189 ')).toBe('FR7630006000011234567890189');
    expect(formatIban('FR7630006000011234567890189')).toBe('FR76 3000 6000 0112 3456 7890 189');
    expect(formatIban('BE68539007547034')).toBe('BE68 5390 0754 7034');
  });
});

describe('pro forma numbers', () => {
  it.each([
    [42, 'PRO-00000042'],
    [0, 'PRO-00000000'],
    [603_901, 'PRO-00603901'],
    [99_999_999, 'PRO-99999999'],
  ])('prints sequence %i as %s', (sequence, number) => {
    expect(formatProFormaNumber(sequence)).toBe(number);
    expect(PRO_FORMA_NUMBER.test(number)).toBe(true);
  });

  it.each([[-1], [100_000_000], [1.5], [Number.NaN]])('refuses sequence %p', (sequence) => {
    expect(() => formatProFormaNumber(sequence)).toThrow(RangeError);
  });

  it.each([
    ['PRO-00603901', true],
    ['PRO-0060390', false],
    ['PRO-006039011', false],
    ['pro-00603901', false],
    ['PRO 00603901', false],
    ['PRO-0O603901', false],
    [' PRO-00603901', false],
  ])('recognises %j as a pro forma number: %p', (text, expected) => {
    expect(isProFormaNumber(text)).toBe(expected);
  });
});
