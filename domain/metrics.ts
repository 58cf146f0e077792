/**
 * The validation backlog's age bands (the management figures): how long the items waiting for a decision have
 * waited, in days of 24 hours.
 */
export const BACKLOG_BANDS = [
  { band: 'LESS_THAN_1_DAY', label: '< 1 j', fromDays: 0, toDays: 1 },
  { band: 'FROM_1_TO_3_DAYS', label: '1–3 j', fromDays: 1, toDays: 3 },
  { band: 'FROM_3_TO_7_DAYS', label: '3–7 j', fromDays: 3, toDays: 7 },
  { band: 'FROM_7_TO_15_DAYS', label: '7–15 j', fromDays: 7, toDays: 15 },
  { band: 'MORE_THAN_15_DAYS', label: '> 15 j', fromDays: 15, toDays: null },
] as const;
export type BacklogBand = (typeof BACKLOG_BANDS)[number]['band'];
