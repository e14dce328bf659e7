import type { ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { ErrorCode } from '../../domain/errors.js';

/** The root fields an operation selects, through fragments and inline fragments. */
function rootFields(selectionSet: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(selection.selectionSet, document, seen);
    if (seen.has(selection.name.value)) return [];
    seen.add(selection.name.value);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
    return fragment && fragment.kind === Kind.FRAGMENT_DEFINITION ? rootFields(fragment.selectionSet, document, seen) : [];
  });
}

/**
 * The merchant schema without a credential: only the operations that give one (sign-in, accepting an
 * invitation) may run; anything else is refused whole with 401 before any resolver runs, as it was
 * when every request needed a key.
 */
export function anonymousOperationGate(allowed: ReadonlySet<string>, message: string): ApolloServerPlugin<{ anonymous?: boolean }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          if (!contextValue.anonymous || !operation) return;
          const fields = rootFields((operation as OperationDefinitionNode).selectionSet, document);
          if (operation.operation === 'mutation' && fields.every((field) => allowed.has(field) || field === '__typename')) return;
          throw new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
        },
      };
    },
  };
}
