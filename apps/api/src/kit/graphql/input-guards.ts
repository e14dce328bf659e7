import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, visit } from 'graphql';
import { ErrorCode } from '../../domain/errors.js';

/**
 * Text we can neither store nor check: a NUL character (PostgreSQL text cannot hold one, and the
 * driver fails the whole statement) or a lone UTF-16 surrogate (not Unicode; validators such as
 * class-validator's IsEmail throw on it).
 */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isMalformed = (text: string) => text.includes('\u0000') || loneSurrogate.test(text);

/**
 * How deep a variable's value may nest (objects and lists). The deepest input of the schemas is a few
 * levels (`input.lines.0.description`); a body of 12 kB can hold an array 6,000 levels deep.
 */
export const MAX_VARIABLE_DEPTH = 32;

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | null;
  depth: number;
}

const pathOf = (visit: Visit) => {
  const keys: string[] = [];
  for (let at: Visit | null = visit; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
};

/**
 * The first problem in the declared variables' values: malformed text, or nesting past
 * MAX_VARIABLE_DEPTH. Walked with a stack of its own, never recursion, so no input can exhaust the
 * call stack. Variables the operation does not declare are never read (GraphQL ignores them too).
 */
function variablesProblem(variables: Record<string, unknown>, declared: readonly string[]): { field: string; message: string } | null {
  const stack: Visit[] = [];
  for (const name of declared)
    if (Object.hasOwn(variables, name)) stack.push({ value: variables[name], key: name, parent: null, depth: 1 });
  while (stack.length) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      if (isMalformed(value)) return { field: pathOf(visit), message: 'Text must be valid Unicode without NUL characters' };
    } else if (value !== null && typeof value === 'object') {
      if (visit.depth > MAX_VARIABLE_DEPTH)
        return { field: pathOf(visit), message: `Variables may nest at most ${MAX_VARIABLE_DEPTH} levels deep` };
      for (const [key, inner] of Object.entries(value)) stack.push({ value: inner, key, parent: visit, depth: visit.depth + 1 });
    }
  }
  return null;
}

/** Whether a document has malformed text written in it; Apollo hands out one parsed document per query text, so each is visited once. */
const documentsChecked = new WeakMap<DocumentNode, boolean>();
function documentHasMalformedText(document: DocumentNode): boolean {
  let found = documentsChecked.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      [Kind.STRING](node) {
        if (!isMalformed(node.value)) return undefined;
        found = true;
        return BREAK;
      },
    });
    documentsChecked.set(document, found);
  }
  return found;
}

/**
 * The input checks every operation passes before anything runs, over HTTP (the plugin below) and
 * over graphql-ws alike: a BAD_USER_INPUT error naming the field, or null.
 */
export function refusedInput(
  document: DocumentNode,
  operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): GraphQLError | null {
  const declared = operation?.variableDefinitions?.map((definition) => definition.variable.name.value) ?? [];
  const problem =
    (variables && typeof variables === 'object' ? variablesProblem(variables, declared) : null) ??
    (documentHasMalformedText(document) ? { field: 'query', message: 'Text must be valid Unicode without NUL characters' } : null);
  if (!problem) return null;
  return new GraphQLError(problem.message, { extensions: { code: ErrorCode.BAD_USER_INPUT, field: problem.field, http: { status: 400 } } });
}

/** Malformed or too deeply nested input, in the variables or written in the query, is refused as bad input before anything runs. */
export const refuseMalformedText: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, operation }) {
        const refusal = refusedInput(document, operation, request.variables);
        if (refusal) throw refusal;
      },
    };
  },
};
