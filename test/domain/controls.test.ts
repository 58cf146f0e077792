import {
  CONTROL_CODES,
  controlVerdict,
  runControls,
  type ControlCode,
  type ControlFacts,
  type ControlOutcome,
  type ReadInvoice,
} from '../../domain/controls';

const CFA = { siret: '84123450300016', iban: 'FR7630006000011234567890189' };
const SURE = { invoiceNumber: 1, proFormaNumber: 1, totalCents: 1, siret: 1, siren: 0, iban: 1 };

function invoice(overrides: Partial<ReadInvoice> = {}, fields: Partial<ReadInvoice['fields']> = {}): ReadInvoice {
  return {
    engine: 'TEXT_LAYER',
    fields: {
      invoiceNumber: 'FA-2026-0042',
      proFormaNumber: 'PRO-00000042',
      totalCents: 257_500,
      siret: CFA.siret,
      siren: null,
      iban: CFA.iban,
      ...fields,
    },
    fieldConfidences: { ...SURE },
    ...overrides,
  };
}

/** The control that a field's absence fails. */
const MISSING_CONTROL = {
  invoiceNumber: 'INVOICE_NUMBER',
  proFormaNumber: 'PRO_FORMA_NUMBER',
  totalCents: 'TOTAL_AMOUNT',
  siret: 'SIRET',
  iban: 'IBAN_VALID',
} as const satisfies Record<string, ControlCode>;

function facts(overrides: Partial<ControlFacts> = {}): ControlFacts {
  return {
    proForma: { number: 'PRO-00000042', kind: 'INVOICE', totalCents: 257_500 },
    cfa: CFA,
    invoice: invoice(),
    invoiceNumberUsedOn: [],
    sameDocumentOn: [],
    mandateValid: true,
    depositDate: '2026-11-22',
    ...overrides,
  };
}

function outcomeOf(f: ControlFacts, code: ControlCode): ControlOutcome {
  const found = runControls(f).find((r) => r.code === code);
  if (!found) throw new Error(`no control ${code}`);
  return found.outcome;
}

describe('runControls', () => {
  it('passes every control on a compliant invoice, in a fixed order', () => {
    const results = runControls(facts());
    expect(results.map((r) => r.code)).toEqual([...CONTROL_CODES]);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(controlVerdict(results)).toEqual({ kind: 'ALL_PASSED' });
  });

  it('gives every result a French message and the refusal reason it stands for', () => {
    for (const r of runControls(facts())) {
      expect(r.message.length).toBeGreaterThan(10);
      expect(r.reasonCode).toMatch(/^[A-Z_]+$/);
    }
  });

  it.each<[string, Partial<ControlFacts>, ControlCode, ControlOutcome, string]>([
    [
      'a total one cent off',
      { invoice: invoice({}, { totalCents: 257_499 }) },
      'TOTAL_AMOUNT',
      'FAILED',
      'AMOUNT_MISMATCH',
    ],
    [
      'another pro forma number',
      { invoice: invoice({}, { proFormaNumber: 'PRO-00000043' }) },
      'PRO_FORMA_NUMBER',
      'FAILED',
      'PRO_FORMA_NUMBER_MISSING',
    ],
    [
      'a text layer certainly without a pro forma number',
      { invoice: invoice({}, { proFormaNumber: null }) },
      'PRO_FORMA_NUMBER',
      'FAILED',
      'PRO_FORMA_NUMBER_MISSING',
    ],
    [
      'an invoice number used on another live pro forma',
      { invoiceNumberUsedOn: ['PRO-00000007'] },
      'INVOICE_NUMBER_UNIQUE',
      'FAILED',
      'DUPLICATE_INVOICE',
    ],
    [
      'the same file deposited on another pro forma',
      { sameDocumentOn: ['PRO-00000007'] },
      'DOCUMENT_NOT_DUPLICATE',
      'FAILED',
      'DUPLICATE_DOCUMENT',
    ],
    ['no valid mandate on the deposit date', { mandateValid: false }, 'MANDATE_VALID', 'FAILED', 'MANDATE_INVALID'],
    [
      'no mandate found on the deposit date',
      { mandate: null, mandateValid: false },
      'MANDATE_VALID',
      'FAILED',
      'MANDATE_INVALID',
    ],
    ['a SIRET failing Luhn', { invoice: invoice({}, { siret: '84123450300017' }) }, 'SIRET', 'FAILED', 'SIRET_INVALID'],
    [
      'another company’s valid SIRET',
      { invoice: invoice({}, { siret: '73282932000074' }) },
      'SIRET',
      'FAILED',
      'SIRET_INVALID',
    ],
    [
      'a text layer certainly without a SIRET',
      { invoice: invoice({}, { siret: null }) },
      'SIRET',
      'FAILED',
      'SIRET_INVALID',
    ],
    [
      'an IBAN failing mod 97 in a text layer',
      { invoice: invoice({}, { iban: 'FR7630006000011234567890188' }) },
      'IBAN_VALID',
      'FAILED',
      'IBAN_INVALID',
    ],
    [
      'a text layer certainly without an IBAN',
      { invoice: invoice({}, { iban: null }) },
      'IBAN_VALID',
      'FAILED',
      'IBAN_INVALID',
    ],
  ])('refuses automatically %s', (_what, overrides, code, outcome, reason) => {
    const f = facts(overrides);
    expect(outcomeOf(f, code)).toBe(outcome);
    expect(controlVerdict(runControls(f))).toMatchObject({ kind: 'REFUSE', reasonCode: reason });
  });

  it.each<[string, Partial<ControlFacts>, ControlCode]>([
    [
      'a total read with low confidence',
      { invoice: invoice({ fieldConfidences: { ...SURE, totalCents: 0.5 } }, { totalCents: 257_000 }) },
      'TOTAL_AMOUNT',
    ],
    [
      'a pro forma number read with low confidence',
      { invoice: invoice({ fieldConfidences: { ...SURE, proFormaNumber: 0.4 } }, { proFormaNumber: 'PRO-00000048' }) },
      'PRO_FORMA_NUMBER',
    ],
    [
      'a pro forma number OCR did not find',
      {
        invoice: invoice({ engine: 'OCR', fieldConfidences: { ...SURE, proFormaNumber: 0 } }, { proFormaNumber: null }),
      },
      'PRO_FORMA_NUMBER',
    ],
    [
      'an IBAN OCR misread (bad checksum)',
      { invoice: invoice({ engine: 'OCR' }, { iban: 'FR7630006000011234567890188' }) },
      'IBAN_VALID',
    ],
    [
      'a valid IBAN other than the registered one (possible fraud)',
      { invoice: invoice({}, { iban: 'FR7610107001011234567890129' }) },
      'IBAN_MATCHES_CFA',
    ],
    ['another establishment of the CFA’s company', { invoice: invoice({}, { siret: '84123450300032' }) }, 'SIRET'],
    ['only the CFA’s SIREN', { invoice: invoice({}, { siret: null, siren: '841234503' }) }, 'SIRET'],
    [
      'a duplicate invoice number read with low confidence',
      {
        invoice: invoice({ fieldConfidences: { ...SURE, invoiceNumber: 0.3 } }),
        invoiceNumberUsedOn: ['PRO-00000007'],
      },
      'INVOICE_NUMBER_UNIQUE',
    ],
    ...(['invoiceNumber', 'proFormaNumber', 'totalCents', 'siret', 'iban'] as const).map(
      (field): [string, Partial<ControlFacts>, ControlCode] => [
        `a ${field} a text layer may print but that was not found (e.g. its label in a header table)`,
        { invoice: invoice({ fieldConfidences: { ...SURE, [field]: 0 } }, { [field]: null }) },
        MISSING_CONTROL[field],
      ],
    ),
    [
      'an invoice number missing from a Factur-X XML (the page may print it)',
      {
        invoice: invoice(
          { engine: 'FACTURX', fieldConfidences: { ...SURE, invoiceNumber: 0 } },
          { invoiceNumber: null },
        ),
      },
      'INVOICE_NUMBER',
    ],
  ])('sends to a validator instead of refusing: %s', (_what, overrides, code) => {
    const f = facts(overrides);
    expect(outcomeOf(f, code)).toBe('NEEDS_REVIEW');
    expect(controlVerdict(runControls(f)).kind).toBe('REVIEW');
  });

  it('warns plainly when the IBAN differs from the registered one', () => {
    const f = facts({ invoice: invoice({}, { iban: 'FR7610107001011234567890129' }) });
    const iban = runControls(f).find((r) => r.code === 'IBAN_MATCHES_CFA');
    expect(iban).toMatchObject({ outcome: 'NEEDS_REVIEW', reasonCode: 'IBAN_CHANGED' });
    expect(iban?.message).toMatch(/^Attention : l'IBAN de la facture \(FR76 1010 7001 0112 3456 7890 129\) diffère/);
  });

  it('accepts a credit note printed with a positive amount', () => {
    const f = facts({
      proForma: { number: 'PRO-00000042', kind: 'CREDIT_NOTE', totalCents: -41_350 },
      invoice: invoice({}, { totalCents: 41_350 }),
    });
    expect(outcomeOf(f, 'TOTAL_AMOUNT')).toBe('PASSED');
  });

  it('refuses an invoice whose total has the opposite sign of its pro forma', () => {
    const f = facts({
      proForma: { number: 'PRO-00000042', kind: 'INVOICE', totalCents: 41_350 },
      invoice: invoice({}, { totalCents: -41_350 }),
    });
    expect(outcomeOf(f, 'TOTAL_AMOUNT')).toBe('FAILED');
  });

  it('treats a VAT-exempt invoice (art. 261-4-4° CGI, TVA 0) like any other: no control looks at the VAT', () => {
    expect(controlVerdict(runControls(facts())).kind).toBe('ALL_PASSED');
  });

  it('refuses a file nobody can open (encrypted PDF) as unreadable', () => {
    const f = facts({
      invoice: invoice(
        { engine: 'NONE', error: { code: 'PDF_ENCRYPTED', message: 'le PDF est protégé par un mot de passe' } },
        { invoiceNumber: null, proFormaNumber: null, totalCents: null, siret: null, iban: null },
      ),
    });
    expect(controlVerdict(runControls(f))).toMatchObject({ kind: 'REFUSE', reasonCode: 'DOCUMENT_UNREADABLE' });
  });

  it('sends a document OCR could not read to a validator, without refusing it on the fields it missed', () => {
    const f = facts({
      invoice: invoice(
        {
          engine: 'NONE',
          error: { code: 'NOTHING_READ', message: 'aucun texte reconnu' },
          fieldConfidences: { invoiceNumber: 0, proFormaNumber: 0, totalCents: 0, siret: 0, siren: 0, iban: 0 },
        },
        { invoiceNumber: null, proFormaNumber: null, totalCents: null, siret: null, iban: null },
      ),
    });
    const results = runControls(f);
    expect(results.filter((r) => r.outcome === 'FAILED')).toEqual([]);
    expect(controlVerdict(results).kind).toBe('REVIEW');
  });

  it('refuses with the first failed control’s reason when several fail', () => {
    const f = facts({ mandateValid: false, invoice: invoice({}, { totalCents: 1 }) });
    expect(controlVerdict(runControls(f))).toMatchObject({ kind: 'REFUSE', reasonCode: 'MANDATE_INVALID' });
  });
});

describe('the MANDATE_VALID control names the mandate it used', () => {
  const mandate = { id: '0b6f8c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e', validFrom: '2026-01-01', validTo: '2026-12-31' };

  it('says which mandate covers the deposit date, in its message and its evidence', () => {
    const result = runControls(facts({ mandate })).find((r) => r.code === 'MANDATE_VALID');
    expect(result).toMatchObject({
      outcome: 'PASSED',
      message:
        'Mandat de facturation du 01/01/2026 au 31/12/2026 (n° 0b6f8c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e) valide à la ' +
        'date du dépôt (22/11/2026).',
      evidence: { mandateId: mandate.id, validFrom: '2026-01-01', validTo: '2026-12-31', depositDate: '2026-11-22' },
    });
  });

  it('names a mandate without end as such', () => {
    const result = runControls(facts({ mandate: { ...mandate, validTo: null } })).find(
      (r) => r.code === 'MANDATE_VALID',
    );
    expect(result?.message).toBe(
      'Mandat de facturation du 01/01/2026, sans date de fin, (n° 0b6f8c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e) valide à la ' +
        'date du dépôt (22/11/2026).',
    );
  });

  it('fails when the facts found no mandate, whatever the boolean says', () => {
    const result = runControls(facts({ mandate: null, mandateValid: true })).find((r) => r.code === 'MANDATE_VALID');
    expect(result).toMatchObject({
      outcome: 'FAILED',
      reasonCode: 'MANDATE_INVALID',
      evidence: { depositDate: '2026-11-22' },
    });
  });
});
