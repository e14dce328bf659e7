import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PaymentStatusChangedDocument } from '@kometpay/schema/merchant';
import { freePort, startChildApi } from '../reliability/support/child-api.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase } from '../support/database.js';
import { PRODUCTION_ENV } from '../support/production-env.js';
import { openShop } from '../support/shop.js';
import { subscribe, wsUrl } from '../support/subscriptions.js';

/** The value of one sample line of a Prometheus text answer (`name{labels} value`), summed over matching lines. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const lines = metrics.split('\n').filter((line) => {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) return false;
    return Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
  });
  if (!lines.length) return undefined;
  return lines.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('metrics and access logs', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ LOG_LEVEL: 'info' });
  });
  afterAll(() => t.close());

  it('exposes the named metrics after real traffic: a card payment, a subscription, a failed operation', async () => {
    const shop = await openShop(t, 'Metered Flowers');
    const stream = subscribe(wsUrl(t.url, '/graphql'), PaymentStatusChangedDocument, {}, `Bearer ${shop.merchant.apiKey}`);
    const paid = await shop.paidInvoice(2500);
    await stream.waitForResults(1);
    await expect(shop.client.request('{ merchant { nosuchfield } }')).rejects.toThrow();

    const answer = await fetch(`${t.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    const metrics = await answer.text();

    expect(sample(metrics, 'kometpay_payments_total', { outcome: 'succeeded', method: paid.payment.method })).toBeGreaterThanOrEqual(1);
    expect(
      sample(metrics, 'kometpay_processor_request_duration_seconds_count', { operation: 'createPayment', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'kometpay_http_request_duration_seconds_count', { route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(sample(metrics, 'kometpay_graphql_operation_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(3);
    expect(sample(metrics, 'kometpay_graphql_operation_duration_seconds_count', { outcome: 'error' })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'kometpay_subscribers')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'kometpay_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(metrics).toMatch(/^# TYPE kometpay_jobs_failed_total counter$/m);
    // The default process metrics.
    expect(sample(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(metrics, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    await stream.dispose();
    for (
      let waited = 0;
      sample(await (await fetch(`${t.url}/metrics`)).text(), 'kometpay_subscribers')! > 0 && waited < 5000;
      waited += 100
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sample(await (await fetch(`${t.url}/metrics`)).text(), 'kometpay_subscribers')).toBe(0);
  });

  it('logs each request once with the request id it was given (x-request-id), and answers with it', async () => {
    const merchant = await t.createMerchant();
    const answer = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.apiKey}`, 'x-request-id': 'checkout-req-42' },
      body: JSON.stringify({ query: '{ merchant { id } }' }),
    });
    expect(answer.headers.get('x-request-id')).toBe('checkout-req-42');
    const lines = t.logs.map((line) => JSON.parse(line)).filter((entry) => entry.req?.id === 'checkout-req-42');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      component: 'http',
      msg: 'request completed',
      req: { method: 'POST', url: '/graphql' },
      res: { statusCode: 200 },
    });
    // The API key never reaches the log.
    expect(JSON.stringify(lines[0])).not.toContain(merchant.apiKey);
  });
});

describe('/metrics in production', () => {
  it('is not served without METRICS_TOKEN, and answers only with the token when it is set', async () => {
    const off = await startTestApi(PRODUCTION_ENV);
    try {
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
    const token = 'metrics-token-for-the-scraper-0123456789';
    const on = await startTestApi({ ...PRODUCTION_ENV, METRICS_TOKEN: token });
    try {
      expect((await fetch(`${on.url}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`${on.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-the-same-size-0123456789' } })).status,
      ).toBe(401);
      const scraped = await fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('kometpay_http_request_duration_seconds');
    } finally {
      await on.close();
    }
  });
});

describe('tracing', () => {
  /** A tiny OTLP/HTTP receiver: what was posted to /v1/traces. */
  async function receiver() {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('latin1'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      bodies,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  it('is off by default, and sends spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const otlp = await receiver();
    const db = await createTestDatabase();
    try {
      for (const tracing of [false, true]) {
        const logs: string[] = [];
        const env: Record<string, string> = {
          DATABASE_URL: db.url,
          API_PORT: String(await freePort()),
          LOG_LEVEL: 'info',
          RUN_JOBS: 'false',
        };
        if (tracing) env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url;
        const api = await startChildApi(env, logs);
        await fetch(`${api.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ __typename }"}',
        });
        // SIGTERM flushes the spans still buffered.
        await api.stop();
        if (tracing) {
          expect(logs.some((line) => line.includes('tracing on'))).toBe(true);
          expect(otlp.bodies.length).toBeGreaterThan(0);
          const sent = otlp.bodies.join('\n');
          expect(sent).toContain('kometpay-api');
          expect(sent).toContain('POST /graphql');
        } else {
          expect(logs.some((line) => line.includes('tracing on'))).toBe(false);
          expect(otlp.bodies).toHaveLength(0);
        }
      }
    } finally {
      await otlp.close();
      await db.drop();
    }
  }, 90_000);
});
