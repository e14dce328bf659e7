/**
 * Dates and times as people read them, in the console's time zone (CONSOLE_TIME_ZONE, default UTC),
 * the same on the server and in the browser so that a page renders the same text in both.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}:${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) formatters.set(key, (found = new Intl.DateTimeFormat('en-US', { ...options, timeZone })));
  return found;
}

export function dateTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '';
  return formatter(timeZone, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A calendar date (`2030-06-30`, no time zone of its own) as "Jun 30, 2030". */
export function calendarDate(date: string | null | undefined): string {
  if (!date) return '';
  return formatter('UTC', { dateStyle: 'medium' }).format(new Date(`${date}T00:00:00Z`));
}

/** "Jun 30": a day on the settlement chart's axis. */
export function shortDate(date: string): string {
  return formatter('UTC', { month: 'short', day: 'numeric' }).format(new Date(`${date}T00:00:00Z`));
}

/** Today's date (YYYY-MM-DD) in the time zone. */
export function today(timeZone: string, now = new Date()): string {
  return formatter(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(now)
    .replace(/(\d+)\/(\d+)\/(\d+)/, '$3-$1-$2');
}

/** The instant a day (YYYY-MM-DD) starts in the time zone, as an ISO string. */
export function startOfDay(date: string, timeZone: string): string {
  const midnightUtc = Date.parse(`${date}T00:00:00Z`);
  // The zone's offset at that instant, then again at the corrected one (a DST change at midnight).
  let instant = midnightUtc - offsetMs(midnightUtc, timeZone);
  instant = midnightUtc - offsetMs(instant, timeZone);
  return new Date(instant).toISOString();
}

function offsetMs(instant: number, timeZone: string): number {
  const name = formatter(timeZone, { timeZoneName: 'longOffset' })
    .formatToParts(new Date(instant))
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}

/** Adds days to a calendar date. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** SCREAMING_CASE enum values as words: PARTIALLY_PAID -> "Partially paid". */
export function label(value: string | null | undefined): string {
  if (!value) return '';
  const words = value.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const channelLabel: Record<string, string> = {
  PAYMENT_LINK: 'Payment link',
  MANUAL_ENTRY: 'Manual entry',
  TERMINAL: 'Terminal',
  VIRTUAL_TERMINAL: 'Virtual terminal',
  VAULT: 'Saved card',
  OFFLINE: 'Offline',
};

export const methodLabel: Record<string, string> = {
  CREDIT_CARD: 'Credit card',
  DEBIT_CARD: 'Debit card',
  PREPAID_CARD: 'Prepaid card',
  ACH: 'ACH',
  CHECK: 'Check',
  CASH: 'Cash',
  OTHER: 'Other',
};

const BRANDS: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  jcb: 'JCB',
  diners: 'Diners Club',
  unionpay: 'UnionPay',
};

/** A card brand as the processor names it (`visa`) as people write it (`Visa`). */
export function brandName(brand: string): string {
  return BRANDS[brand.toLowerCase()] ?? label(brand);
}
