import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { repoRoot } from './child-api.js';

/** The committed SDL, the API's contract: what the generated tests walk, so new operations are covered. */
export function committedSchema(name: 'merchant' | 'checkout'): GraphQLSchema {
  return buildSchema(readFileSync(path.join(repoRoot, 'packages/schema', `${name}.graphql`), 'utf8'));
}

export type RootKind = 'Query' | 'Mutation';

export interface Operation {
  root: RootKind;
  field: GraphQLField<unknown, unknown>;
}

export function operationsOf(schema: GraphQLSchema): Operation[] {
  return (['Query', 'Mutation'] as const).flatMap((root) => {
    const type = root === 'Query' ? schema.getQueryType() : schema.getMutationType();
    return type ? Object.values(type.getFields()).map((field) => ({ root, field })) : [];
  });
}

/** An ID somewhere in an operation's arguments: `customerId`, `input.invoiceIds`, `input.allocations.invoiceId`... */
export interface IdSlot {
  /** Argument name, then input field names (lists are walked through). */
  path: string[];
  required: boolean;
}

function idSlotsIn(type: GraphQLInputType, path: string[], required: boolean, seen: Set<string>): IdSlot[] {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  const named = getNamedType(inner);
  if (named.name === 'ID') return [{ path, required: required && nonNull }];
  if (!isInputObjectType(named) || seen.has(named.name)) return [];
  return Object.values(named.getFields()).flatMap((field) =>
    idSlotsIn(field.type, [...path, field.name], required && nonNull, new Set([...seen, named.name])),
  );
}

export function idSlotsOf(operation: Operation): IdSlot[] {
  return operation.field.args.flatMap((arg) => idSlotsIn(arg.type, [arg.name], true, new Set()));
}

/**
 * A selection of everything readable two levels down (leaves, and the leaves of nested objects),
 * without arguments: enough to see any data an answer would leak, within the API's cost limits.
 */
export function selectionOf(type: GraphQLOutputType, depth = 2): string {
  const named = getNamedType(type);
  if (isLeafType(named) || !isObjectType(named)) return '';
  const parts = Object.values(named.getFields())
    .filter((field) => !field.args.some((arg) => isNonNullType(arg.type)))
    .flatMap((field) => {
      const fieldType = getNamedType(field.type);
      if (isLeafType(fieldType)) return [field.name];
      const nested = depth > 1 ? selectionOf(field.type, depth - 1) : '';
      return nested && nested !== '{ __typename }' ? [`${field.name} ${nested}`] : [];
    });
  return `{ ${parts.length ? parts.join(' ') : '__typename'} }`;
}

/** The type as written in a variable definition (`[ID!]!`, `ChargeInvoicesInput!`). */
function typeName(type: GraphQLInputType): string {
  if (isNonNullType(type)) return `${typeName(type.ofType)}!`;
  if (isListType(type)) return `[${typeName(type.ofType)}]`;
  return type.name;
}

/** The operation as a document taking each named argument as a variable of the same name. */
export function documentFor(operation: Operation, argNames: string[]): string {
  const args = operation.field.args.filter((arg) => argNames.includes(arg.name));
  const variables = args.map((arg) => `$${arg.name}: ${typeName(arg.type)}`).join(', ');
  const call = args.length ? `(${args.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})` : '';
  const selection = selectionOf(operation.field.type);
  return `${operation.root.toLowerCase()}${variables ? ` (${variables})` : ''} { ${operation.field.name}${call} ${selection} }`;
}
