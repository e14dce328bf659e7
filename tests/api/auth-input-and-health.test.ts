import { randomUUID } from 'node:crypto';
import {
  CreateCustomerDocument,
  CurrentMerchantDocument,
  CustomerDocument,
  CustomerVaultedCardsDocument,
  ElevateSupervisorDocument,
} from '@kometpay/schema/merchant';
import { print } from 'graphql';
import { AuditLog, Customer } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError, rawPost } from '../support/graphql.js';

let t: TestApi;
let merchantA: TestMerchant;
let merchantB: TestMerchant;

beforeAll(async () => {
  t = await startTestApi();
  merchantA = await t.createMerchant('Acme Flowers');
  merchantB = await t.createMerchant('Bravo Greens');
});
afterAll(() => t.close());

async function createCustomer(merchant: TestMerchant, name = 'Bloom & Stem'): Promise<string> {
  const data = await merchant.client().request(CreateCustomerDocument, { input: { name, email: `${randomUUID()}@example.com` } });
  return data.createCustomer.id;
}

async function elevate(merchant: TestMerchant): Promise<string> {
  const data = await merchant.client().request(ElevateSupervisorDocument, { password: merchant.supervisorPassword });
  return data.elevateSupervisor.token;
}

const withCards = (customerId: string) => ({ customerId });

async function auditActions(merchantId: string): Promise<string[]> {
  const rows = await t.orm.em.fork().find(AuditLog, { merchantId }, { orderBy: { id: 'asc' } });
  return rows.map((row) => row.action);
}

describe('merchant authentication', () => {
  it('answers a merchant query for a valid API key', async () => {
    const data = await merchantA.client().request(CurrentMerchantDocument);
    expect(data.merchant).toEqual({ id: merchantA.id, name: 'Acme Flowers' });
  });

  it('answers UNAUTHENTICATED (HTTP 401) without a key or with a wrong one', async () => {
    const anonymous = await expectGraphQLError(t.anonymous, CurrentMerchantDocument, {});
    expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.status).toBe(401);

    const forged = await rawPost(`${t.url}/graphql`, JSON.stringify({ query: '{ merchant { id } }' }), {
      authorization: `Bearer ${merchantA.apiKey.slice(0, -4)}abcd`,
    });
    expect(forged.status).toBe(401);
    expect(forged.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it("answers merchant B's customer id exactly as it answers an id that does not exist", async () => {
    const customerOfB = await createCustomer(merchantB);
    const client = merchantA.client();
    const query = print(CustomerDocument);
    const foreign = await rawPost(`${t.url}/graphql`, JSON.stringify({ query, variables: { id: customerOfB } }), {
      authorization: `Bearer ${merchantA.apiKey}`,
    });
    const unknown = await rawPost(`${t.url}/graphql`, JSON.stringify({ query, variables: { id: randomUUID() } }), {
      authorization: `Bearer ${merchantA.apiKey}`,
    });
    const malformed = await client.request(CustomerDocument, { id: 'not-a-uuid' });
    expect(foreign.status).toBe(unknown.status);
    expect(foreign.json).toEqual({ data: { customer: null } });
    expect(unknown.json).toEqual({ data: { customer: null } });
    expect(malformed).toEqual({ customer: null });
    // Merchant B still sees its own customer.
    expect(await merchantB.client().request(CustomerDocument, { id: customerOfB })).toMatchObject({ customer: { id: customerOfB } });
  });
});

describe('the @supervisor directive', () => {
  it('is a real directive in the SDL on Customer.vaultedCards', async () => {
    const sdl = await rawPost(`${t.url}/graphql`, JSON.stringify({ query: '{ __type(name: "Customer") { fields { name } } }' }), {
      authorization: `Bearer ${merchantA.apiKey}`,
    });
    expect(sdl.json.data.__type.fields.map((f: { name: string }) => f.name)).toContain('vaultedCards');
  });

  it('refuses vaultedCards without a supervisor token, and resolves it with a fresh one', async () => {
    const customerId = await createCustomer(merchantA);
    const refused = await expectGraphQLError(merchantA.client(), CustomerVaultedCardsDocument, withCards(customerId));
    expect(refused.extensions?.code).toBe('SUPERVISOR_REQUIRED');
    expect(refused.path).toEqual(['customer', 'vaultedCards']);

    const token = await elevate(merchantA);
    const allowed = await merchantA.client(token).request(CustomerVaultedCardsDocument, withCards(customerId));
    expect(allowed.customer?.vaultedCards).toEqual([]);

    const audit = await t.orm.em.fork().find(AuditLog, { merchantId: merchantA.id, action: 'supervisor.access' });
    expect(audit).toHaveLength(1);
    // The row names the key that used the elevation; the elevation itself is in its details.
    expect(audit[0]).toMatchObject({
      actorType: 'api_key',
      actorName: expect.stringMatching(/^API key kp_/),
      targetId: 'Customer.vaultedCards',
    });
    expect(audit[0].details).toMatchObject({ supervisorSessionId: expect.any(String) });
  });

  it('refuses an expired token, a made-up token and another merchant’s token', async () => {
    const customerId = await createCustomer(merchantA);
    const tokenOfB = await elevate(merchantB);
    expect(
      (await expectGraphQLError(merchantA.client(tokenOfB), CustomerVaultedCardsDocument, withCards(customerId))).extensions?.code,
    ).toBe('SUPERVISOR_REQUIRED');
    expect(
      (await expectGraphQLError(merchantA.client('made-up-token'), CustomerVaultedCardsDocument, withCards(customerId))).extensions?.code,
    ).toBe('SUPERVISOR_REQUIRED');

    const token = await elevate(merchantA);
    await merchantA.client(token).request(CustomerVaultedCardsDocument, withCards(customerId));
    t.clock.advance(10 * 60 * 1000 + 1000); // the token lives 10 minutes
    try {
      const expired = await expectGraphQLError(merchantA.client(token), CustomerVaultedCardsDocument, withCards(customerId));
      expect(expired.extensions?.code).toBe('SUPERVISOR_REQUIRED');
      expect(expired.message).toMatch(/expired/);
    } finally {
      t.clock.advance(-(10 * 60 * 1000 + 1000));
    }
  });

  it('limits wrong passwords: the sixth in a row answers TOO_MANY_ATTEMPTS; each wrong one is audited, the lockout once', async () => {
    const merchant = await t.createMerchant('Guessed At');
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await expectGraphQLError(merchant.client(), ElevateSupervisorDocument, { password: `wrong-${attempt}` });
      expect(wrong.extensions?.code).toBe('INVALID_SUPERVISOR_PASSWORD');
    }
    const sixth = await expectGraphQLError(merchant.client(), ElevateSupervisorDocument, { password: 'wrong-6' });
    expect(sixth.extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    expect(sixth.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    // Locked out even with the right password, until the window passes.
    const right = await expectGraphQLError(merchant.client(), ElevateSupervisorDocument, { password: merchant.supervisorPassword });
    expect(right.extensions?.code).toBe('TOO_MANY_ATTEMPTS');

    const actions = await auditActions(merchant.id);
    expect(actions.filter((a) => a === 'supervisor.elevate.failed')).toHaveLength(5);
    // Refused attempts are counted by the limiter, not written one row each: one row when the lockout begins.
    expect(actions.filter((a) => a === 'supervisor.elevate.locked')).toHaveLength(1);
    // Other merchants are not affected.
    await expect(elevate(merchantB)).resolves.toEqual(expect.any(String));
  });

  it('gives the budget back after a correct password', async () => {
    const merchant = await t.createMerchant('Forgetful');
    for (let attempt = 1; attempt <= 4; attempt++)
      await expectGraphQLError(merchant.client(), ElevateSupervisorDocument, { password: 'nope' });
    await elevate(merchant);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await expectGraphQLError(merchant.client(), ElevateSupervisorDocument, { password: 'nope' })).extensions?.code).toBe(
        'INVALID_SUPERVISOR_PASSWORD',
      );
    }
  });
});

describe('input validation and errors', () => {
  it('answers BAD_USER_INPUT naming the field, and creates nothing', async () => {
    const before = await t.orm.em.fork().count(Customer, { merchant: merchantA.id });
    const error = await expectGraphQLError(merchantA.client(), CreateCustomerDocument, {
      input: { name: 'Valid Name', email: 'not-an-email' },
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('email');
    expect(error.message).toMatch(/email/);

    const empty = await expectGraphQLError(merchantA.client(), CreateCustomerDocument, { input: { name: '', email: 'ok@example.com' } });
    expect(empty.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(await t.orm.em.fork().count(Customer, { merchant: merchantA.id })).toBe(before);
  });

  it('answers DUPLICATE for a second customer with the same externalRef', async () => {
    const input = { name: 'Ref Holder', email: 'ref@example.com', externalRef: 'ERP-77' };
    await merchantA.client().request(CreateCustomerDocument, { input });
    const duplicate = await expectGraphQLError(merchantA.client(), CreateCustomerDocument, { input });
    expect(duplicate.extensions).toMatchObject({ code: 'DUPLICATE', field: 'externalRef' });
    // Another merchant may use the same reference.
    await expect(merchantB.client().request(CreateCustomerDocument, { input })).resolves.toBeTruthy();
  });

  it('rejects a CSRF-able text/plain POST', async () => {
    const response = await rawPost(`${t.url}/graphql`, JSON.stringify({ query: '{ merchant { id } }' }), {
      'content-type': 'text/plain',
      authorization: `Bearer ${merchantA.apiKey}`,
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/CSRF/);
  });

  it('rejects a batch of operations', async () => {
    const batch = JSON.stringify([{ query: '{ merchant { id } }' }, { query: '{ merchant { name } }' }]);
    const response = await rawPost(`${t.url}/graphql`, batch, { authorization: `Bearer ${merchantA.apiKey}` });
    expect(response.status).toBe(400);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('serves GraphiQL from npm (no CDN) in development', async () => {
    const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html).toContain('/graphiql/graphiql.min.js');
    expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|esm\.sh)/);
    expect((await fetch(`${t.url}/graphiql/graphiql.min.js`)).status).toBe(200);
  });
});
