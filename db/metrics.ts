import { sql, type Kysely, type SqlBool } from 'kysely';
import { USER_TIME_ZONE } from '../domain/dates';
import { AWAITING_DECISION, QUEUE_STAGES } from '../domain/process';
import type { Database } from './schema';

/**
 * Management figures of the validation desk over a period of Paris calendar days: the decisions per day and per
 * validator, the time from deposit to decision (from the upload of the decided version, documents.uploaded_at, to
 * decisions.decided_at; in minutes, median and 90th percentile by percentile_cont, i.e. interpolated), refusal rates
 * per reason and per origin, the share of automatic validations among approvals, and the backlog of the queue by age.
 *
 * The period reads decisions by decisions_decided_at_idx; the backlog reads the queue's partial indexes.
 */

export interface MetricsPeriod {
  /** First Paris day, YYYY-MM-DD. */
  from: string;
  /** Last Paris day, included. */
  to: string;
}

export interface Durations {
  /** Decisions whose deposit time is known (a decided document). */
  timed: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

export interface DecisionCounts extends Durations {
  decided: number;
  approved: number;
  refused: number;
  automatic: number;
  manual: number;
}

export interface DayMetrics extends DecisionCounts {
  day: string;
}

export interface ValidatorMetrics extends Durations {
  userId: string;
  name: string;
  decided: number;
  approved: number;
  refused: number;
}

export interface ValidatorDayMetrics extends ValidatorMetrics {
  day: string;
}

export interface RefusalReasonMetrics {
  reasonCode: string;
  label: string;
  origin: 'AUTOMATIC' | 'MANUAL';
  refused: number;
  /** Among every decision of the period. */
  rate: number;
  /** Among the refusals of the period. */
  shareOfRefusals: number;
}

export interface OriginMetrics {
  origin: 'AUTOMATIC' | 'MANUAL';
  decided: number;
  approved: number;
  refused: number;
  /** Refusals among the decisions of this origin; null without any. */
  refusalRate: number | null;
}

import { BACKLOG_BANDS, type BacklogBand } from '../domain/metrics';

export { BACKLOG_BANDS, type BacklogBand };

export interface BacklogMetrics {
  band: BacklogBand;
  label: string;
  /** The band holds the items waiting since at least `fromDays` days (of 24 hours) and less than `toDays`. */
  fromDays: number;
  toDays: number | null;
  count: number;
}

export interface Metrics {
  period: MetricsPeriod;
  timeZone: string;
  durationUnit: 'minutes';
  /** The whole period. */
  totals: DecisionCounts & { refusalRate: number | null; automaticApprovalShare: number | null };
  /** Every day of the period, with none decided too. */
  days: DayMetrics[];
  /** Manual decisions, per validator, over the period. */
  validators: ValidatorMetrics[];
  /** Manual decisions, per day and validator (the pairs with a decision). */
  validatorDays: ValidatorDayMetrics[];
  refusalsByReason: RefusalReasonMetrics[];
  refusalsByOrigin: OriginMetrics[];
  /** The queue now, by age of the deposit. */
  backlog: BacklogMetrics[];
}

/** The decisions of the period with their Paris day and their delay since the deposit of the decided version. */
function periodDecisions(db: Kysely<Database>, period: MetricsPeriod) {
  return db
    .selectFrom('decisions as d')
    .leftJoin('documents as doc', 'doc.id', 'd.document_id')
    .where(sql<SqlBool>`d.decided_at >= (${period.from}::date::timestamp at time zone ${USER_TIME_ZONE})`)
    .where(sql<SqlBool>`d.decided_at < ((${period.to}::date + 1)::timestamp at time zone ${USER_TIME_ZONE})`)
    .select([
      'd.origin',
      'd.decision',
      'd.reason_code',
      'd.decided_by',
      sql<string>`to_char(d.decided_at at time zone ${USER_TIME_ZONE}, 'YYYY-MM-DD')`.as('day'),
      sql<number | null>`extract(epoch from d.decided_at - doc.uploaded_at) / 60.0`.as('minutes'),
    ]);
}

const aggregates = {
  decided: sql<number>`count(*)::int`,
  approved: sql<number>`(count(*) filter (where decision = 'APPROVE'))::int`,
  refused: sql<number>`(count(*) filter (where decision = 'REFUSE'))::int`,
  automatic: sql<number>`(count(*) filter (where origin = 'AUTOMATIC'))::int`,
  manual: sql<number>`(count(*) filter (where origin = 'MANUAL'))::int`,
  automaticApprovals: sql<number>`(count(*) filter (where origin = 'AUTOMATIC' and decision = 'APPROVE'))::int`,
  timed: sql<number>`count(minutes)::int`,
  median: sql<number | null>`percentile_cont(0.5) within group (order by minutes)`,
  p90: sql<number | null>`percentile_cont(0.9) within group (order by minutes)`,
};

/** Minutes to the hundredth. */
const minutes = (value: number | string | null): number | null =>
  value === null ? null : Math.round(Number(value) * 100) / 100;
const ratio = (part: number, whole: number): number | null =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

function durations(row: { timed: number; median: number | null; p90: number | null }): Durations {
  return { timed: Number(row.timed), medianMinutes: minutes(row.median), p90Minutes: minutes(row.p90) };
}

/** The Paris days from `from` to `to`, both included. */
export function daysOf(period: MetricsPeriod): string[] {
  const days: string[] = [];
  const end = Date.parse(`${period.to}T00:00:00Z`);
  for (let t = Date.parse(`${period.from}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

export async function metrics(db: Kysely<Database>, period: MetricsPeriod, now: Date): Promise<Metrics> {
  const base = () => db.selectFrom(periodDecisions(db, period).as('x'));
  const all = base().select([
    aggregates.decided.as('decided'),
    aggregates.approved.as('approved'),
    aggregates.refused.as('refused'),
    aggregates.automatic.as('automatic'),
    aggregates.manual.as('manual'),
    aggregates.automaticApprovals.as('automatic_approvals'),
    aggregates.timed.as('timed'),
    aggregates.median.as('median'),
    aggregates.p90.as('p90'),
  ]);
  const perDay = base()
    .select([
      'x.day',
      aggregates.decided.as('decided'),
      aggregates.approved.as('approved'),
      aggregates.refused.as('refused'),
      aggregates.automatic.as('automatic'),
      aggregates.manual.as('manual'),
      aggregates.timed.as('timed'),
      aggregates.median.as('median'),
      aggregates.p90.as('p90'),
    ])
    .groupBy('x.day');
  const validatorColumns = [
    aggregates.decided.as('decided'),
    aggregates.approved.as('approved'),
    aggregates.refused.as('refused'),
    aggregates.timed.as('timed'),
    aggregates.median.as('median'),
    aggregates.p90.as('p90'),
  ];
  const manual = () => base().innerJoin('users as u', 'u.id', 'x.decided_by').where('x.origin', '=', 'MANUAL');
  const perValidator = manual()
    .select(['u.id', 'u.name', ...validatorColumns])
    .groupBy(['u.id', 'u.name'])
    .orderBy('u.name')
    .orderBy('u.id');
  const perValidatorDay = manual()
    .select(['x.day', 'u.id', 'u.name', ...validatorColumns])
    .groupBy(['x.day', 'u.id', 'u.name'])
    .orderBy('x.day')
    .orderBy('u.name')
    .orderBy('u.id');
  const perReason = base()
    .innerJoin('refusal_reasons as r', 'r.code', 'x.reason_code')
    .where('x.decision', '=', 'REFUSE')
    .select(['x.reason_code', 'r.label', 'x.origin', aggregates.decided.as('refused')])
    .groupBy(['x.reason_code', 'r.label', 'x.origin'])
    .orderBy('refused', 'desc')
    .orderBy('x.reason_code')
    .orderBy('x.origin');
  const perOrigin = base()
    .select([
      'x.origin',
      aggregates.decided.as('decided'),
      aggregates.approved.as('approved'),
      aggregates.refused.as('refused'),
    ])
    .groupBy('x.origin');
  const [totals, days, validators, validatorDays, reasons, origins, backlog] = await Promise.all([
    all.executeTakeFirstOrThrow(),
    perDay.execute(),
    perValidator.execute(),
    perValidatorDay.execute(),
    perReason.execute(),
    perOrigin.execute(),
    backlogQuery(db, now).executeTakeFirstOrThrow(),
  ]);
  const byDay = new Map(days.map((d) => [d.day, d]));
  const empty = { decided: 0, approved: 0, refused: 0, automatic: 0, manual: 0, timed: 0, median: null, p90: null };
  return {
    period,
    timeZone: USER_TIME_ZONE,
    durationUnit: 'minutes',
    totals: {
      decided: totals.decided,
      approved: totals.approved,
      refused: totals.refused,
      automatic: totals.automatic,
      manual: totals.manual,
      ...durations(totals),
      refusalRate: ratio(totals.refused, totals.decided),
      automaticApprovalShare: ratio(totals.automatic_approvals, totals.approved),
    },
    days: daysOf(period).map((day) => {
      const d = byDay.get(day) ?? { day, ...empty };
      return {
        day,
        decided: d.decided,
        approved: d.approved,
        refused: d.refused,
        automatic: d.automatic,
        manual: d.manual,
        ...durations(d),
      };
    }),
    validators: validators.map(validatorFigures),
    validatorDays: validatorDays.map((v) => ({ day: v.day, ...validatorFigures(v) })),
    refusalsByReason: reasons.map((r) => ({
      reasonCode: r.reason_code as string,
      label: r.label,
      origin: r.origin,
      refused: r.refused,
      rate: ratio(r.refused, totals.decided) ?? 0,
      shareOfRefusals: ratio(r.refused, totals.refused) ?? 0,
    })),
    refusalsByOrigin: (['AUTOMATIC', 'MANUAL'] as const).map((origin) => {
      const o = origins.find((row) => row.origin === origin) ?? { decided: 0, approved: 0, refused: 0 };
      return {
        origin,
        decided: o.decided,
        approved: o.approved,
        refused: o.refused,
        refusalRate: ratio(o.refused, o.decided),
      };
    }),
    backlog: BACKLOG_BANDS.map((b) => ({
      band: b.band,
      label: b.label,
      fromDays: b.fromDays,
      toDays: b.toDays,
      count: Number(backlog[b.band]),
    })),
  };
}

/** The queue now, counted by age band of the deposit (over the queue's partial index). */
export function backlogQuery(db: Kysely<Database>, now: Date) {
  const age = sql`(${now}::timestamptz - coalesce(p.deposited_at, ${now}::timestamptz))`;
  const stages = sql.join(QUEUE_STAGES.map((stage) => sql.lit(stage)));
  return db
    .selectFrom('pro_formas as p')
    .where(sql<SqlBool>`p.status = ${sql.lit(AWAITING_DECISION.status)} and p.stage in (${stages})`)
    .select(
      BACKLOG_BANDS.map((b) => {
        const from = sql`${age} >= make_interval(days => ${sql.lit(b.fromDays)})`;
        const condition =
          b.toDays === null ? from : sql`${from} and ${age} < make_interval(days => ${sql.lit(b.toDays)})`;
        return sql<number>`(count(*) filter (where ${condition}))::int`.as(b.band);
      }),
    );
}

/** A validator's figures over a period or a day. */
function validatorFigures(
  v: {
    id: string;
    name: string;
    decided: number;
    approved: number;
    refused: number;
  } & Parameters<typeof durations>[0],
) {
  return {
    userId: v.id,
    name: v.name,
    decided: v.decided,
    approved: v.approved,
    refused: v.refused,
    ...durations(v),
  };
}
