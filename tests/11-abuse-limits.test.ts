import { randomBytes } from 'node:crypto';
import { startTestApi, type TestApi } from './support/api.js';
import { expectGraphQLError } from './support/graphql.js';

const LINK = 'query ($token: String!) { paymentLink(token: $token) { status } }';
const CARD_LINK = 'query ($token: String!) { cardSetupLink(token: $token) { status } }';

describe('guessing tokens', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ TOKEN_LOOKUP_MAX_MISSES: '5', CHECKOUT_URL: 'https://pay.example.test' });
  });
  afterAll(() => t.close());

  it('finds nothing, then refuses the address every lookup once it has missed too often', async () => {
    const guess = () => randomBytes(32).toString('base64url');
    for (let i = 0; i < 5; i++) {
      const query = i % 2 ? CARD_LINK : LINK;
      expect(Object.values(await t.checkout.request<Record<string, unknown>>(query, { token: guess() }))).toEqual([null]);
    }
    const limited = await expectGraphQLError(t.checkout, LINK, { token: guess() });
    expect(limited.extensions).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: expect.any(Number) });
    // Refused whether or not the token exists, so the limit tells a guesser nothing.
    expect((await expectGraphQLError(t.checkout, CARD_LINK, { token: guess() })).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    const pay = 'mutation ($token: String!) { payWithLink(token: $token, paymentMethodToken: "pm_card_visa", idempotencyKey: "0123456789ab") { status } }';
    expect((await expectGraphQLError(t.checkout, pay, { token: guess() })).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('allows browsers only from the checkout origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/checkout/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await preflight('https://pay.example.test')).headers.get('access-control-allow-origin')).toBe('https://pay.example.test');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });
});
