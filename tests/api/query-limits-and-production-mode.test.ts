import { AuditLog } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { rawPost } from '../support/graphql.js';
import { PRODUCTION_ENV } from '../support/production-env.js';

describe('query limits', () => {
  let t: TestApi;
  beforeAll(async () => {
    // A tiny depth limit (3: what onboarding a test merchant needs), so that the current schema can exceed it.
    t = await startTestApi({ GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '3' });
  });
  afterAll(() => t.close());

  it('rejects a query deeper than the limit before executing anything', async () => {
    const merchant = await t.createMerchant();
    const elevated = await merchant
      .client()
      .request<{ elevateSupervisor: { token: string } }>('mutation ($p: String!) { elevateSupervisor(password: $p) { token } }', {
        p: merchant.supervisorPassword,
      });
    const { createCustomer } = await merchant
      .client()
      .request<{ createCustomer: { id: string } }>(
        'mutation { createCustomer(input: { name: "Deep", email: "deep@example.com" }) { id } }',
      );
    const deep = await rawPost(
      `${t.url}/graphql`,
      JSON.stringify({
        query: `{ customer(id: "${createCustomer.id}") { vaultedCards { id } invoices(first: 1) { edges { node { id } } } } }`,
      }),
      { authorization: `Bearer ${merchant.apiKey}`, 'x-supervisor-token': elevated.elevateSupervisor.token },
    );
    expect(deep.status).toBe(400);
    expect(deep.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deep.json.errors[0].message).toMatch(/depth/i);
    expect(deep.json.data).toBeUndefined();
    // Had the supervised field run, it would have written an audit row.
    expect(await t.orm.em.fork().count(AuditLog, { merchantId: merchant.id, action: 'supervisor.access' })).toBe(0);
  });

  it('rejects too many aliases before executing anything', async () => {
    const merchant = await t.createMerchant();
    const aliased = await rawPost(
      `${t.url}/graphql`,
      JSON.stringify({ query: '{ a: merchant { id } b: merchant { id } c: merchant { id } d: merchant { id } }' }),
      {
        authorization: `Bearer ${merchant.apiKey}`,
      },
    );
    expect(aliased.status).toBe(400);
    expect(aliased.json.errors[0].message).toMatch(/aliases/i);
  });
});

describe('production mode', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi(PRODUCTION_ENV);
  });
  afterAll(() => t.close());

  it('turns introspection and the IDE off', async () => {
    const merchant = await t.createMerchant();
    const introspection = await rawPost(`${t.url}/graphql`, JSON.stringify({ query: '{ __schema { types { name } } }' }), {
      authorization: `Bearer ${merchant.apiKey}`,
    });
    expect(introspection.status).toBe(400);
    expect(introspection.json.errors[0].message).toMatch(/introspection/i);

    const checkoutIntrospection = await rawPost(`${t.url}/checkout/graphql`, JSON.stringify({ query: '{ __schema { types { name } } }' }));
    expect(checkoutIntrospection.status).toBe(400);

    const ide = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await ide.text()).not.toContain('graphiql');
  });

  it('names no schema details in validation errors ("Did you mean …?"), which development still gives', async () => {
    const merchant = await t.createMerchant();
    const misspelt = JSON.stringify({ query: '{ merchant { nam } }' });
    const production = await rawPost(`${t.url}/graphql`, misspelt, { authorization: `Bearer ${merchant.apiKey}` });
    expect(production.status).toBe(400);
    expect(production.json.errors[0].message).toMatch(/Cannot query field "nam"/);
    expect(production.json.errors[0].message).not.toMatch(/Did you mean/);

    const development = await startTestApi();
    try {
      const devMerchant = await development.createMerchant();
      const hinted = await rawPost(`${development.url}/graphql`, misspelt, { authorization: `Bearer ${devMerchant.apiKey}` });
      expect(hinted.json.errors[0].message).toMatch(/Did you mean "name"/);
    } finally {
      await development.close();
    }
  });

  it('sends security headers on every answer', async () => {
    for (const path of ['/healthz', '/graphql', '/no-such-route']) {
      const answer = await fetch(`${t.url}${path}`, {
        method: path === '/graphql' ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json' },
        body: path === '/graphql' ? '{"query":"{ __typename }"}' : undefined,
      });
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(answer.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
      expect(answer.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('still answers ordinary queries', async () => {
    const merchant = await t.createMerchant('Prod Merchant');
    await expect(merchant.client().request('{ merchant { name } }')).resolves.toEqual({ merchant: { name: 'Prod Merchant' } });
  });
});
