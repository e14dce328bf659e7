import { startTestApi, type TestApi } from '../support/api.js';
import { PRODUCTION_ENV } from '../support/production-env.js';
import { Shop } from '../support/shop.js';
import { report } from './support/battery.js';

interface Probe {
  name: string;
  path: string;
  init?: RequestInit;
  status: number;
  code: string;
  /** GraphQL endpoints answer in GraphQL's shape, the REST routes as { error }. */
  graphql?: boolean;
}

/** Every way a request outside GraphQL's own handling can fail, and the coded answer it must get. */
function probes(apiKey: string): Probe[] {
  const auth = { authorization: `Bearer ${apiKey}` };
  return [
    { name: 'unknown route', path: '/no/such/route', status: 404, code: 'NOT_FOUND' },
    { name: 'unknown route, POST', path: '/reports/unknown.csv', init: { method: 'POST', body: '{}' }, status: 404, code: 'NOT_FOUND' },
    {
      name: 'GraphQL body that is not JSON',
      path: '/graphql',
      init: { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: '{"query":' },
      status: 400,
      code: 'BAD_REQUEST',
      graphql: true,
    },
    {
      name: 'checkout body of 300 kB',
      path: '/checkout/graphql',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ processor { kind } } #${'x'.repeat(300_000)}` }),
      },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      graphql: true,
    },
    {
      name: 'sandbox tokeniser body of 20 kB',
      path: '/sandbox/v1/payment_methods',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `type=card&pad=${'x'.repeat(20_000)}`,
      },
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'CSV to=99999-01-01',
      path: '/reports/transactions.csv?to=99999-01-01',
      init: { headers: auth },
      status: 400,
      code: 'BAD_USER_INPUT',
    },
    {
      name: 'CSV from=2026-02-31',
      path: '/reports/transactions.csv?from=2026-02-31',
      init: { headers: auth },
      status: 400,
      code: 'BAD_USER_INPUT',
    },
    {
      name: 'CSV from=+099999-01-01T00:00:00Z',
      path: `/reports/transactions.csv?from=${encodeURIComponent('+099999-01-01T00:00:00Z')}`,
      init: { headers: auth },
      status: 400,
      code: 'BAD_USER_INPUT',
    },
    {
      name: 'settlement CSV from=2026-13-01',
      path: '/reports/settlement.csv?from=2026-13-01&to=2026-12-31',
      init: { headers: auth },
      status: 400,
      code: 'BAD_USER_INPUT',
    },
    {
      name: 'settlement CSV to=0000-01-01',
      path: '/reports/settlement.csv?from=2026-01-01&to=0000-01-01',
      init: { headers: auth },
      status: 400,
      code: 'BAD_USER_INPUT',
    },
  ];
}

async function probeAll(t: TestApi, shop: Shop): Promise<Record<string, string>> {
  const answers: Record<string, string> = {};
  for (const probe of probes(shop.merchant.apiKey)) {
    const response = await fetch(`${t.url}${probe.path}`, probe.init);
    const text = await response.text();
    answers[probe.name] = `${response.status}`;
    expect({ name: probe.name, status: response.status, type: response.headers.get('content-type') }).toEqual({
      name: probe.name,
      status: probe.status,
      type: expect.stringContaining('application/json'),
    });
    // No HTML page, no stack, no file path.
    expect({ name: probe.name, html: /<html|<pre/i.test(text), stack: /\n\s+at |node_modules|\/apps\/api\//.test(text) }).toEqual({
      name: probe.name,
      html: false,
      stack: false,
    });
    const json = JSON.parse(text);
    const requestId = response.headers.get('x-request-id');
    const error = probe.graphql ? json.errors?.[0]?.extensions : json.error;
    expect({ name: probe.name, code: error?.code, requestId: error?.requestId }).toEqual({ name: probe.name, code: probe.code, requestId });
    answers[probe.name] += ` ${error.code}`;
  }
  return answers;
}

describe('answers outside GraphQL', () => {
  for (const [mode, env] of [
    ['development', {}],
    ['production', PRODUCTION_ENV],
  ] as const) {
    it(`are coded JSON with the request id, never an HTML page or a stack (${mode}); dates are checked before SQL`, async () => {
      const t = await startTestApi(env);
      try {
        const shop = await Shop.open(await t.createMerchant(`Error Flowers ${mode}`), t.url);
        const answers = await probeAll(t, shop);
        // Nothing reached PostgreSQL as an error, nothing was logged as unexpected.
        expect(t.logs.filter((line) => /"level":50/.test(line))).toEqual([]);
        // A valid date range still exports.
        const ok = await fetch(`${t.url}/reports/transactions.csv?from=2026-01-01&to=${encodeURIComponent('2026-12-31T23:59:59Z')}`, {
          headers: { authorization: `Bearer ${shop.merchant.apiKey}` },
        });
        expect(ok.status).toBe(200);
        report(`error answers (${mode})`, `${Object.keys(answers).length} probes: ${JSON.stringify(answers)}; a valid range exports (200)`);
      } finally {
        await t.close();
      }
    });
  }
});
