import { currencyExponent, isKnownCurrency } from '@kometpay/money';

/**
 * An amount typed by a person ("1,234.50", "$12", "12.5") as minor units, exactly (no float), or
 * null when it is not an amount in that currency: more decimals than the currency has, letters, a
 * negative sign. Zero is an amount; whether it is allowed is the caller's (and the API's) rule.
 */
export function parseAmount(text: string, currency: string): string | null {
  if (!isKnownCurrency(currency)) return null;
  const exponent = currencyExponent(currency);
  const cleaned = text
    .trim()
    .replace(/^[$€£¥]/, '')
    .replace(/,/g, '');
  const match = /^(\d{1,15})(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const [, whole, fraction = ''] = match;
  if (fraction.length > exponent) return null;
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  return minor.toString();
}

/** Minor units as the plain decimal a person types back into a field: 123450 USD -> "1234.50". */
export function amountForInput(minor: string, currency: string): string {
  const exponent = currencyExponent(currency);
  const value = BigInt(minor);
  if (exponent === 0) return value.toString();
  const scale = 10n ** BigInt(exponent);
  return `${value / scale}.${(value % scale).toString().padStart(exponent, '0')}`;
}
