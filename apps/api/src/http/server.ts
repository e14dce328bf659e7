import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLSchema, type ValidationContext, type ValidationRule } from 'graphql';
import pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Settings } from '../config.js';
import { type Clock, systemClock } from '../domain/clock.js';
import type { Orm } from '../db/orm.js';
import type { CheckoutContext, MerchantContext } from '../graphql/context.js';
import { contextFailure, formatError, isDatabaseUnavailable, unexpectedErrorPlugin } from '../graphql/errors.js';
import { refuseMalformedText } from '../graphql/input-guards.js';
import { createLoaders } from '../graphql/loaders.js';
import { buildCheckoutSchema, buildMerchantSchema } from '../graphql/schema.js';
import { startWorker } from '../jobs/worker.js';
import type { Logger } from '../logger.js';
import type { MerchantActor } from '../modules/merchant/actor.js';
import { SupervisorGate } from '../modules/merchant/supervisor.service.js';
import { TokenLookupLimiter } from '../modules/checkout/token-lookup-limiter.js';
import cors from 'cors';
import { OutboxFeed } from '../modules/outbox/outbox-feed.js';
import { type AppDeps, createServices } from '../services.js';
import { authenticateCaller, bearerKey, partnerKeyOverHttp, unauthenticated } from './authentication.js';
import { graphiqlRouter } from './graphiql.js';
import { sandboxRouter, webhookRouter } from './processor-routes.js';
import { reportRouter } from './report-routes.js';
import { enqueueJob } from '../jobs/queue.js';
import { createProcessor } from '../processors/create-processor.js';
import { attachSubscriptionServers } from './subscriptions.js';

export interface ApiOptions {
  settings: Settings;
  databaseUrl: string;
  orm: Orm;
  logger: Logger;
  clock?: Clock;
  /** 0 picks a free port (tests). Defaults to settings.apiPort. */
  port?: number;
}

/** What `RunningApi.close` is waiting for, in order. */
export type ClosingStage = 'http' | 'jobs' | 'outbox-feed' | 'rate-limit-pool';

export interface RunningApi {
  url: string;
  port: number;
  deps: AppDeps;
  /** Stops taking requests, lets in-flight ones finish, then stops jobs and the outbox feed. */
  close(onStage?: (stage: ClosingStage) => void): Promise<void>;
}

const requestIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const { settings, orm, logger } = options;
  const clock = options.clock ?? systemClock;

  // A small pool of our own for the rate limiter's store.
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  pool.on('error', (err) => logger.warn({ err }, 'idle pg connection error'));
  const processor = createProcessor(settings, {
    em: () => orm.em.fork(),
    // Like a webhook: the change is picked up by a job, retried until handled.
    notify: (paymentReference) => enqueueJob(orm.em.fork(), 'sync-payment', { paymentReference }, { maxAttempts: 25 }),
    clock,
  });
  const deps: AppDeps = {
    settings,
    clock,
    logger,
    processor,
    outboxFeed: OutboxFeed.start({ databaseUrl: options.databaseUrl, logger, em: () => orm.em.fork() }),
    supervisorAttempts: new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limit',
      tableCreated: true,
      keyPrefix: 'kp',
      points: settings.supervisorMaxFailedAttempts,
      duration: settings.supervisorLockoutSeconds,
    }),
    tokenLookups: new TokenLookupLimiter(
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limit',
        tableCreated: true,
        keyPrefix: 'token-lookup',
        points: settings.tokenLookupMaxMisses,
        duration: settings.tokenLookupWindowSeconds,
      }),
    ),
  };

  const [merchantSchema, checkoutSchema] = await Promise.all([buildMerchantSchema(), buildCheckoutSchema()]);

  const app = express();
  app.disable('x-powered-by');
  // Answers are live (an invoice's amount due, a payment's status): no conditional requests, so no body hash per answer.
  app.set('etag', false);
  // The customer's address (rate limits, ACH mandates) comes from X-Forwarded-For when a trusted
  // proxy (by default: the checkout server on this host) set it.
  app.set('trust proxy', settings.trustProxy);
  const httpServer = http.createServer(app);
  httpServer.keepAliveTimeout = settings.httpKeepAliveSeconds * 1000;
  // Headers of a request on a reused socket get at least the keep-alive window (the pairing load balancer guides give).
  httpServer.headersTimeout = httpServer.keepAliveTimeout + 1000;

  const baseContext = (req: Request) => {
    const em = orm.em.fork();
    const meta = { requestId: req.requestId, ip: req.ip ?? null };
    return { em, meta, services: createServices(em, deps, meta), requestId: meta.requestId, ip: meta.ip, userAgent: req.header('user-agent') ?? null, logger, settings, clock };
  };

  const authenticate = async (key: string | undefined, services: ReturnType<typeof baseContext>['services']): Promise<MerchantActor> => {
    if (!key) throw unauthenticated('Send your API key as `Authorization: Bearer <key>`');
    const caller = await authenticateCaller(key, services);
    if (!caller) throw unauthenticated('The API key is not valid');
    if (caller.kind === 'partner') throw partnerKeyOverHttp();
    return caller.actor;
  };

  // graphql-armor's rules throw by default (a 500 in Apollo); reported instead, they become ordinary
  // validation errors (400 GRAPHQL_VALIDATION_FAILED) and the operation never executes.
  const reportAsValidationError = {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  const validationRules: ValidationRule[] = [
    maxDepthRule({ n: settings.graphqlMaxDepth, ignoreIntrospection: true, ...reportAsValidationError }),
    costLimitRule({ maxCost: settings.graphqlMaxCost, ignoreIntrospection: true, ...reportAsValidationError }),
    maxAliasesRule({ n: settings.graphqlMaxAliases, ...reportAsValidationError }),
    maxDirectivesRule({ n: 50, ...reportAsValidationError }),
  ];
  const plugins = (extra: ApolloServerPlugin<any>[] = []): ApolloServerPlugin<any>[] => [
    ApolloServerPluginLandingPageDisabled(),
    // No cache hints are ever set (every answer is live and per caller): without this, Apollo wraps every field's resolver to collect them.
    ApolloServerPluginCacheControlDisabled(),
    unexpectedErrorPlugin,
    refuseMalformedText,
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
    allowBatchedHttpRequests: false,
    // main.ts owns SIGINT/SIGTERM: it closes the API, then the database. Apollo's own handlers
    // (on by default outside NODE_ENV=test) made the servers' stop() never resolve in production.
    stopOnTerminationSignals: false,
  });

  const subscriptions = attachSubscriptionServers({ httpServer, merchantSchema, checkoutSchema, orm, deps, validationRules });
  const merchantServer = new ApolloServer<MerchantContext>({
    ...serverOptions(merchantSchema),
    // Draining the shared HTTP server (and the WebSocket servers) is done once, by this server.
    plugins: plugins([
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: Math.floor(settings.shutdownTimeoutMs / 2) }),
      { async serverWillStart() { return { async drainServer() { await subscriptions.close(); } }; } },
    ]),
  });
  const checkoutServer = new ApolloServer<CheckoutContext>({ ...serverOptions(checkoutSchema), plugins: plugins() });
  await Promise.all([merchantServer.start(), checkoutServer.start()]);

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && requestIdPattern.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.requestId);
    next();
  });

  // Browsers may call us from the hosted checkout's origin only (its tokeniser calls, in sandbox mode).
  app.use(cors({ origin: new URL(settings.checkoutUrl).origin, methods: ['GET', 'POST'], maxAge: 600 }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await Promise.race([
        orm.em.fork().getConnection().execute('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('database check timed out')), 2000).unref()),
      ]);
      res.json({ status: 'ready' });
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });

  if (!settings.production) app.use(graphiqlRouter('/graphql'));
  const webhookServices = () => createServices(orm.em.fork(), deps, { requestId: 'webhook' });
  const routeDeps = { orm, settings, logger, processor, payments: () => webhookServices().payments, refunds: () => webhookServices().refunds };
  app.use(webhookRouter(routeDeps));
  app.use(sandboxRouter(routeDeps));
  app.use(reportRouter((req) => baseContext(req).services));

  const json = express.json({ limit: '256kb' });
  app.use(
    '/graphql',
    json,
    expressMiddleware(merchantServer, {
      context: async ({ req }): Promise<MerchantContext> => {
        const base = baseContext(req);
        const actor = await authenticate(bearerKey(req.headers.authorization), base.services).catch((error: unknown) => {
          throw contextFailure(error);
        });
        const token = req.header('x-supervisor-token') || undefined;
        return { ...base, actor, loaders: createLoaders(base.em), supervisor: new SupervisorGate(actor, token, base.services.supervisor, base.services.audit) };
      },
    }),
  );
  app.use(
    '/checkout/graphql',
    json,
    expressMiddleware(checkoutServer, { context: async ({ req }): Promise<CheckoutContext> => ({ ...baseContext(req), tokenLookups: deps.tokenLookups }) }),
  );

  // The REST routes (reports, webhooks, the sandbox's endpoints) during a database outage: 503, so
  // that callers retry, instead of express's HTML 500.
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || !isDatabaseUnavailable(error)) return next(error);
    logger.warn({ err: error, requestId: req.requestId }, 'database unavailable');
    res.status(503).json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'The service is temporarily unavailable; please retry shortly', requestId: req.requestId } });
  });

  const worker = settings.runJobs ? await startWorker(options.databaseUrl, orm, deps) : null;

  const port = options.port ?? settings.apiPort;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, settings.apiHost, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const url = `http://${settings.apiHost}:${address.port}`;
  logger.info({ url }, 'API listening');

  return {
    url,
    port: address.port,
    deps,
    close: async (onStage = () => undefined) => {
      onStage('http');
      await Promise.all([merchantServer.stop(), checkoutServer.stop()]);
      onStage('jobs');
      await worker?.stop();
      onStage('outbox-feed');
      await deps.outboxFeed.close();
      onStage('rate-limit-pool');
      await pool.end();
    },
  };
}
