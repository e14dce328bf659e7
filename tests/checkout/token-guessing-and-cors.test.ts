import { randomBytes } from 'node:crypto';
import { CardSetupLinkDocument, PaymentLinkDocument, PayWithLinkDocument } from '@kometpay/schema/checkout';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';

describe('guessing tokens', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ TOKEN_LOOKUP_MAX_MISSES: '5', CHECKOUT_URL: 'https://pay.example.test' });
  });
  afterAll(() => t.close());

  it('finds nothing, then refuses every further miss of the address once it has missed too often', async () => {
    const guess = () => randomBytes(32).toString('base64url');
    for (let i = 0; i < 5; i++) {
      const answer =
        i % 2 ? t.checkout.request(CardSetupLinkDocument, { token: guess() }) : t.checkout.request(PaymentLinkDocument, { token: guess() });
      expect(Object.values(await answer)).toEqual([null]);
    }
    const limited = await expectGraphQLError(t.checkout, PaymentLinkDocument, { token: guess() });
    expect(limited.extensions).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: expect.any(Number) });
    // Every kind of lookup counts against the same limit: add-card links and payments too.
    expect((await expectGraphQLError(t.checkout, CardSetupLinkDocument, { token: guess() })).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    const pay = { token: guess(), paymentMethodToken: 'pm_card_visa', idempotencyKey: '0123456789ab' };
    expect((await expectGraphQLError(t.checkout, PayWithLinkDocument, pay)).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('allows browsers only from the checkout origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/checkout/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    expect((await preflight('https://pay.example.test')).headers.get('access-control-allow-origin')).toBe('https://pay.example.test');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });
});
