import validator from 'validator';

/**
 * Dates from outside (query strings, CSV filters) are checked here before they reach SQL: a JavaScript
 * Date accepts years PostgreSQL's driver cannot write (`99999-01-01` becomes `+099999-...`), and
 * day 31 of February rolls over into March. Years 0001 to 9999 only.
 */
const calendarDate = /^(\d{4})-\d{2}-\d{2}$/;

/** A `YYYY-MM-DD` calendar date that exists, or null. */
export function parseCalendarDate(text: string): string | null {
  const year = calendarDate.exec(text)?.[1];
  if (!year || year === '0000' || !validator.isDate(text, { format: 'YYYY-MM-DD', strictMode: true, delimiters: ['-'] })) return null;
  return text;
}

/** An instant: an RFC 3339 date-time (`2026-01-31T09:00:00Z`, an offset or Z required), or a calendar date (its UTC midnight); or null. */
export function parseInstant(text: string): Date | null {
  if (parseCalendarDate(text)) return new Date(`${text}T00:00:00Z`);
  if (!validator.isRFC3339(text) || text.startsWith('0000')) return null;
  const instant = new Date(text);
  return Number.isNaN(instant.getTime()) ? null : instant;
}
