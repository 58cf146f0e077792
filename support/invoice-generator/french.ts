import { FRENCH_MONTHS } from '../../domain/dates';
/**
 * French print forms: amounts with a space or a dot between thousands and a comma before the cents, dates as
 * `12/03/2026` or `12 mars 2026`. Plain spaces only: the standard PDF fonts are WinAnsi, which has no narrow
 * no-break space.
 */

export type ThousandsSeparator = ' ' | '.';

/** `1234567` cents → `12 345,67 €` (or `12.345,67 €`). */
export function formatAmount(cents: number, thousands: ThousandsSeparator, currency = '€'): string {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  const euros = String(Math.floor(absolute / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
  return `${sign}${euros},${String(absolute % 100).padStart(2, '0')} ${currency}`;
}

/** A calendar day, kept as an ISO string (`YYYY-MM-DD`) so no time zone ever moves it. */
export type IsoDate = string;

export function isoDate(year: number, month: number, day: number): IsoDate {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const time = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(time).toISOString().slice(0, 10);
}

/** Last day of the date's month. */
export function endOfMonth(date: IsoDate): IsoDate {
  const [year, month] = date.split('-').map(Number);
  return isoDate(year ?? 1970, (month ?? 1) + 1, 0);
}

/** `2026-03-12` → `12/03/2026`. */
export function numericDate(date: IsoDate): string {
  const [year, month, day] = date.split('-');
  return `${day}/${month}/${year}`;
}

/** `2026-03-12` → `12 mars 2026`; the first of the month is `1er`. */
export function longDate(date: IsoDate): string {
  const [year, month, day] = date.split('-').map(Number);
  const dayText = day === 1 ? '1er' : String(day);
  return `${dayText} ${FRENCH_MONTHS[(month ?? 1) - 1] ?? ''} ${year}`;
}

/** `Période du 01/09/2026 au 30/09/2026`'s middle. */
export function periodText(from: IsoDate, to: IsoDate): string {
  return `du ${numericDate(from)} au ${numericDate(to)}`;
}
