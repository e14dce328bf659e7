import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { type Clock, systemClock } from '../../domain/clock.js';
import type { Logger } from '../../kit/logger.js';
import { setMetricSources } from '../../kit/metrics.js';
import { assertServable, type Settings } from '../../kit/settings.js';
import type { Orm } from '../db/orm.js';
import { createDependencies } from '../dependencies.js';
import { startWorker } from '../jobs/worker.js';
import { buildCheckoutSchema, buildMerchantSchema } from '../schema.js';
import type { AppDeps } from '../services.js';
import { UnitsOfWork } from '../unit-of-work.js';
import { clientAddressOf, type TrustProxy } from './client-address.js';
import { cursorSecretsFor } from './cursor-secrets.js';
import { queryLimits, startGraphqlServers } from './graphql-servers.js';
import { mountRoutes } from './routes.js';
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

/** The API: both GraphQL schemas over HTTP and graphql-ws, the REST routes, and (unless RUN_JOBS=false) the job worker. */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const { settings, orm, logger } = options;
  assertServable(settings);
  const cursorSecrets = await cursorSecretsFor(settings);
  const dependencies = createDependencies({ ...options, cursorSecrets, clock: options.clock ?? systemClock });
  const { deps } = dependencies;
  const units = new UnitsOfWork(orm, deps);
  const [merchantSchema, checkoutSchema] = await Promise.all([buildMerchantSchema(), buildCheckoutSchema()]);

  const app = createExpressApp(settings);
  const httpServer = createHttpServer(app, settings);
  const trustProxy = app.get('trust proxy fn') as TrustProxy;
  const validationRules = queryLimits(settings);
  const subscriptions = attachSubscriptionServers({
    httpServer,
    merchantSchema,
    checkoutSchema,
    units,
    logger,
    settings,
    validationRules,
    clientAddress: (request) => clientAddressOf(request, trustProxy),
  });
  const graphql = await startGraphqlServers({
    settings,
    httpServer,
    merchantSchema,
    checkoutSchema,
    validationRules,
    onDrain: () => subscriptions.close(),
  });
  mountRoutes(app, { settings, logger, units, platform: deps.processors.platform, graphql });
  const worker = settings.runJobs ? await startWorker(options.databaseUrl, units, deps) : null;
  setMetricSources({
    subscribers: () => subscriptions.subscriberCount(),
    outboxLagSeconds: () => outboxLagSeconds(deps, units),
  });

  const address = await listen(httpServer, options.port ?? settings.apiPort, settings.apiHost);
  const url = `http://${settings.apiHost}:${address.port}`;
  logger.info({ url }, 'API listening');

  return {
    url,
    port: address.port,
    deps,
    close: async (onStage = () => undefined) => {
      onStage('http');
      await graphql.stop();
      onStage('jobs');
      await worker?.stop();
      await dependencies.close(onStage);
    },
  };
}

/**
 * How far this instance's outbox feed is behind: the age of the oldest committed event above the
 * position up to which it has passed everything on (0 when caught up). Bounded to 2 s per scrape.
 */
async function outboxLagSeconds(deps: AppDeps, units: UnitsOfWork): Promise<number> {
  const measure = async () => {
    const position = await deps.outboxFeed.currentPosition();
    const [row] = await units
      .em()
      .getConnection()
      .execute<{ lag: number | null }[]>(
        'select extract(epoch from now() - min(occurred_at))::float8 as lag from outbox_event where position > ?',
        [position.toString()],
      );
    return Math.max(0, row?.lag ?? 0);
  };
  const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 2000).unref());
  return Promise.race([measure(), timeout]);
}

function createExpressApp(settings: Settings): Express {
  const app = express();
  app.disable('x-powered-by');
  // Answers are live (an invoice's amount due, a payment's status): no conditional requests, so no body hash per answer.
  app.set('etag', false);
  // The customer's address (rate limits, ACH mandates) comes from X-Forwarded-For when a trusted
  // proxy (by default: the checkout server on this host) set it.
  app.set('trust proxy', settings.trustProxy);
  return app;
}

function createHttpServer(app: Express, settings: Settings): http.Server {
  return http.createServer(
    {
      keepAliveTimeout: settings.httpKeepAliveSeconds * 1000,
      // Slow clients: the headers, then the whole request, must arrive within these, counted from the
      // request's first byte (408 otherwise). Load balancer guides pair headersTimeout with the
      // keep-alive window (keep-alive + 1 s) for Node before 18, whose headers timer started when the
      // previous response ended, so a request sent late on an idle kept-alive socket was cut off. On
      // Node 18 and later an idle kept-alive socket has no request timer running at all (checked:
      // tests/reliability/websocket-limits.test.ts), so the two are independent and slow headers are cut
      // after 20 s by default rather than after the keep-alive window.
      headersTimeout: settings.httpHeadersTimeoutSeconds * 1000,
      requestTimeout: settings.httpRequestTimeoutSeconds * 1000,
      // How often those timeouts are checked (Node's default, 30 s, would let a slow request run up to 30 s over).
      connectionsCheckingInterval: 1000,
    },
    app,
  );
}

async function listen(httpServer: http.Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  return httpServer.address() as AddressInfo;
}
