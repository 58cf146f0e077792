import { z } from 'zod';
import { BACKLOG_BANDS } from '../../domain/metrics';
import { isoDate, response, uuid } from './common';

/**
 * Management figures (GET /api/admin/metrics): the period asked, the tables exported, the answer. Durations are in
 * minutes, from the deposit of the decided version to the decision.
 */

/** Days of the default period, today (Paris) included. */
export const DEFAULT_PERIOD_DAYS = 30;
/** The longest period asked at once. */
export const MAX_PERIOD_DAYS = 366;

const period = {
  from: isoDate
    .optional()
    .describe(`Premier jour (heure de Paris) ; par défaut ${DEFAULT_PERIOD_DAYS - 1} jours avant « to »`),
  to: isoDate.optional().describe('Dernier jour inclus (heure de Paris) ; par défaut aujourd’hui'),
};

export const METRICS_TABLES = [
  'days',
  'validators',
  'validatorDays',
  'refusalsByReason',
  'refusalsByOrigin',
  'backlog',
] as const;
export type MetricsTable = (typeof METRICS_TABLES)[number];

export const metricsQuery = z.object(period).strict();
export const metricsCsvQuery = z
  .object({
    ...period,
    table: z
      .enum(METRICS_TABLES, { error: `Tableau attendu : ${METRICS_TABLES.join(', ')}` })
      .default('days')
      .describe('Le tableau exporté ; par défaut le tableau par jour'),
  })
  .strict();

const minutes = z.number().nullable().describe('Minutes (au centième), null sans décision datée');
const rate = z.number().nullable().describe('Fraction entre 0 et 1 (au dix-millième), null sans dénominateur');
const durations = { timed: z.number().int(), medianMinutes: minutes, p90Minutes: minutes };
const counts = { decided: z.number().int(), approved: z.number().int(), refused: z.number().int() };
const origin = z.enum(['AUTOMATIC', 'MANUAL']);

export const metricsResponse = response(
  z
    .object({
      period: z.object({ from: isoDate, to: isoDate }).strict(),
      timeZone: z.string().describe('Fuseau des jours : Europe/Paris'),
      durationUnit: z.literal('minutes'),
      totals: z
        .object({
          ...counts,
          automatic: z.number().int(),
          manual: z.number().int(),
          ...durations,
          refusalRate: rate,
          automaticApprovalShare: rate.describe('Part des validations automatiques parmi les validations'),
        })
        .strict(),
      days: z.array(
        z
          .object({ day: isoDate, ...counts, automatic: z.number().int(), manual: z.number().int(), ...durations })
          .strict(),
      ),
      validators: z.array(z.object({ userId: uuid, name: z.string(), ...counts, ...durations }).strict()),
      validatorDays: z.array(
        z.object({ day: isoDate, userId: uuid, name: z.string(), ...counts, ...durations }).strict(),
      ),
      refusalsByReason: z.array(
        z
          .object({
            reasonCode: z.string(),
            label: z.string(),
            origin,
            refused: z.number().int(),
            rate: z.number().describe('Parmi toutes les décisions de la période'),
            shareOfRefusals: z.number().describe('Parmi les refus de la période'),
          })
          .strict(),
      ),
      refusalsByOrigin: z.array(z.object({ origin, ...counts, refusalRate: rate }).strict()),
      backlog: z.array(
        z
          .object({
            band: z.enum(BACKLOG_BANDS.map((b) => b.band) as [string, ...string[]]),
            label: z.string(),
            fromDays: z.number().int(),
            toDays: z.number().int().nullable(),
            count: z.number().int(),
          })
          .strict(),
      ),
    })
    .strict(),
  'Metrics',
  'Indicateurs de gestion de la validation',
);
