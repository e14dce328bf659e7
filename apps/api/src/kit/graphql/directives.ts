import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { DirectiveLocation, defaultFieldResolver, GraphQLDirective, type GraphQLSchema } from 'graphql';

/** What the directive needs of a request's context: a gate that checks the supervisor elevation it carries. */
interface SupervisedContext {
  supervisor: { authorize(coordinate: string, args: Record<string, unknown>): Promise<void> };
}

export const supervisorDirective = new GraphQLDirective({
  name: 'supervisor',
  description: 'The field needs a supervisor elevation: send `X-Supervisor-Token` with a token from `elevateSupervisor`.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
});

/**
 * Enforces `@supervisor` wherever it appears in the SDL: the wrapped resolver runs only after the
 * request's supervisor token is verified (and the access audited). Without one the field answers
 * SUPERVISOR_REQUIRED and its resolver, and so any change it would make, never runs.
 */
export function applySupervisorDirective(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      if (!getDirective(schema, fieldConfig, supervisorDirective.name)?.length) return fieldConfig;
      const resolve = fieldConfig.resolve ?? defaultFieldResolver;
      const coordinate = `${typeName}.${fieldName}`;
      return {
        ...fieldConfig,
        resolve: async (source, args, context: SupervisedContext, info) => {
          await context.supervisor.authorize(coordinate, args);
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
