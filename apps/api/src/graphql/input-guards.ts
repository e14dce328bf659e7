import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, type DocumentNode, GraphQLError, Kind, visit } from 'graphql';
import { ErrorCode } from '../domain/errors.js';

/**
 * Text we can neither store nor check: a NUL character (PostgreSQL text cannot hold one, and the
 * driver fails the whole statement) or a lone UTF-16 surrogate (not Unicode; validators such as
 * class-validator's IsEmail throw on it).
 */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isMalformed = (text: string) => text.includes('\u0000') || loneSurrogate.test(text);

/** The path (`input.reason`, `lines.0.description`) of the first malformed string in `value`. */
function malformedTextIn(value: unknown, path: string[]): string | null {
  if (typeof value === 'string') return isMalformed(value) ? path.join('.') : null;
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = malformedTextIn(inner, [...path, key]);
      if (found !== null) return found;
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

/** Malformed text, in the variables or written in the query, is refused as bad input before anything runs. */
export const refuseMalformedText: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const field = malformedTextIn(request.variables ?? {}, []) ?? (documentHasMalformedText(document) ? 'query' : null);
        if (field !== null) {
          throw new GraphQLError('Text must be valid Unicode without NUL characters', { extensions: { code: ErrorCode.BAD_USER_INPUT, field, http: { status: 400 } } });
        }
      },
    };
  },
};
