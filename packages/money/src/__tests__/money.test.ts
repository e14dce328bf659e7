import { currencyExponent, formatMoney, isKnownCurrency, toDecimalString, toMinorUnits } from '../index.js';

describe('money', () => {
  it('formats minor units with the currency exponent', () => {
    expect(formatMoney(123456n, 'USD')).toBe('$1,234.56');
    expect(formatMoney(5n, 'usd')).toBe('$0.05');
    expect(formatMoney(5000n, 'JPY')).toBe('¥5,000');
    expect(formatMoney(1234n, 'KWD')).toBe('KWD\u00a01.234');
    expect(formatMoney(-250n, 'EUR')).toBe('-€2.50');
  });

  it('writes plain decimals for CSV', () => {
    expect(toDecimalString(123456n, 'USD')).toBe('1234.56');
    expect(toDecimalString(-5n, 'USD')).toBe('-0.05');
    expect(toDecimalString(5000n, 'JPY')).toBe('5000');
  });

  it('is exact far beyond 2^53', () => {
    expect(formatMoney(9_223_372_036_854_775_807n, 'USD')).toBe('$92,233,720,368,547,758.07');
  });

  it('knows currencies and their exponents', () => {
    expect(isKnownCurrency('cad')).toBe(true);
    expect(isKnownCurrency('XXX')).toBe(false);
    expect(currencyExponent('CLP')).toBe(0);
    expect(() => currencyExponent('ZZZ')).toThrow('Unknown currency');
  });

  it('parses only whole numbers of minor units', () => {
    expect(toMinorUnits('1050')).toBe(1050n);
    expect(toMinorUnits(7)).toBe(7n);
    expect(() => toMinorUnits('10.50')).toThrow();
    expect(() => toMinorUnits(1.5)).toThrow();
  });
});
