import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  type GraphQLInputType,
  type GraphQLNamedInputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';

/** What a plausible call uses: the caller's own objects, and values the type alone does not tell. */
export interface KnownValues {
  /** One of the caller's own objects for an ID field, chosen by the field's name. */
  idFor(fieldName: string): string;
  /** Plausible values by field name (a currency, a card token, the supervisor password...). */
  byName: Record<string, unknown>;
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  "' or 1=1 --",
  '<script>alert(1)</script>',
  '💳'.repeat(500),
  'ž'.repeat(10_000),
  'x'.repeat(100_000),
  'x'.repeat(300_000),
];
const HOSTILE_MINOR_UNITS = [
  '10.5',
  '-1',
  '0',
  '1e3',
  ' 1',
  '',
  'abc',
  String(2n ** 31n),
  String(2n ** 53n + 1n),
  String(2n ** 63n),
  String(-(2n ** 63n)),
  String(10n ** 30n),
  10.5,
  -1,
  2 ** 53,
];
const HOSTILE_INTS = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5, '1'];
const HOSTILE_IDS = ['', 'not-a-uuid', '00000000-0000-0000-0000-000000000000', "1' or '1'='1", '\u0000'];
const HOSTILE_DATES = ['2026-02-30', '0000-00-00', 'tomorrow', '2026-13-01T00:00:00Z', '\u0000'];

/** The worst of each type, what the short form tries: a NUL byte, a fraction, amounts past 2^63, an Int past 2^31... */
const WORST: Record<string, unknown[]> = {
  ID: ['not-a-uuid'],
  Int: [2 ** 31],
  MinorUnits: ['10.5', String(2n ** 63n)],
  Boolean: ['true'],
  Date: ['2026-02-30'],
  DateTime: ['tomorrow'],
  String: ['a\u0000b'],
};

/** Values no valid call carries, per type: what the one-field-at-a-time sweep puts in each field. */
export function hostileValues(type: GraphQLNamedInputType, all: boolean): unknown[] {
  if (isEnumType(type)) return ['NOT_A_VALUE', ...(all ? [''] : [])];
  if (!all) return WORST[type.name] ?? WORST.String;
  const byType: Record<string, unknown[]> = {
    ID: HOSTILE_IDS,
    Int: HOSTILE_INTS,
    MinorUnits: HOSTILE_MINOR_UNITS,
    Boolean: ['true', 1],
    Date: HOSTILE_DATES,
    DateTime: HOSTILE_DATES,
  };
  return byType[type.name] ?? HOSTILE_STRINGS;
}

function plausibleScalar(type: GraphQLNamedInputType, name: string, known: KnownValues): unknown {
  if (name in known.byName) return known.byName[name];
  if (name === 'idempotencyKey') return randomUUID();
  if (isEnumType(type)) return type.getValues()[0].value;
  const byType: Record<string, unknown> = {
    ID: known.idFor(name),
    String: `fuzz ${name}`,
    MinorUnits: '100',
    Int: 1,
    Boolean: true,
    Date: '2026-12-31',
    DateTime: new Date().toISOString(),
  };
  return byType[type.name];
}

/**
 * A plausible value for a GraphQL input type: its required fields filled in (so that a call gets
 * past validation), optional ones left out, except along `force`, a path that must be present.
 */
export function plausibleValue(type: GraphQLInputType, name: string, known: KnownValues, force: string[] = []): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [plausibleValue(inner.ofType, name, known, force)];
  if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields()).filter((field) => isNonNullType(field.type) || field.name === force[0]);
    return Object.fromEntries(
      fields.map((field) => [field.name, plausibleValue(field.type, field.name, known, field.name === force[0] ? force.slice(1) : [])]),
    );
  }
  return plausibleScalar(getNamedType(inner), name, known);
}

/** Every leaf field under an input type, as the path of field names leading to it, with its type. */
export function leavesOf(
  type: GraphQLInputType,
  path: string[] = [],
  seen = new Set<string>(),
): { path: string[]; type: GraphQLNamedInputType }[] {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return [{ path, type: named }];
  if (seen.has(named.name)) return [];
  return Object.values(named.getFields()).flatMap((field) => leavesOf(field.type, [...path, field.name], new Set([...seen, named.name])));
}

/** `value` with the leaf at `path` (under input objects and lists) replaced by `leaf`. */
export function withLeaf(value: unknown, path: string[], leaf: unknown): unknown {
  if (!path.length) return leaf;
  if (Array.isArray(value)) return value.map((element) => withLeaf(element, path, leaf));
  const object = value as Record<string, unknown>;
  return { ...object, [path[0]]: withLeaf(object[path[0]], path.slice(1), leaf) };
}

/**
 * Random values for a GraphQL input type, built from the SDL: mostly plausible, a quarter of each
 * field hostile, so that calls with one bad field among good ones get deep into the API; null where
 * the type allows it (and now and then where it does not); lists short or empty.
 */
export function arbitraryFor(type: GraphQLInputType, name: string, known: KnownValues, depth = 0): fc.Arbitrary<unknown> {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  let value: fc.Arbitrary<unknown>;
  if (isListType(inner)) {
    value = fc.array(arbitraryFor(inner.ofType, name, known, depth + 1), { minLength: 1, maxLength: 3 });
  } else if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields());
    const model = Object.fromEntries(
      fields.map((field) => [field.name, depth > 3 ? fc.constant(null) : arbitraryFor(field.type, field.name, known, depth + 1)]),
    );
    value = fc.record(model, { requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name) });
  } else {
    const named = getNamedType(inner);
    const random =
      named.name === 'String' || named.name === 'ID'
        ? [fc.string(), fc.string({ unit: 'binary', maxLength: 64 })]
        : named.name === 'MinorUnits'
          ? [fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String)]
          : [fc.integer()];
    value = fc.oneof(
      { arbitrary: fc.constant(null).map(() => plausibleScalar(named, name, known)), weight: 3 },
      { arbitrary: fc.oneof(fc.constantFrom(...hostileValues(named, true)), ...random), weight: 1 },
    );
  }
  return fc.option(value, { nil: null, freq: nonNull ? 20 : 4 });
}
