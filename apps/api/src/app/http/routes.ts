import { randomUUID } from 'node:crypto';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type Express, type Request } from 'express';
import helmet from 'helmet';
import { contextFailure } from '../../kit/graphql/errors.js';
import type { Logger } from '../../kit/logger.js';
import type { Settings } from '../../kit/settings.js';
import { brandingRouter } from '../../modules/merchant/index.js';
import type { ProcessorPlatform } from '../../processors/processor-account.port.js';
import type { AppCheckoutContext, AppMerchantContext, UnitOfWork, UnitsOfWork } from '../unit-of-work.js';
import { authenticateMerchant, bearerKey } from './authentication.js';
import { jsonErrorHandlers } from './error-handler.js';
import { graphiqlRouter } from './graphiql.js';
import type { GraphqlServers } from './graphql-servers.js';
import { healthRouter } from './health-routes.js';
import { accessLog, metricsRouter, requestMetrics } from './observability.js';
import { sandboxRouter, webhookRouter } from './processor-routes.js';
import { reportRouter } from './report-routes.js';

export interface RouteDeps {
  settings: Settings;
  logger: Logger;
  units: UnitsOfWork;
  platform: ProcessorPlatform;
  graphql: GraphqlServers;
}

const requestIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

/**
 * helmet's headers (HSTS, nosniff, frame and referrer policies...) with a policy for what the API
 * serves: JSON, which needs nothing, and the sandbox's pages (inline style, forms posting to
 * themselves and redirecting back: the 3-D Secure page to the checkout, the onboarding page to the
 * console or the checkout). Logos are loaded by the checkout and the console from
 * another origin: cross-origin resources (CORS still decides who may read an answer).
 */
function securityHeaders(settings: Settings) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        formAction: ["'self'", new URL(settings.checkoutUrl).origin, new URL(settings.consoleUrl).origin],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
}

/** Every route of the API, in the order express tries them. */
export function mountRoutes(app: Express, { settings, logger, units, platform, graphql }: RouteDeps): void {
  const unitFor = (req: Request): UnitOfWork =>
    units.open({ requestId: req.requestId, ip: req.ip ?? null, userAgent: req.header('user-agent') ?? null });

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && requestIdPattern.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.requestId);
    next();
  });
  app.use(requestMetrics());
  app.use(accessLog(logger));

  // Browsers may call us from the hosted checkout's and the merchant console's origins only: their
  // card forms post to the sandbox's tokeniser (sandbox mode). Everything else is server to server.
  const browserOrigins = [...new Set([settings.checkoutUrl, settings.consoleUrl].map((url) => new URL(url).origin))];
  app.use(cors({ origin: browserOrigins, methods: ['GET', 'POST'], maxAge: 600 }));

  // GraphiQL (development only) runs its own scripts: it comes before the API's strict policy.
  if (!settings.production) app.use(graphiqlRouter('/graphql'));
  app.use(securityHeaders(settings));

  // The GraphQL endpoints, which take nearly every request, before the REST routers: express tries
  // each router in turn, and every one passed costs a request that is not its own.
  //
  // A logo (updateMerchantSettings) is up to 200 KB, ~270 KB as base64 in a data: URL: the merchant
  // schema takes 320 KB. The public checkout never needs more than the 256 KB it always had.
  const json = express.json({ limit: '320kb' });
  const checkoutJson = express.json({ limit: '256kb' });
  app.use(
    '/graphql',
    json,
    expressMiddleware(graphql.merchant, {
      context: async ({ req }): Promise<AppMerchantContext> => {
        const unit = unitFor(req);
        const key = bearerKey(req.headers.authorization);
        if (!key && !req.headers.authorization) return units.anonymousMerchantContext(unit);
        const actor = await authenticateMerchant(key, unit.services).catch((error: unknown) => {
          throw contextFailure(error);
        });
        return units.merchantContext(unit, actor, req.header('x-supervisor-token') || undefined);
      },
    }),
  );
  app.use(
    '/checkout/graphql',
    checkoutJson,
    expressMiddleware(graphql.checkout, { context: async ({ req }): Promise<AppCheckoutContext> => units.checkoutContext(unitFor(req)) }),
  );

  // The REST routes: health, metrics, processor webhooks, the sandbox's pages, reports, branding.
  app.use(healthRouter({ em: () => units.em(), logger }));
  app.use(metricsRouter(settings));
  app.use(webhookRouter({ logger, platform, processorEvents: () => units.services('webhook').processorEvents }));
  app.use(sandboxRouter({ em: () => units.em(), platform, checkoutUrl: settings.checkoutUrl, consoleUrl: settings.consoleUrl }));
  app.use(reportRouter((req) => unitFor(req).services));
  app.use(brandingRouter(() => units.em()));

  // Whatever no route answered, and every error outside GraphQL's own handling (a body that is not
  // JSON, a database outage under a REST route: 503, so that callers retry): coded JSON, never HTML.
  const errorHandlers = jsonErrorHandlers(logger);
  app.use(errorHandlers.notFound);
  app.use(errorHandlers.failed);
}
