import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GraphQLClient } from 'graphql-request';
import pg from 'pg';
import { AuditService } from '../apps/api/src/modules/audit/audit.service.js';
import { PartnerApiKeyService } from '../apps/api/src/modules/partner/partner-api-key.service.js';
import { PartnerService } from '../apps/api/src/modules/partner/partner.service.js';
import { encodeEventCursor } from '../apps/api/src/modules/partner/payment-event.cursor.js';
import { startTestApi, type TestApi, type TestMerchant } from './support/api.js';
import { type ChildApi, freePort, startChildApi } from './reliability/support/child-api.js';
import { expectGraphQLError, rawPost } from './support/graphql.js';
import { type Recording, subscribe, wsUrl } from './support/subscriptions.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

const PAYMENT_EVENTS = `subscription ($merchantId: ID, $invoiceId: ID, $after: String) {
  paymentStatusChanged(merchantId: $merchantId, invoiceId: $invoiceId, after: $after) {
    cursor type occurredAt
    transaction { id status amount { amount } channel invoices { id } }
    invoices { id number status amountDue { amount } }
  }
}`;
const LINK_STATUS = `subscription ($token: String!) { paymentLinkStatus(token: $token) { status invoiceNumber amountPaid { amount } amountDue { amount formatted } } }`;
const GRANT = `mutation ($partnerId: ID!) { grantPartnerAccess(partnerId: $partnerId) }`;
const REVOKE = `mutation ($partnerId: ID!) { revokePartnerAccess(partnerId: $partnerId) }`;
const CREATE_CUSTOMER = `mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`;
const CREATE_INVOICE = `mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`;
const SEND = `mutation ($id: ID!) { sendInvoice(id: $id) { id number paymentLink { url } } }`;
const OFFLINE = `mutation ($invoiceId: ID!, $amount: MinorUnits!, $key: String!) {
  recordOfflinePayment(invoiceId: $invoiceId, amount: $amount, method: CHECK, idempotencyKey: $key) { id }
}`;

interface PaymentEvent {
  paymentStatusChanged: {
    cursor: string;
    type: string;
    occurredAt: string;
    transaction: { id: string; status: string; amount: { amount: string }; channel: string; invoices: { id: string }[] };
    invoices: { id: string; number: string; status: string; amountDue: { amount: string } }[];
  };
}

let t: TestApi;
let merchantA: TestMerchant;
let merchantB: TestMerchant;
const open: Recording<unknown>[] = [];

const kometpay = async (...args: string[]) =>
  JSON.parse((await run(process.execPath, [path.join(root, 'apps/api/dist/cli/main.js'), ...args, '--json'], { env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: 'error' } })).stdout);

/** Onboarding through the services the CLI uses (the CLI itself is exercised once, below: it costs a process per call). */
async function onboardPartner(name: string): Promise<{ id: string; key: string; authorization: string }> {
  const em = t.orm.em.fork();
  const partner = await new PartnerService(em, t.clock, new AuditService(em, { requestId: 'test-onboarding' })).create({ name });
  const { key } = await new PartnerApiKeyService(em, t.clock).issue(partner.id);
  return { id: partner.id, key, authorization: `Bearer ${key}` };
}

const customers = new Map<string, string>();
async function sentInvoice(merchant: TestMerchant, unitAmount = '100000'): Promise<{ id: string; number: string; token: string }> {
  const client = merchant.client();
  if (!customers.has(merchant.id)) {
    customers.set(merchant.id, (await client.request<any>(CREATE_CUSTOMER, { input: { name: 'Bloom & Stem', email: `ap-${randomUUID()}@bloom.example` } })).createCustomer.id);
  }
  const input = { customerId: customers.get(merchant.id), number: `INV-${randomUUID().slice(0, 8)}`, currency: 'USD', lines: [{ description: 'Roses', quantity: 1, unitAmount }] };
  const { id } = (await client.request<any>(CREATE_INVOICE, { input })).createInvoice;
  const sent = (await client.request<any>(SEND, { id })).sendInvoice;
  return { id, number: sent.number, token: sent.paymentLink.url.split('/').pop() };
}

async function pay(merchant: TestMerchant, invoiceId: string, amount = '100', apiUrl?: string): Promise<string> {
  const client = apiUrl ? new GraphQLClient(`${apiUrl}/graphql`, { headers: { authorization: `Bearer ${merchant.apiKey}` } }) : merchant.client();
  return (await client.request<any>(OFFLINE, { invoiceId, amount, key: randomUUID() })).recordOfflinePayment.id;
}

/** A cursor at the end of the outbox now: subscribing after it is "from now", with no race against the subscribe message. */
async function cursorNow(): Promise<string> {
  const [{ max }] = await t.orm.em.fork().execute<{ max: string | null }[]>('select max(position)::text as max from outbox_event');
  return encodeEventCursor(BigInt(max ?? 0));
}

function follow<T = PaymentEvent>(url: string, variables: Record<string, unknown>, authorization: string, query = PAYMENT_EVENTS): Recording<T> {
  const recording = subscribe<T>(url, query, variables, authorization);
  open.push(recording as Recording<unknown>);
  return recording;
}

const transactionIds = (events: PaymentEvent[]) => events.map((event) => event.paymentStatusChanged.transaction.id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  t = await startTestApi();
  merchantA = await t.createMerchant('Acme Flowers');
  merchantB = await t.createMerchant('Bravo Plants');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((recording) => recording.dispose()));
});
afterAll(async () => {
  await t.close();
});

describe('partner onboarding and grants', () => {
  it('onboards a partner with the CLI; a merchant grants and revokes access with coded errors for bad input', async () => {
    const created = await kometpay('partner', 'create', '--name', 'Ledgerly');
    const issued = await kometpay('partner', 'api-key', 'create', '--partner', created.id, '--label', 'erp sync');
    expect(issued).toMatchObject({ partnerId: created.id, label: 'erp sync', key: expect.stringMatching(/^kpp_/) });
    expect(issued.key.startsWith(issued.prefix)).toBe(true);
    expect((await kometpay('partner', 'list')).partners.map((p: { id: string }) => p.id)).toContain(created.id);
    const partner = { id: created.id, authorization: `Bearer ${issued.key}` };

    const client = merchantA.client();
    expect(await client.request(GRANT, { partnerId: partner.id })).toEqual({ grantPartnerAccess: true });
    expect(await client.request(GRANT, { partnerId: partner.id })).toEqual({ grantPartnerAccess: true });
    expect(await client.request(REVOKE, { partnerId: partner.id })).toEqual({ revokePartnerAccess: true });
    expect(await client.request(REVOKE, { partnerId: partner.id })).toEqual({ revokePartnerAccess: true });
    for (const partnerId of [randomUUID(), 'not-a-uuid']) {
      expect((await expectGraphQLError(client, GRANT, { partnerId })).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'partnerId' });
    }
    // Only the changes are events (and audit rows): grant, revoke.
    const events = await t.orm.em.fork().execute<{ type: string }[]>(`select type from outbox_event where aggregate_type = 'partner_grant' and payload->>'partnerId' = ? order by position`, [partner.id]);
    expect(events.map((e) => e.type)).toEqual(['partner_grant.granted', 'partner_grant.revoked']);

    const refused = await kometpay('partner', 'api-key', 'create', '--partner', randomUUID()).catch((error) => error);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partner' });

    // The CLI's key works once access is granted again, and no longer once the CLI revokes it: its
    // open stream ends, UNAUTHENTICATED, and a new connection is refused.
    await client.request(GRANT, { partnerId: partner.id });
    const url = wsUrl(t.url, '/graphql');
    const stream = follow(url, { merchantId: merchantA.id, after: await cursorNow() }, partner.authorization);
    const paid = await pay(merchantA, (await sentInvoice(merchantA)).id);
    expect(transactionIds(await stream.waitForResults(1))).toEqual([paid]);
    await kometpay('partner', 'api-key', 'revoke', '--partner', partner.id, '--prefix', issued.prefix);
    await stream.waitForEnd(2000);
    expect(stream.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    const afterRevoke = follow(url, { merchantId: merchantA.id }, partner.authorization);
    await afterRevoke.waitForEnd();
    expect(afterRevoke.results).toEqual([]);
    expect(afterRevoke.errors[0].message).toContain('4403');
  });

  it('gives a partner key nothing over HTTP, and over graphql-ws only the payment subscription', async () => {
    const partner = await onboardPartner('Narrow Partner');
    await merchantA.client().request(GRANT, { partnerId: partner.id });
    const overHttp = await rawPost(`${t.url}/graphql`, JSON.stringify({ query: '{ merchant { id } }' }), { authorization: partner.authorization });
    expect(overHttp.status).toBe(403);
    expect(overHttp.json.errors[0].extensions.code).toBe('FORBIDDEN');

    const url = wsUrl(t.url, '/graphql');
    const query = follow(url, {}, partner.authorization, '{ merchant { id } }');
    await query.waitForEnd();
    expect(query.errors[0].extensions?.code).toBe('FORBIDDEN');
    const vault = follow(url, { merchantId: merchantA.id }, partner.authorization, `subscription ($merchantId: ID) {
      paymentStatusChanged(merchantId: $merchantId) { transaction { customer { vaultedCards { id } invoices { edges { cursor } } } } } }`);
    await vault.waitForEnd();
    expect(vault.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });
});

describe('paymentStatusChanged', () => {
  it("delivers merchant A's payment events to the partner A granted, and none of B's; B's stream is FORBIDDEN", async () => {
    const partner = await onboardPartner('Ledgerly A');
    await merchantA.client().request(GRANT, { partnerId: partner.id });
    const url = wsUrl(t.url, '/graphql');
    const stream = follow(url, { merchantId: merchantA.id, after: await cursorNow() }, partner.authorization);

    const forB = follow(url, { merchantId: merchantB.id }, partner.authorization);
    await forB.waitForEnd();
    expect(forB.results).toEqual([]);
    expect(forB.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const unknown = follow(url, { merchantId: randomUUID() }, partner.authorization);
    await unknown.waitForEnd();
    expect(unknown.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const unnamed = follow(url, {}, partner.authorization);
    await unnamed.waitForEnd();
    expect(unnamed.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'merchantId' });

    const invoiceA = await sentInvoice(merchantA);
    const invoiceB = await sentInvoice(merchantB);
    await pay(merchantB, invoiceB.id);
    const first = await pay(merchantA, invoiceA.id, '250');
    await pay(merchantB, invoiceB.id);
    const second = await pay(merchantA, invoiceA.id, '300');

    const events = await stream.waitForResults(2);
    expect(transactionIds(events)).toEqual([first, second]);
    expect(events[0].paymentStatusChanged).toMatchObject({
      type: 'transaction.succeeded',
      occurredAt: expect.any(String),
      transaction: { id: first, status: 'SUCCEEDED', amount: { amount: '250' }, channel: 'OFFLINE', invoices: [{ id: invoiceA.id }] },
      invoices: [{ id: invoiceA.id, number: invoiceA.number, status: 'PARTIALLY_PAID' }],
    });
    // B's later payment came before A's second one: had it leaked, it would be here by now.
    await sleep(200);
    expect(stream.results).toHaveLength(2);
    expect(stream.errors).toEqual([]);
  });

  it('ends a partner stream with FORBIDDEN within a second of the revoke, and refuses a new one', async () => {
    const partner = await onboardPartner('Ledgerly revoked');
    const client = merchantA.client();
    await client.request(GRANT, { partnerId: partner.id });
    const url = wsUrl(t.url, '/graphql');
    const stream = follow(url, { merchantId: merchantA.id, after: await cursorNow() }, partner.authorization);
    const invoice = await sentInvoice(merchantA);
    await pay(merchantA, invoice.id);
    await stream.waitForResults(1);

    const revoking = performance.now();
    await client.request(REVOKE, { partnerId: partner.id });
    await stream.waitForEnd(2000);
    expect(performance.now() - revoking).toBeLessThan(1000);
    expect(stream.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    await pay(merchantA, invoice.id);
    expect(stream.results).toHaveLength(1);

    const again = follow(url, { merchantId: merchantA.id }, partner.authorization);
    await again.waitForEnd();
    expect(again.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('resumes from a cursor: exactly the three missed events, in order, then live ones', async () => {
    const partner = await onboardPartner('Ledgerly resume');
    await merchantA.client().request(GRANT, { partnerId: partner.id });
    const url = wsUrl(t.url, '/graphql');
    const invoice = await sentInvoice(merchantA);
    const before = follow(url, { merchantId: merchantA.id, after: await cursorNow() }, partner.authorization);
    await pay(merchantA, invoice.id);
    const [seen] = await before.waitForResults(1);
    await before.dispose();

    const missed = [await pay(merchantA, invoice.id, '101'), await pay(merchantA, invoice.id, '102'), await pay(merchantA, invoice.id, '103')];
    const resumed = follow(url, { merchantId: merchantA.id, after: seen.paymentStatusChanged.cursor }, partner.authorization);
    expect(transactionIds(await resumed.waitForResults(3))).toEqual(missed);
    const live = await pay(merchantA, invoice.id, '104');
    expect(transactionIds(await resumed.waitForResults(4))).toEqual([...missed, live]);
    await sleep(200);
    expect(resumed.results).toHaveLength(4);

    const bad = follow(url, { merchantId: merchantA.id, after: 'not-a-cursor' }, partner.authorization);
    await bad.waitForEnd();
    expect(bad.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('follows its own merchant with a merchant key and no merchantId; another merchant is FORBIDDEN', async () => {
    const url = wsUrl(t.url, '/graphql');
    const invoice = await sentInvoice(merchantB);
    const stream = follow(url, { after: await cursorNow() }, `Bearer ${merchantB.apiKey}`);
    const onInvoice = follow(url, { invoiceId: invoice.id, after: await cursorNow() }, `Bearer ${merchantB.apiKey}`);
    const elsewhere = await sentInvoice(merchantB);
    const other = await pay(merchantB, elsewhere.id);
    const own = await pay(merchantB, invoice.id);
    expect(transactionIds(await stream.waitForResults(2))).toEqual([other, own]);
    expect(transactionIds(await onInvoice.waitForResults(1))).toEqual([own]);

    const foreign = follow(url, { merchantId: merchantA.id }, `Bearer ${merchantB.apiKey}`);
    await foreign.waitForEnd();
    expect(foreign.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const foreignInvoice = follow(url, { invoiceId: (await sentInvoice(merchantA)).id }, `Bearer ${merchantB.apiKey}`);
    await foreignInvoice.waitForEnd();
    expect(foreignInvoice.errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'invoiceId' });
  });

  it("ends a merchant stream with UNAUTHENTICATED when the operator revokes its key; the merchant's other keys keep theirs", async () => {
    const url = wsUrl(t.url, '/graphql');
    const issued = await kometpay('merchant', 'api-key', 'create', '--merchant', merchantB.id, '--label', 'dashboard');
    const doomed = follow(url, { after: await cursorNow() }, `Bearer ${issued.key}`);
    const kept = follow(url, { after: await cursorNow() }, `Bearer ${merchantB.apiKey}`);
    const invoice = await sentInvoice(merchantB);
    await pay(merchantB, invoice.id);
    await doomed.waitForResults(1);

    await kometpay('merchant', 'api-key', 'revoke', '--merchant', merchantB.id, '--prefix', issued.prefix);
    await doomed.waitForEnd(2000);
    expect(doomed.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    const after = await pay(merchantB, invoice.id);
    expect(doomed.results).toHaveLength(1);
    expect(transactionIds(await kept.waitForResults(2)).at(-1)).toBe(after);

    const again = subscribe(url, PAYMENT_EVENTS, {}, `Bearer ${issued.key}`);
    open.push(again as Recording<unknown>);
    await again.waitForEnd(); // refused when the connection opens (4403), before any result
    expect(again.results).toEqual([]);
  });

  it('hands out events in position order even when a lower position commits later', async () => {
    const invoice = await sentInvoice(merchantA);
    const transactionId = await pay(merchantA, invoice.id);
    const stream = follow(wsUrl(t.url, '/graphql'), { after: await cursorNow() }, `Bearer ${merchantA.apiKey}`);
    const insert = `insert into outbox_event (merchant_id, aggregate_type, aggregate_id, type, payload, occurred_at)
                    values ($1, 'transaction', $2, $3, $4, now()) returning position::text`;
    const payload = JSON.stringify({ invoiceIds: [invoice.id] });
    const slow = new pg.Client({ connectionString: t.db.url });
    const fast = new pg.Client({ connectionString: t.db.url });
    await Promise.all([slow.connect(), fast.connect()]);
    try {
      await slow.query('begin');
      const [lower] = (await slow.query(insert, [merchantA.id, transactionId, 'transaction.slow', payload])).rows;
      const [higher] = (await fast.query(insert, [merchantA.id, transactionId, 'transaction.fast', payload])).rows;
      expect(BigInt(lower.position)).toBeLessThan(BigInt(higher.position));
      // The higher position is committed, but handing it out now would put the lower one behind the cursor.
      await sleep(300);
      expect(stream.results).toEqual([]);
      await slow.query('commit');
      const events = await stream.waitForResults(2);
      expect(events.map((e) => e.paymentStatusChanged.type)).toEqual(['transaction.slow', 'transaction.fast']);
      expect(events.map((e) => e.paymentStatusChanged.cursor)).toEqual([encodeEventCursor(BigInt(lower.position)), encodeEventCursor(BigInt(higher.position))]);
    } finally {
      await Promise.all([slow.end(), fast.end()]);
    }
  });

  it('keeps delivering after its LISTEN connection is killed', async () => {
    const invoice = await sentInvoice(merchantA);
    const stream = follow(wsUrl(t.url, '/graphql'), { after: await cursorNow() }, `Bearer ${merchantA.apiKey}`);
    const killed = await t.orm.em.fork().execute<{ pid: number }[]>(
      `select pg_terminate_backend(pid) as pid from pg_stat_activity where datname = current_database() and application_name = 'kometpay-outbox-feed'`,
    );
    expect(killed).toHaveLength(1);
    const paid = await pay(merchantA, invoice.id);
    expect(transactionIds(await stream.waitForResults(1, 5000))).toEqual([paid]);
  });
});

describe('across API instances', () => {
  let second: ChildApi;
  let secondUrl: string;
  const secondLogs: string[] = [];

  beforeAll(async () => {
    second = await startChildApi(
      { DATABASE_URL: t.db.url, API_PORT: String(await freePort()), RUN_JOBS: 'false', LOG_LEVEL: 'warn', KOMETPAY_DATA_DIR: `.data/test/${t.db.name}-second` },
      secondLogs,
    );
    secondUrl = second.url;
  });
  afterAll(async () => {
    // Its shutdown is tested in 13-embedded-mode; an unclean one here is reported, with what it logged.
    await second.stop();
    const ended = await second.exited;
    if (ended.code !== 0) console.warn(`the second API instance ended with ${JSON.stringify(ended)}:\n${secondLogs.join('\n')}`);
  });

  it('delivers a payment made through instance 1 to a subscriber on instance 2 in under a second', async () => {
    const partner = await onboardPartner('Ledgerly cluster');
    await merchantA.client().request(GRANT, { partnerId: partner.id });
    const invoice = await sentInvoice(merchantA);
    const onSecond = follow(wsUrl(secondUrl, '/graphql'), { merchantId: merchantA.id, after: await cursorNow() }, partner.authorization);
    const onFirst = follow(wsUrl(t.url, '/graphql'), { merchantId: merchantA.id, after: await cursorNow() }, partner.authorization);
    // Both subscriptions are up once a first event has reached them.
    await pay(merchantA, invoice.id);
    await Promise.all([onSecond.waitForResults(1), onFirst.waitForResults(1)]);

    const paying = performance.now();
    const paid = await pay(merchantA, invoice.id);
    const [, received] = await onSecond.waitForResults(2);
    expect(performance.now() - paying).toBeLessThan(1000);
    expect(received.paymentStatusChanged.transaction.id).toBe(paid);

    // And the other way round: a payment through instance 2 reaches a subscriber of instance 1.
    const back = await pay(merchantA, invoice.id, '100', secondUrl);
    expect(transactionIds(await onFirst.waitForResults(3))).toContain(back);
  });
});

describe('paymentLinkStatus (checkout)', () => {
  it('emits the current view of the link, then an update after each payment', async () => {
    const invoice = await sentInvoice(merchantA, '5000');
    const stream = follow<any>(wsUrl(t.url, '/checkout/graphql'), { token: invoice.token }, '', LINK_STATUS);
    const [now] = await stream.waitForResults(1);
    expect(now.paymentLinkStatus).toEqual({ status: 'PAYABLE', invoiceNumber: invoice.number, amountPaid: { amount: '0' }, amountDue: { amount: '5000', formatted: '$50.00' } });

    await pay(merchantA, invoice.id, '2000');
    const [, partly] = await stream.waitForResults(2);
    expect(partly.paymentLinkStatus).toMatchObject({ status: 'PAYABLE', amountPaid: { amount: '2000' }, amountDue: { amount: '3000' } });
    await pay(merchantA, invoice.id, '3000');
    const [, , paid] = await stream.waitForResults(3);
    expect(paid.paymentLinkStatus).toMatchObject({ status: 'PAID', amountDue: { amount: '0' } });
  });

  it('answers NOT_FOUND for an unknown token', async () => {
    const stream = follow<any>(wsUrl(t.url, '/checkout/graphql'), { token: 'no-such-token' }, '', LINK_STATUS);
    await stream.waitForEnd();
    expect(stream.results).toEqual([]);
    expect(stream.errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'token' });
  });
});

