import { randomBytes } from 'node:crypto';
import { startTestApi, type TestApi } from '../support/api.js';
import { freePort, startCheckout } from '../support/checkout.js';
import { rawPost } from '../support/graphql.js';
import { Shop } from '../support/shop.js';
import { subscribe, wsUrl } from '../support/subscriptions.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

const MAX_MISSES = 5;
const LINK = 'query ($token: String!) { paymentLink(token: $token) { status } }';
const LINK_STATUS = 'subscription ($token: String!) { paymentLinkStatus(token: $token) { status } }';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  // TRUST_PROXY at its default (loopback): X-Forwarded-For sent from this host names the client.
  t = await startTestApi({ TOKEN_LOOKUP_MAX_MISSES: String(MAX_MISSES) });
  shop = await Shop.open(await t.createMerchant('Proxied Flowers'), t.url);
});
afterAll(() => scanAndClose('link lookups behind a proxy', t));

const guess = () => randomBytes(32).toString('base64url');

/** A lookup on behalf of `client`, as the checkout server (or a proxy on this host) sends it. */
async function lookUp(client: string, token: string): Promise<string> {
  const { json } = await rawPost(`${t.url}/checkout/graphql`, JSON.stringify({ query: LINK, variables: { token } }), {
    'x-forwarded-for': client,
  });
  return json.errors?.[0]?.extensions?.code ?? (json.data.paymentLink === null ? 'null' : json.data.paymentLink.status);
}

/** The pay page's live status over graphql-ws, from this host (127.0.0.1, no proxy in between). */
async function overWebSocket(token: string): Promise<string> {
  const recording = subscribe<{ paymentLinkStatus: { status: string } }>(wsUrl(t.url, '/checkout/graphql'), LINK_STATUS, { token });
  try {
    await Promise.race([recording.waitForResults(1).catch(() => undefined), recording.waitForEnd()]);
    return recording.errors[0]?.extensions?.code ?? recording.results[0]?.paymentLinkStatus.status ?? 'nothing';
  } finally {
    await recording.dispose();
  }
}

describe('the link-lookup limit', () => {
  it('refuses only misses: a valid link answers from an address over its limit, over HTTP and WebSocket; WebSocket misses count too', async () => {
    const { token } = await shop.sentInvoice(4_200);
    const guesser = '198.51.100.17';
    const answers: string[] = [];
    for (let i = 0; i < MAX_MISSES + 2; i++) answers.push(await lookUp(guesser, guess()));
    expect(answers).toEqual([...Array(MAX_MISSES).fill('null'), 'TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS']);
    // The customer behind the same address pays as usual.
    expect(await lookUp(guesser, token)).toBe('PAYABLE');
    const paid = await rawPost(
      `${t.url}/checkout/graphql`,
      JSON.stringify({
        query:
          'mutation ($token: String!) { payWithLink(token: $token, paymentMethodToken: "pm_card_visa", idempotencyKey: "proxy-limit-0001") { status } }',
        variables: { token },
      }),
      { 'x-forwarded-for': guesser },
    );
    expect(paid.json.data.payWithLink.status).toBe('SUCCEEDED');

    // This test's WebSocket connections come from 127.0.0.1 itself: its misses count for that address.
    const socketAnswers: string[] = [];
    for (let i = 0; i < MAX_MISSES + 1; i++) socketAnswers.push(await overWebSocket(guess()));
    expect(socketAnswers).toEqual([...Array(MAX_MISSES).fill('NOT_FOUND'), 'TOO_MANY_ATTEMPTS']);
    expect(await lookUp('127.0.0.1', guess())).toBe('TOO_MANY_ATTEMPTS');
    expect(await overWebSocket(token)).toBe('PAID');
    report(
      'link lookups: misses only',
      `${MAX_MISSES} misses allowed: HTTP ${JSON.stringify(answers)}, then the real link PAYABLE and paid from that address; WebSocket ${JSON.stringify(socketAnswers)}, then the real link answers over WebSocket`,
    );
  });

  it('groups IPv6 clients by /64', async () => {
    const sameSlash64 = ['2001:db8:17:1::1', '2001:db8:17:1::2', '2001:db8:17:1:abcd::9'];
    const answers: string[] = [];
    for (let i = 0; i < MAX_MISSES + 1; i++) answers.push(await lookUp(sameSlash64[i % sameSlash64.length], guess()));
    expect(answers).toEqual([...Array(MAX_MISSES).fill('null'), 'TOO_MANY_ATTEMPTS']);
    expect(await lookUp('2001:db8:17:1:ffff:ffff:ffff:ffff', guess())).toBe('TOO_MANY_ATTEMPTS');
    expect(await lookUp('2001:db8:17:2::1', guess())).toBe('null');
    expect(await lookUp('::ffff:198.51.100.99', guess())).toBe('null');
    report(
      'link lookups: IPv6',
      `misses spread over ${sameSlash64.length} addresses of one /64: ${JSON.stringify(answers)}; the same /64 refused, the next /64 and an IPv4-mapped address answered`,
    );
  });
});

describe('the checkout behind a load balancer', () => {
  it("with ADDRESS_HEADER and XFF_DEPTH set, one guesser's misses leave other customers alone", async () => {
    // As nginx forwards (proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for): the client is the rightmost entry.
    const checkout = await startCheckout({
      port: await freePort(),
      apiUrl: t.url,
      env: { ADDRESS_HEADER: 'X-Forwarded-For', XFF_DEPTH: '1' },
    });
    try {
      const { token } = await shop.sentInvoice(1_700);
      const page = (path: string, client: string) =>
        fetch(`${checkout.url}${path}`, { headers: { 'x-forwarded-for': `10.9.9.9, ${client}` } }).then((r) => r.status);
      const guesses: number[] = [];
      for (let i = 0; i < MAX_MISSES + 1; i++) guesses.push(await page(`/pay/${guess()}`, '203.0.113.50'));
      expect(guesses).toEqual([...Array(MAX_MISSES).fill(404), 429]);
      // Another customer, behind the same load balancer: their typo is a plain 404, their link opens.
      const other = { typo: await page(`/pay/${guess()}`, '203.0.113.51'), link: await page(`/pay/${token}`, '203.0.113.51') };
      expect(other).toEqual({ typo: 404, link: 200 });
      // And the guesser's own real link still opens.
      expect(await page(`/pay/${token}`, '203.0.113.50')).toBe(200);
      report(
        'checkout behind a proxy',
        `ADDRESS_HEADER=X-Forwarded-For XFF_DEPTH=1: the guesser ${JSON.stringify(guesses)}, another customer's typo ${other.typo} and link ${other.link}`,
      );
    } finally {
      await checkout.close();
    }
  }, 60_000);
});
