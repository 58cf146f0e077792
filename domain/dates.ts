/** Users live in Europe/Paris: a deposit at 23:30 UTC on 31 March is dated 1 April for them. */
export const USER_TIME_ZONE = 'Europe/Paris';

const PARIS_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: USER_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The months as French users read them, January first (« 12 mars 2026 »). */
export const FRENCH_MONTHS = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
] as const;

/** The calendar date (YYYY-MM-DD) of an instant in Europe/Paris. */
export function parisDate(instant: Date): string {
  return PARIS_DATE.format(instant);
}
