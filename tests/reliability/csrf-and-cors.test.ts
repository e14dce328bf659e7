import { startTestApi, type TestApi } from '../support/api.js';
import { Shop } from '../support/shop.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';

const CHECKOUT_ORIGIN = 'https://pay.kometpay.example';
const CONSOLE_ORIGIN = 'https://console.kometpay.example';
const BROWSER_ORIGINS = [CHECKOUT_ORIGIN, CONSOLE_ORIGIN];

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  t = await startTestApi({ CHECKOUT_URL: CHECKOUT_ORIGIN, CONSOLE_URL: CONSOLE_ORIGIN });
  shop = await Shop.open(await t.createMerchant('Same-Origin Flowers'), t.url);
});
afterAll(() => scanAndClose('CSRF and CORS', t));

describe('cross-site requests', () => {
  it('refuses a text/plain or form POST, and a mutation sent with GET, changing nothing', async () => {
    const { token } = await shop.sentInvoice(3_000);
    const merchantMutation = 'mutation { createCustomer(input: { name: "Forged", email: "forged@evil.example" }) { id } }';
    const checkoutMutation = `mutation { payWithLink(token: "${token}", paymentMethodToken: "pm_card_visa", idempotencyKey: "csrf-attempt-0001") { status } }`;
    const forgeries: [string, string, RequestInit][] = [];
    for (const [path, query, auth] of [
      ['/graphql', merchantMutation, { authorization: `Bearer ${shop.merchant.apiKey}` }],
      ['/checkout/graphql', checkoutMutation, {}],
    ] as const) {
      // What an HTML form or a no-preflight fetch from another site can send.
      forgeries.push([
        `${path} text/plain POST`,
        path,
        { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: JSON.stringify({ query }) },
      ]);
      forgeries.push([
        `${path} form POST`,
        path,
        {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ query }).toString(),
        },
      ]);
      forgeries.push([`${path} GET`, `${path}?query=${encodeURIComponent(query)}`, { headers: auth }]);
      // Even past the CSRF check (a preflighted header), a mutation is never run from a GET.
      forgeries.push([
        `${path} preflighted GET`,
        `${path}?query=${encodeURIComponent(query)}`,
        { headers: { ...auth, 'apollo-require-preflight': 'true' } },
      ]);
    }
    const before = await takeSnapshot(t.db.url);
    const statuses: Record<string, number> = {};
    for (const [name, path, init] of forgeries) {
      const response = await fetch(`${t.url}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), origin: 'https://evil.example' },
      });
      const body = await response.text();
      statuses[name] = response.status;
      expect({ name, refused: response.status >= 400, ran: /"data"\s*:\s*\{/.test(body) }).toEqual({ name, refused: true, ran: false });
    }
    expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
    report(
      'CSRF',
      `${forgeries.length} cross-site mutations (text/plain, form, GET) on both schemas, all refused (${JSON.stringify(statuses)}), 0 rows changed`,
    );
  });

  it('lets browsers call only from the checkout and console origins', async () => {
    const origins = [...BROWSER_ORIGINS, 'https://evil.example', 'null', `${CHECKOUT_ORIGIN}.evil.example`, 'http://pay.kometpay.example'];
    const paths = ['/checkout/graphql', '/graphql', '/sandbox/v1/payment_methods'];
    const allowed: string[] = [];
    for (const path of paths) {
      for (const origin of origins) {
        const preflight = await fetch(`${t.url}${path}`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
        const actual = await fetch(`${t.url}${path}`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: '{"query":"{ __typename }"}',
        });
        for (const [kind, response] of [
          ['preflight', preflight],
          ['request', actual],
        ] as const) {
          const allowOrigin = response.headers.get('access-control-allow-origin');
          if (allowOrigin === origin || allowOrigin === '*') allowed.push(`${kind} ${path} ${origin}`);
          expect(response.headers.get('access-control-allow-credentials')).toBeNull();
          expect(allowOrigin === null || BROWSER_ORIGINS.includes(allowOrigin)).toBe(true);
        }
      }
    }
    expect(new Set(allowed)).toEqual(
      new Set(paths.flatMap((path) => BROWSER_ORIGINS.flatMap((origin) => [`preflight ${path} ${origin}`, `request ${path} ${origin}`]))),
    );
    report(
      'CORS',
      `${paths.length} endpoints x ${origins.length} origins (preflight and request): only ${BROWSER_ORIGINS.join(' and ')} allowed, no credentials`,
    );
  });
});
