/** French formats for what users read: money in euros from cents, dates and times in Europe/Paris. */

const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const NUMBER = new Intl.NumberFormat('fr-FR');
const PERCENT = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 0 });
const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short' });
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  dateStyle: 'short',
  timeStyle: 'short',
});

/** 123456 → « 1 234,56 € ». */
export const money = (cents: number | null | undefined): string =>
  cents === null || cents === undefined ? '—' : EUROS.format(cents / 100);

export const count = (n: number): string => NUMBER.format(n);

export const percent = (fraction: number): string => PERCENT.format(fraction);

/** An ISO date ('2026-09-01') or date-time, as the Paris calendar date « 01/09/2026 ». */
export function date(value: string | null | undefined): string {
  if (!value) return '—';
  // A bare date is a calendar date: read at noon UTC so that no time zone moves it to another day.
  return DATE.format(new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00Z` : value));
}

/** An ISO date-time as « 01/09/2026 14:05 » (Paris). */
export const dateTime = (value: string | null | undefined): string => (value ? DATE_TIME.format(new Date(value)) : '—');

/** « 1 234,56 » typed by a user → cents; null when it is not an amount. */
export function parseEuros(text: string): number | null {
  const cleaned = text.replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
  if (!/^-?\d+(\.\d{1,2})?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 100);
}

export const bytes = (n: number): string =>
  n < 1024
    ? `${n} o`
    : n < 1024 * 1024
      ? `${NUMBER.format(Math.round(n / 1024))} Ko`
      : `${(n / 1048576).toFixed(1).replace('.', ',')} Mo`;
