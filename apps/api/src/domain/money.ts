import { currencyExponent, formatMoney, isKnownCurrency, MAX_MINOR_UNITS, toDecimalString } from '@kometpay/money';
import { DomainError, ErrorCode } from './errors.js';

export { currencyExponent, formatMoney, isKnownCurrency, MAX_MINOR_UNITS, toDecimalString };

export interface Money {
  amount: bigint;
  currency: string;
}

/** The upper-cased ISO code, or UNKNOWN_CURRENCY. */
export function assertCurrency(code: string, field = 'currency'): string {
  if (!isKnownCurrency(code)) {
    throw new DomainError(ErrorCode.UNKNOWN_CURRENCY, `Unknown currency "${code}"`, { field });
  }
  return code.toUpperCase();
}
