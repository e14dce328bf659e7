import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateResolver, DateTimeResolver } from 'graphql-scalars';
import { MAX_MINOR_UNITS } from '../../domain/money.js';

const integerPattern = /^-?\d+$/;

function toMinorUnits(value: unknown): bigint {
  if (typeof value === 'bigint') return checkRange(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new GraphQLError('MinorUnits must be a whole number of minor units (e.g. 1050 for $10.50)');
    }
    return checkRange(BigInt(value));
  }
  if (typeof value === 'string' && integerPattern.test(value)) return checkRange(BigInt(value));
  throw new GraphQLError('MinorUnits must be a whole number of minor units, as a string or an integer (e.g. "1050" for $10.50)');
}

function checkRange(value: bigint): bigint {
  if (value > MAX_MINOR_UNITS || value < -MAX_MINOR_UNITS) {
    throw new GraphQLError(`MinorUnits must be between -${MAX_MINOR_UNITS} and ${MAX_MINOR_UNITS}`, {
      extensions: { code: 'AMOUNT_OUT_OF_RANGE' },
    });
  }
  return value;
}

/** Integer amount in minor units. A string on the wire (amounts may exceed 2^53); a bigint inside. */
export const MinorUnitsScalar = new GraphQLScalarType<bigint, string>({
  name: 'MinorUnits',
  description: "Integer amount in the currency's minor units, e.g. 1050 = $10.50. Serialised as a string; may exceed 2^31.",
  serialize: (value) => toMinorUnits(value).toString(),
  parseValue: (value) => toMinorUnits(value),
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return toMinorUnits(ast.kind === Kind.INT ? ast.value : ast.value);
    throw new GraphQLError('MinorUnits must be a string or an integer literal');
  },
});

/** A calendar date, `YYYY-MM-DD` (graphql-scalars' RFC 3339 full-date). */
export const DateScalar = DateResolver;

/** An instant, RFC 3339 date-time (graphql-scalars). */
export const DateTimeScalar = DateTimeResolver;

/** graphql-scalars' Date parses to a JS Date at UTC midnight; we keep calendar dates as strings. */
export function toCalendarDate(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return value.toISOString().slice(0, 10);
}
