import {
  applyCorrections,
  assertMayClaim,
  assertMayRelease,
  assertNotHeldByOther,
  assertSecondApprover,
  isSampled,
  liveClaim,
  needsSecondApproval,
} from '../../domain/desk';
import { DomainError } from '../../domain/errors';
import { emptyFields } from '../../domain/reading';

const IBAN = 'FR7630006000011234567890189';
const claim = { userId: 'u1', name: 'Alice Martin', at: '2026-12-02T09:00:00Z', expiresAt: '2026-12-02T09:30:00Z' };
const codeOf = (fn: () => void) => {
  try {
    fn();
    return 'allowed';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
};

describe('claims', () => {
  it('hold until their expiry, then are nobody’s', () => {
    expect(liveClaim(claim, Date.parse('2026-12-02T09:29:59Z'))).toBe(claim);
    expect(liveClaim(claim, Date.parse('2026-12-02T09:30:00Z'))).toBeNull();
    expect(liveClaim(null, 0)).toBeNull();
  });

  it('refuse another validator naming the holder; let the holder act; let only an admin take over', () => {
    const other = { id: 'u2', role: 'validator' };
    expect(codeOf(() => assertNotHeldByOther(claim, other))).toBe('CLAIMED_BY_OTHER');
    expect(() => assertNotHeldByOther(claim, other)).toThrow(/Alice Martin/);
    expect(codeOf(() => assertNotHeldByOther(claim, { id: 'u1', role: 'validator' }))).toBe('allowed');
    expect(codeOf(() => assertNotHeldByOther(null, other))).toBe('allowed');
    expect(codeOf(() => assertMayClaim(claim, other, true))).toBe('CLAIMED_BY_OTHER');
    expect(codeOf(() => assertMayClaim(claim, { id: 'a', role: 'admin' }, true))).toBe('allowed');
    expect(codeOf(() => assertMayClaim(claim, { id: 'a', role: 'admin' }, false))).toBe('CLAIMED_BY_OTHER');
    expect(codeOf(() => assertMayRelease(claim, other))).toBe('CLAIMED_BY_OTHER');
    expect(codeOf(() => assertMayRelease(claim, { id: 'a', role: 'admin' }))).toBe('allowed');
  });
});

describe('four eyes', () => {
  it('applies strictly above the threshold, never when it is off', () => {
    expect(needsSecondApproval(1_000_001, 1_000_000)).toBe(true);
    expect(needsSecondApproval(1_000_000, 1_000_000)).toBe(false);
    expect(needsSecondApproval(99_000_000, null)).toBe(false);
  });

  it('refuses the first approver as the second one', () => {
    expect(codeOf(() => assertSecondApprover('u1', { id: 'u1', role: 'validator' }))).toBe('SAME_APPROVER');
    expect(codeOf(() => assertSecondApprover('u1', { id: 'u2', role: 'validator' }))).toBe('allowed');
  });
});

describe('sampling', () => {
  const invoices = Array.from({ length: 20_000 }, (_, i) => ({
    number: `PRO-${String(i).padStart(8, '0')}`,
    version: 1 + (i % 3),
    sha256: (i * 2654435761).toString(16).padStart(64, '0'),
  }));

  it('chooses about the configured share', () => {
    const share = invoices.filter((invoice) => isSampled(invoice, 0.05)).length / invoices.length;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
  });

  it('chooses from the invoice alone: the same answer every time, none at 0, all at 1', () => {
    const first = invoices.map((invoice) => isSampled(invoice, 0.05));
    expect(invoices.map((invoice) => isSampled({ ...invoice }, 0.05))).toEqual(first);
    expect(invoices.some((invoice) => isSampled(invoice, 0))).toBe(false);
    expect(invoices.every((invoice) => isSampled(invoice, 1))).toBe(true);
    // A new version of the same invoice is a new draw.
    const sampledOne = invoices.find((invoice) => isSampled(invoice, 0.05));
    expect(sampledOne).toBeDefined();
  });
});

describe('corrections of a reading', () => {
  const read = { ...emptyFields(), invoiceNumber: 'FA-1', totalCents: 12_000, iban: null };

  it('normalizes the corrected values and lists what changed', () => {
    const { fields, changes } = applyCorrections(read, {
      iban: 'fr76 3000 6000 0112 3456 7890 189',
      totalCents: 12_500,
    });
    expect(fields.iban).toBe(IBAN);
    expect(fields.totalCents).toBe(12_500);
    expect(fields.invoiceNumber).toBe('FA-1');
    expect(changes).toEqual([
      { field: 'iban', before: null, after: IBAN },
      { field: 'totalCents', before: 12_000, after: 12_500 },
    ]);
  });

  it('refuses invalid values naming each field, and a correction that changes nothing', () => {
    let refused: unknown;
    try {
      applyCorrections(read, {
        iban: 'FR7630006000011234567890100',
        siret: '123',
        issueDate: '2026-02-30',
        vatId: 'x',
      });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).details?.issues).toEqual([
      { path: 'fields.iban', message: 'IBAN invalide (clé de contrôle)' },
      { path: 'fields.siret', message: 'SIRET invalide (14 chiffres, clé de contrôle)' },
      { path: 'fields.issueDate', message: 'une date AAAA-MM-JJ attendue' },
      { path: 'fields.vatId', message: 'champ non corrigeable' },
    ]);
    expect(codeOf(() => applyCorrections(read, { invoiceNumber: 'FA-1' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => applyCorrections(read, {}))).toBe('VALIDATION_FAILED');
  });
});
