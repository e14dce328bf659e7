import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ConnectionException } from '@mikro-orm/core';
import type { ValidationError } from 'class-validator';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError, ErrorCode, httpStatusFor } from '../../domain/errors.js';

interface FieldProblem {
  field: string;
  messages: string[];
}

function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
  '08004',
]);
/** What node-postgres says, with no SQLSTATE, when the server goes away under a connection. */
const connectionLost = /Connection terminated|not queryable|timeout exceeded when trying to connect/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && connectionErrorCodes.has(code)) return true;
  return error instanceof Error && !code && connectionLost.test(error.message);
}

const UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable; please retry shortly';

/**
 * For what fails while a request's context is built (the API key is read from the database):
 * Apollo answers those before any resolver runs, and would mask a database outage as a 500.
 */
export function contextFailure(error: unknown): unknown {
  if (!isDatabaseUnavailable(error)) return error;
  return new GraphQLError(UNAVAILABLE_MESSAGE, { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, http: { status: 503 } } });
}

/** Errors whose message and code are meant for the client as they are. */
function isExpected(error: unknown): boolean {
  if (error instanceof DomainError || error instanceof ArgumentValidationError) return true;
  if (error instanceof GraphQLError) {
    const code = error.extensions?.code;
    return typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR';
  }
  return false;
}

/**
 * The one place errors become client answers: domain errors keep their code and details,
 * validation errors name the fields, GraphQL's own errors keep their code, and everything else is
 * masked (the plugin below logs it with the request id).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const where = { locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    return { message: original.message, ...where, extensions: { code: original.code, ...original.details } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = flattenValidationErrors(original.extensions.validationErrors);
    const summary = fields.map((f) => f.messages.join(', ')).join('; ');
    return {
      message: `Invalid input: ${summary}`,
      ...where,
      extensions: { code: ErrorCode.BAD_USER_INPUT, field: fields[0]?.field, fields },
    };
  }
  if (isDatabaseUnavailable(original)) {
    return { message: UNAVAILABLE_MESSAGE, ...where, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
  }
  if (isExpected(original) || (formatted.extensions?.code && formatted.extensions.code !== 'INTERNAL_SERVER_ERROR')) {
    const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return { message: 'Internal server error', ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

interface LoggingContext {
  requestId: string;
  logger: { error(obj: object, msg: string): void };
}

/** Logs what formatError masks, and gives the client the request id to quote to support. */
export const unexpectedErrorPlugin: ApolloServerPlugin<LoggingContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue, operationName }) {
        for (const error of errors) {
          const original = unwrapResolverError(error);
          if (isExpected(original) || isDatabaseUnavailable(original)) continue;
          if (error.extensions?.code && error.extensions.code !== 'INTERNAL_SERVER_ERROR') continue;
          contextValue.logger.error(
            { err: original, requestId: contextValue.requestId, operationName, path: error.path },
            'unexpected error',
          );
        }
      },
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind !== 'single') return;
        const { data, errors = [] } = response.body.singleResult;
        for (const error of errors) {
          if (error.extensions?.code === 'INTERNAL_SERVER_ERROR' || error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE) {
            (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        }
        // A request that failed as a whole says why in its status too (503: retry; 429: slow down),
        // for load balancers and clients that look no further.
        const status = data == null ? errors.map((error) => httpStatusFor(error.extensions?.code)).find(Boolean) : undefined;
        if (status) response.http.status = status;
      },
    };
  },
};

/**
 * graphql-ws has no formatError hook of its own: subscription results and errors go through the same
 * formatter here, and what it masks is logged. Errors raised by an event stream carry no path, so
 * their original error is handed over directly.
 */
export function formatSubscriptionErrors(
  errors: readonly GraphQLError[],
  context: LoggingContext & { operationId: string },
): GraphQLFormattedError[] {
  return errors.map((error) => {
    const original = error.path ? error : (error.originalError ?? error);
    const formatted = formatError(error.toJSON(), original);
    if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
    context.logger.error(
      { err: unwrapResolverError(original), requestId: context.requestId, operationId: context.operationId, path: error.path },
      'unexpected error',
    );
    return { ...formatted, extensions: { ...formatted.extensions, requestId: context.requestId } };
  });
}
