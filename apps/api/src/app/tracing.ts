import type { Logger } from '../kit/logger.js';
import type { Settings } from '../kit/settings.js';

export interface Tracing {
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing at all
 * (not even loaded) otherwise. Started before the database and the HTTP server, so that the pg and
 * http instrumentations see them; each request also gets a span of our own (observability.ts).
 */
export async function startTracing(settings: Settings, logger: Logger): Promise<Tracing | null> {
  if (!settings.otelEndpoint) return null;
  const [
    { NodeSDK },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { ExpressInstrumentation },
    { PgInstrumentation },
    { GraphQLInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-graphql'),
  ]);
  const sdk = new NodeSDK({
    serviceName: settings.otelServiceName,
    traceExporter: new OTLPTraceExporter({ url: `${settings.otelEndpoint}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new GraphQLInstrumentation({ mergeItems: true }),
    ],
  });
  sdk.start();
  logger.info({ endpoint: settings.otelEndpoint, service: settings.otelServiceName }, 'tracing on: OTLP/HTTP');
  return {
    async shutdown() {
      await sdk.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush the last traces'));
    },
  };
}
