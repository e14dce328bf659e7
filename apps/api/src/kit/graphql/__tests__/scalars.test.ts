import { Kind } from 'graphql';
import { MinorUnitsScalar } from '../scalars.js';

describe('MinorUnits scalar', () => {
  it('carries amounts beyond 2^53 exactly, as strings on the wire', () => {
    expect(MinorUnitsScalar.parseValue('9007199254740993')).toBe(9007199254740993n);
    expect(MinorUnitsScalar.serialize(9007199254740993n)).toBe('9007199254740993');
    expect(MinorUnitsScalar.parseLiteral({ kind: Kind.STRING, value: '1050' }, {})).toBe(1050n);
    expect(MinorUnitsScalar.parseLiteral({ kind: Kind.INT, value: '1050' }, {})).toBe(1050n);
  });

  it('refuses fractions, words and amounts beyond bigint', () => {
    expect(() => MinorUnitsScalar.parseValue('10.50')).toThrow(/whole number/);
    expect(() => MinorUnitsScalar.parseValue(10.5)).toThrow(/whole number/);
    expect(() => MinorUnitsScalar.parseValue('ten')).toThrow(/whole number/);
    expect(() => MinorUnitsScalar.parseValue('9223372036854775808')).toThrow(/between/);
  });
});
