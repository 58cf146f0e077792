/**
 * The answer of GET /api/admin/metrics, as the pages read it. Its zod schema lives in api/metrics.routes.ts, which the
 * pages may not import (only api/schemas/ is shared for types): this mirror follows it by hand.
 */

interface Durations {
  timed: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

interface Counts {
  decided: number;
  approved: number;
  refused: number;
}

type Origin = 'AUTOMATIC' | 'MANUAL';

export interface Metrics {
  period: { from: string; to: string };
  timeZone: string;
  durationUnit: 'minutes';
  totals: Counts &
    Durations & {
      automatic: number;
      manual: number;
      refusalRate: number | null;
      automaticApprovalShare: number | null;
    };
  days: (Counts & Durations & { day: string; automatic: number; manual: number })[];
  validators: (Counts & Durations & { userId: string; name: string })[];
  validatorDays: (Counts & Durations & { day: string; userId: string; name: string })[];
  refusalsByReason: {
    reasonCode: string;
    label: string;
    origin: Origin;
    refused: number;
    rate: number;
    shareOfRefusals: number;
  }[];
  refusalsByOrigin: (Counts & { origin: Origin; refusalRate: number | null })[];
  backlog: { band: string; label: string; fromDays: number; toDays: number | null; count: number }[];
}
