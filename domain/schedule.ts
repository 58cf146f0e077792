import { parisDate } from './dates';
import { statusLabel, type ProFormaKind, type ProFormaStatus } from './process';

/**
 * Where an installment of a contract's schedule stands (« ai-je déjà facturé ce dossier ? »): not started yet, billable,
 * in a live pro forma (with that pro forma's status), or paid. A line released by a cancelled pro forma does not
 * count: the installment is eligible again.
 */

export const INSTALLMENT_STANDINGS = ['UPCOMING', 'ELIGIBLE', 'IN_PRO_FORMA', 'PAID'] as const;
export type InstallmentStanding = (typeof INSTALLMENT_STANDINGS)[number];

export interface StandingFacts {
  /** The eligibility rule of the generation (db/installment-eligibility.ts), evaluated on "today". */
  eligible: boolean;
  /** The live pro forma holding the installment, if any. */
  proForma: { number: string; status: ProFormaStatus; kind: ProFormaKind; paidAt: Date | null } | null;
}

export interface Standing {
  code: InstallmentStanding;
  label: string;
  proForma: { number: string; status: ProFormaStatus; statusLabel: string } | null;
  /** The Paris date of the payment (YYYY-MM-DD), for a paid one. */
  paidOn: string | null;
}

function frenchDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}/${m}/${y}`;
}

export function standingOf(facts: StandingFacts): Standing {
  const { proForma } = facts;
  if (proForma) {
    const ref = {
      number: proForma.number,
      status: proForma.status,
      statusLabel: statusLabel(proForma.status, proForma.kind),
    };
    if (proForma.status === 'PAID') {
      const paidOn = proForma.paidAt ? parisDate(proForma.paidAt) : null;
      return {
        code: 'PAID',
        label: paidOn ? `Payée le ${frenchDate(paidOn)}` : 'Payée',
        proForma: ref,
        paidOn,
      };
    }
    return {
      code: 'IN_PRO_FORMA',
      label: `Dans la pro forma ${proForma.number} (${ref.statusLabel})`,
      proForma: ref,
      paidOn: null,
    };
  }
  if (facts.eligible) return { code: 'ELIGIBLE', label: 'Éligible', proForma: null, paidOn: null };
  return { code: 'UPCOMING', label: 'À venir', proForma: null, paidOn: null };
}
