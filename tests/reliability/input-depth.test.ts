import { startTestApi, type TestApi } from '../support/api.js';
import { rawPost } from '../support/graphql.js';
import { Shop } from '../support/shop.js';
import { subscribe, wsUrl } from '../support/subscriptions.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  t = await startTestApi();
  shop = await Shop.open(await t.createMerchant('Shallow Flowers'), t.url);
});
afterAll(() => scanAndClose('input depth', t));

/** `[[[...["x"]...]]]`, `depth` arrays deep: 6,000 levels are 12 kB of JSON. */
const nested = (depth: number, inner: unknown = 'x'): string => `${'['.repeat(depth)}${JSON.stringify(inner)}${']'.repeat(depth)}`;
const body = (query: string, variablesJson: string) => `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`;

describe('deeply nested variables', () => {
  it('answers 400 BAD_USER_INPUT on both endpoints, with no credentials, and never walks undeclared variables', async () => {
    const deep = nested(6_000);
    expect(Buffer.byteLength(deep)).toBeLessThan(13_000);
    const checkoutQuery = 'query ($token: String!) { paymentLink(token: $token) { status } }';
    const merchantMutation = 'mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }';
    const answers: Record<string, string> = {};
    const ask = async (name: string, path: string, payload: string, headers: Record<string, string> = {}) => {
      const answer = await rawPost(`${t.url}${path}`, payload, headers);
      answers[name] =
        `${answer.status} ${answer.json?.errors?.[0]?.extensions?.code ?? (answer.json?.data ? 'data' : answer.text.slice(0, 40))}`;
      return answer;
    };

    // Declared, as the variable an operation takes.
    const declared = await ask('checkout, declared 6,000 deep', '/checkout/graphql', body(checkoutQuery, `{"token":${deep}}`));
    expect(declared.status).toBe(400);
    expect(declared.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: expect.stringMatching(/^token(\.0)+$/) });
    const merchant = await ask(
      'merchant, declared 6,000 deep',
      '/graphql',
      body(merchantMutation, `{"input":{"name":"Deep","email":"deep@example.com","externalRef":${deep}}}`),
      { authorization: `Bearer ${shop.merchant.apiKey}` },
    );
    expect(merchant.status).toBe(400);
    expect(merchant.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // No credentials at all: refused before anything else, rather than a 500.
    const anonymous = await ask('merchant, no key, 6,000 deep', '/graphql', body(merchantMutation, `{"input":${deep}}`));
    expect(anonymous.status).toBeLessThan(500);

    // Undeclared: GraphQL ignores it, so does the guard (malformed text inside it too); the operation runs.
    const { token } = await shop.sentInvoice(900);
    const undeclared = await ask(
      'checkout, undeclared 6,000 deep with a NUL',
      '/checkout/graphql',
      body(checkoutQuery, `{"token":${JSON.stringify(token)},"junk":${nested(6_000, 'a\u0000b')}}`),
    );
    expect(undeclared.json).toEqual({ data: { paymentLink: { status: 'PAYABLE' } } });

    // At the cap's edge: lists 32 deep are read (and refused by their type), 33 by the guard.
    const withinCap = await ask('32 deep', '/checkout/graphql', body(checkoutQuery, `{"token":${nested(32)}}`));
    expect(withinCap.json.errors[0].message).toMatch(/String cannot represent/);
    const atCap = await ask('33 deep', '/checkout/graphql', body(checkoutQuery, `{"token":${nested(33)}}`));
    expect(atCap.json.errors[0]).toMatchObject({
      message: expect.stringMatching(/nest at most 32/),
      extensions: { code: 'BAD_USER_INPUT' },
    });

    // Over graphql-ws, the same guard.
    const overWs = subscribe(
      wsUrl(t.url, '/checkout/graphql'),
      'subscription ($token: String!) { paymentLinkStatus(token: $token) { status } }',
      { token: JSON.parse(nested(1_000)) },
    );
    await overWs.waitForEnd();
    answers['graphql-ws, declared 1,000 deep'] = String(overWs.errors[0]?.extensions?.code);
    expect(overWs.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await overWs.dispose();

    expect(Object.values(answers).some((answer) => answer.startsWith('500'))).toBe(false);
    expect(t.logs.filter((line) => /"level":50/.test(line))).toEqual([]);
    report('deeply nested variables', `${JSON.stringify(answers)}; no 500, nothing logged as an error`);
  });
});
