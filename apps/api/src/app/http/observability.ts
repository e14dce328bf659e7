import { timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../kit/logger.js';
import { boundedLabel, graphqlOperationDuration, httpRequestDuration, metricsRegistry } from '../../kit/metrics.js';
import type { Settings } from '../../kit/settings.js';

/** The route's pattern (`/branding/:merchantId/:file`), never the path itself: the label stays bounded. */
function routeOf(req: Request): string {
  if (req.route?.path) return `${req.baseUrl}${req.route.path}`;
  if (req.originalUrl.startsWith('/checkout/graphql')) return '/checkout/graphql';
  if (req.originalUrl.startsWith('/graphql')) return '/graphql';
  return 'unmatched';
}

const tracer = trace.getTracer('kometpay-api');

/**
 * Times every request into kometpay_http_request_duration_seconds, by route and status, and gives
 * it a span named after its route (a no-op unless tracing is on) carrying the request id.
 */
export function requestMetrics(): RequestHandler {
  return (req, res, next) => {
    const stop = httpRequestDuration.startTimer();
    const span = tracer.startSpan(`${req.method} request`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'kometpay.request_id': req.requestId },
    });
    res.once('finish', () => {
      const route = routeOf(req);
      stop({ route, status: String(res.statusCode) });
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    next();
  };
}

const probes = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One access log line per request (pino-http, at info), carrying the request id that the checkout,
 * the console or the load balancer sent as x-request-id (or the one the API made up). Health probes
 * and scrapes are left out: they would drown the rest.
 */
export function accessLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger: logger.child({ component: 'http' }),
    genReqId: (req) => (req as Request).requestId,
    autoLogging: { ignore: (req) => probes.has((req as Request).path) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

const operationNames = new Set<string>();

/** Times GraphQL operations over HTTP by name (bounded: 200 names, then "other") and outcome. */
export const operationMetricsPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    const stop = graphqlOperationDuration.startTimer();
    return {
      async willSendResponse(context) {
        const name = context.operationName ?? context.operation?.name?.value ?? 'anonymous';
        stop({ operation: boundedLabel(operationNames, name), outcome: context.errors?.length ? 'error' : 'ok' });
      },
    };
  },
};

/**
 * GET /metrics, Prometheus text. Outside production it is open. In production it answers only with
 * `Authorization: Bearer <METRICS_TOKEN>`, and without METRICS_TOKEN it is not served at all (404):
 * the API's port is public behind the load balancer, and the metrics name operations and routes.
 */
export function metricsRouter(settings: Settings): Router {
  const router = express.Router();
  const expected = settings.metricsToken ? Buffer.from(`Bearer ${settings.metricsToken}`) : null;
  router.get('/metrics', async (req, res, next) => {
    if (settings.production) {
      if (!expected) return next();
      const given = Buffer.from(req.header('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return void res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'Send Authorization: Bearer <METRICS_TOKEN>' } });
      }
    }
    try {
      res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
    } catch (error) {
      next(error);
    }
  });
  return router;
}
