/**
 * Money is integer minor units (bigint) plus an ISO 4217 currency, never a float. This table is the
 * only place that knows how many digits a currency's minor unit has.
 */
const currencyExponents: Readonly<Record<string, number>> = {
  USD: 2,
  CAD: 2,
  EUR: 2,
  GBP: 2,
  AUD: 2,
  NZD: 2,
  CHF: 2,
  MXN: 2,
  COP: 2,
  BRL: 2,
  CLP: 0,
  JPY: 0,
  KRW: 0,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  INR: 2,
  ZAR: 2,
  SGD: 2,
  HKD: 2,
  CNY: 2,
  KES: 2,
  PEN: 2,
  ARS: 2,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

/** PostgreSQL bigint's maximum: the largest amount we carry. */
export const MAX_MINOR_UNITS = 9_223_372_036_854_775_807n;

export function isKnownCurrency(code: string): boolean {
  return Object.hasOwn(currencyExponents, code.toUpperCase());
}

/** The currency's minor-unit exponent (USD 2, JPY 0, KWD 3); throws for an unknown currency. */
export function currencyExponent(currency: string): number {
  const exponent = currencyExponents[currency.toUpperCase()];
  if (exponent === undefined) throw new RangeError(`Unknown currency "${currency}"`);
  return exponent;
}

/** Accepts what arrives from GraphQL or JSON (a bigint, a digit string or a safe integer). */
export function toMinorUnits(amount: bigint | string | number): bigint {
  if (typeof amount === 'bigint') return amount;
  if (typeof amount === 'number') {
    if (!Number.isSafeInteger(amount)) throw new RangeError(`Not a whole number of minor units: ${amount}`);
    return BigInt(amount);
  }
  if (!/^-?\d+$/.test(amount)) throw new RangeError(`Not a whole number of minor units: "${amount}"`);
  return BigInt(amount);
}

/** Minor units as a plain decimal string in major units, exactly: 123456n USD -> "1234.56" (for CSV and accounting). */
export function toDecimalString(amount: bigint | string | number, currency: string): string {
  const minor = toMinorUnits(amount);
  const exponent = currencyExponent(currency);
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const scale = 10n ** BigInt(exponent);
  const decimal = exponent > 0 ? `${abs / scale}.${(abs % scale).toString().padStart(exponent, '0')}` : `${abs}`;
  return `${negative ? '-' : ''}${decimal}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** Building an Intl.NumberFormat is costly (it showed in profiles): one per locale and currency. */
function formatterFor(locale: string, currency: string, exponent: number): Intl.NumberFormat {
  const key = `${locale}:${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * Formats minor units for people, exactly for any bigint: 123456n USD -> "$1,234.56",
 * 5000n JPY -> "¥5,000". Intl receives a decimal string, so no float ever touches the amount.
 */
export function formatMoney(amount: bigint | string | number, currency: string, locale = 'en-US'): string {
  const formatter = formatterFor(locale, currency.toUpperCase(), currencyExponent(currency));
  // ES2023 Intl.NumberFormat formats decimal strings exactly; the cast only quiets older lib typings.
  return formatter.format(toDecimalString(amount, currency) as unknown as number);
}
