import client from 'prom-client';

/**
 * The API's Prometheus metrics (prom-client), one registry per process: instruments are made once,
 * so that several APIs started in one process (tests) share them, as one process's would.
 */
export const metricsRegistry = new client.Registry();
client.collectDefaultMetrics({ register: metricsRegistry });

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new client.Histogram({
  name: 'kometpay_http_request_duration_seconds',
  help: 'HTTP requests by route (the pattern, not the path) and status',
  labelNames: ['route', 'status'] as const,
  buckets: seconds,
  registers: [metricsRegistry],
});

export const graphqlOperationDuration = new client.Histogram({
  name: 'kometpay_graphql_operation_duration_seconds',
  help: 'GraphQL operations over HTTP by operation name and outcome (ok, error)',
  labelNames: ['operation', 'outcome'] as const,
  buckets: seconds,
  registers: [metricsRegistry],
});

export const paymentsTotal = new client.Counter({
  name: 'kometpay_payments_total',
  help: 'Payment attempts by channel, method and the outcome recorded for them',
  labelNames: ['channel', 'method', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const processorRequestDuration = new client.Histogram({
  name: 'kometpay_processor_request_duration_seconds',
  help: 'Calls to the payment processor by operation and outcome (ok, error)',
  labelNames: ['operation', 'outcome'] as const,
  buckets: seconds,
  registers: [metricsRegistry],
});

export const jobsFailedTotal = new client.Counter({
  name: 'kometpay_jobs_failed_total',
  help: 'Background job attempts that failed, by task; retrying="no" when it was the last attempt',
  labelNames: ['task', 'retrying'] as const,
  registers: [metricsRegistry],
});

export const retentionPrunedTotal = new client.Counter({
  name: 'kometpay_retention_pruned_total',
  help: 'Rows removed by the daily retention job, by table',
  labelNames: ['table'] as const,
  registers: [metricsRegistry],
});

export const passwordVerificationsTotal = new client.Counter({
  name: 'kometpay_password_verifications_total',
  help: 'Staff sign-in password checks (argon2) by what the password was checked against: an account, or the decoy an unknown email is checked against (a surge of decoys is someone trying emails)',
  labelNames: ['against'] as const,
  registers: [metricsRegistry],
});

/** Gauges read at scrape time from whoever knows the value (the latest API started in this process). */
const sources: { outboxLagSeconds?: () => Promise<number>; subscribers?: () => number } = {};

new client.Gauge({
  name: 'kometpay_outbox_lag_seconds',
  help: "Age of the oldest committed outbox event this instance's feed has not yet passed to its subscribers (0: caught up)",
  registers: [metricsRegistry],
  async collect() {
    this.set(sources.outboxLagSeconds ? await sources.outboxLagSeconds() : 0);
  },
});

new client.Gauge({
  name: 'kometpay_subscribers',
  help: 'GraphQL subscriptions open on this instance (both WebSocket endpoints)',
  registers: [metricsRegistry],
  collect() {
    this.set(sources.subscribers?.() ?? 0);
  },
});

export function setMetricSources(next: typeof sources): void {
  Object.assign(sources, next);
}

/** Bounds a label taken from callers (an operation name): past this many distinct values, "other". */
export function boundedLabel(seen: Set<string>, value: string, limit = 200): string {
  if (seen.has(value)) return value;
  if (seen.size >= limit) return 'other';
  seen.add(value);
  return value;
}
