import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLError, GraphQLSchema, ValidationContext, ValidationRule } from 'graphql';
import { formatError, unexpectedErrorPlugin } from '../../kit/graphql/errors.js';
import { refuseMalformedText } from '../../kit/graphql/input-guards.js';
import type { Settings } from '../../kit/settings.js';
import { ANONYMOUS_OPERATIONS, anonymousOperationGate } from '../../modules/merchant/index.js';
import type { AppCheckoutContext, AppMerchantContext } from '../unit-of-work.js';
import { operationMetricsPlugin } from './observability.js';

/** The query limits (depth, cost, aliases, directives), applied on HTTP and graphql-ws alike. */
export function queryLimits(settings: Settings): ValidationRule[] {
  // graphql-armor's rules throw by default (a 500 in Apollo); reported instead, they become ordinary
  // validation errors (400 GRAPHQL_VALIDATION_FAILED) and the operation never executes.
  const reportAsValidationError = {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  return [
    maxDepthRule({ n: settings.graphqlMaxDepth, ignoreIntrospection: true, ...reportAsValidationError }),
    costLimitRule({ maxCost: settings.graphqlMaxCost, ignoreIntrospection: true, ...reportAsValidationError }),
    maxAliasesRule({ n: settings.graphqlMaxAliases, ...reportAsValidationError }),
    maxDirectivesRule({ n: 50, ...reportAsValidationError }),
  ];
}

export interface GraphqlServerOptions {
  settings: Settings;
  httpServer: http.Server;
  merchantSchema: GraphQLSchema;
  checkoutSchema: GraphQLSchema;
  validationRules: ValidationRule[];
  /** Stops what else shares the HTTP server (the WebSocket servers) while it drains. */
  onDrain(): Promise<void>;
}

export interface GraphqlServers {
  merchant: ApolloServer<AppMerchantContext>;
  checkout: ApolloServer<AppCheckoutContext>;
  /** Stops taking requests and lets in-flight ones finish (the HTTP server is drained here, once). */
  stop(): Promise<void>;
}

/** The Apollo servers of both schemas, started. */
export async function startGraphqlServers(options: GraphqlServerOptions): Promise<GraphqlServers> {
  const { settings, httpServer, validationRules } = options;
  // biome-ignore lint/suspicious/noExplicitAny: one list of plugins serves both servers, whose contexts differ.
  const plugins = (extra: ApolloServerPlugin<any>[] = []): ApolloServerPlugin<any>[] => [
    ApolloServerPluginLandingPageDisabled(),
    // No cache hints are ever set (every answer is live and per caller): without this, Apollo wraps every field's resolver to collect them.
    ApolloServerPluginCacheControlDisabled(),
    unexpectedErrorPlugin,
    refuseMalformedText,
    operationMetricsPlugin,
    ...extra,
  ];
  const serverOptions = (schema: GraphQLSchema) => ({
    schema,
    introspection: !settings.production,
    csrfPrevention: true,
    formatError,
    validationRules,
    parseOptions: { maxTokens: 10_000 },
    includeStacktraceInErrorResponses: false,
    // "Did you mean …?" in a validation error names fields: in production it would reveal the schema
    // that turning introspection off hides.
    hideSchemaDetailsFromClientErrors: settings.production,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGINT/SIGTERM: it closes the API, then the database. Apollo's own handlers
    // (on by default outside NODE_ENV=test) made the servers' stop() never resolve in production.
    stopOnTerminationSignals: false,
  });

  const merchant = new ApolloServer<AppMerchantContext>({
    ...serverOptions(options.merchantSchema),
    // Draining the shared HTTP server (and the WebSocket servers) is done once, by this server.
    plugins: plugins([
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: Math.floor(settings.shutdownTimeoutMs / 2) }),
      anonymousOperationGate(ANONYMOUS_OPERATIONS, 'Send your API key or staff session as `Authorization: Bearer <key>`, or sign in'),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await options.onDrain();
            },
          };
        },
      },
    ]),
  });
  const checkout = new ApolloServer<AppCheckoutContext>({ ...serverOptions(options.checkoutSchema), plugins: plugins() });
  await Promise.all([merchant.start(), checkout.start()]);
  return {
    merchant,
    checkout,
    async stop() {
      await Promise.all([merchant.stop(), checkout.stop()]);
    },
  };
}
