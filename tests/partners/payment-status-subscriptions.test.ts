import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TestApi, TestMerchant } from '../support/api.js';
import { wsUrl } from '../support/subscriptions.js';
import { PartnerRig, sleep, transactionIds } from './support.js';

let rig: PartnerRig;
let t: TestApi;
let merchantA: TestMerchant;
let merchantB: TestMerchant;

beforeAll(async () => {
  rig = await PartnerRig.start();
  t = rig.t;
  merchantA = await t.createMerchant('Acme Flowers');
  merchantB = await t.createMerchant('Bravo Plants');
});
afterEach(() => rig.closeStreams());
afterAll(() => t.close());

const kometpay = (...args: string[]) => rig.kometpay(...args);
const onboardPartner = (name: string) => rig.onboardPartner(name);
const sentInvoice = (merchant: TestMerchant, unitAmount?: string) => rig.sentInvoice(merchant, unitAmount);
const pay = (merchant: TestMerchant, invoiceId: string, amount?: string, apiUrl?: string) => rig.pay(merchant, invoiceId, amount, apiUrl);
const grant = (merchant: TestMerchant, partnerId: string) => rig.grant(merchant, partnerId);
const revoke = (merchant: TestMerchant, partnerId: string) => rig.revoke(merchant, partnerId);
const cursorNow = (merchantId: string) => rig.cursorNow(merchantId);
const follow = (...args: Parameters<PartnerRig['follow']>) => rig.follow(...args);

describe('paymentStatusChanged', () => {
  it("delivers merchant A's payment events to the partner A granted, and none of B's; B's stream is FORBIDDEN", async () => {
    const partner = await onboardPartner('Ledgerly A');
    await grant(merchantA, partner.id);
    const url = wsUrl(t.url, '/graphql');
    const stream = follow(url, { merchantId: merchantA.id, after: await cursorNow(merchantA.id) }, partner.authorization);

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
    await grant(merchantA, partner.id);
    const url = wsUrl(t.url, '/graphql');
    const stream = follow(url, { merchantId: merchantA.id, after: await cursorNow(merchantA.id) }, partner.authorization);
    const invoice = await sentInvoice(merchantA);
    await pay(merchantA, invoice.id);
    await stream.waitForResults(1);

    const revoking = performance.now();
    await revoke(merchantA, partner.id);
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
    await grant(merchantA, partner.id);
    const url = wsUrl(t.url, '/graphql');
    const invoice = await sentInvoice(merchantA);
    const before = follow(url, { merchantId: merchantA.id, after: await cursorNow(merchantA.id) }, partner.authorization);
    await pay(merchantA, invoice.id);
    const [seen] = await before.waitForResults(1);
    await before.dispose();

    const missed = [
      await pay(merchantA, invoice.id, '101'),
      await pay(merchantA, invoice.id, '102'),
      await pay(merchantA, invoice.id, '103'),
    ];
    const resumed = follow(url, { merchantId: merchantA.id, after: seen.paymentStatusChanged.cursor }, partner.authorization);
    expect(transactionIds(await resumed.waitForResults(3))).toEqual(missed);
    const live = await pay(merchantA, invoice.id, '104');
    expect(transactionIds(await resumed.waitForResults(4))).toEqual([...missed, live]);
    await sleep(200);
    expect(resumed.results).toHaveLength(4);

    const bad = follow(url, { merchantId: merchantA.id, after: 'not-a-cursor' }, partner.authorization);
    await bad.waitForEnd();
    expect(bad.errors[0].extensions).toMatchObject({ code: 'INVALID_CURSOR', field: 'after' });
  });

  it('follows its own merchant with a merchant key and no merchantId; another merchant is FORBIDDEN', async () => {
    const url = wsUrl(t.url, '/graphql');
    const invoice = await sentInvoice(merchantB);
    const stream = follow(url, { after: await cursorNow(merchantB.id) }, `Bearer ${merchantB.apiKey}`);
    const onInvoice = follow(url, { invoiceId: invoice.id, after: await cursorNow(merchantB.id) }, `Bearer ${merchantB.apiKey}`);
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
    const doomed = follow(url, { after: await cursorNow(merchantB.id) }, `Bearer ${issued.key}`);
    const kept = follow(url, { after: await cursorNow(merchantB.id) }, `Bearer ${merchantB.apiKey}`);
    const invoice = await sentInvoice(merchantB);
    await pay(merchantB, invoice.id);
    await doomed.waitForResults(1);

    await kometpay('merchant', 'api-key', 'revoke', '--merchant', merchantB.id, '--prefix', issued.prefix);
    await doomed.waitForEnd(2000);
    expect(doomed.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    const after = await pay(merchantB, invoice.id);
    expect(doomed.results).toHaveLength(1);
    expect(transactionIds(await kept.waitForResults(2)).at(-1)).toBe(after);

    const again = follow(url, {}, `Bearer ${issued.key}`);
    await again.waitForEnd(); // refused when the connection opens (4403), before any result
    expect(again.results).toEqual([]);
  });

  it('hands out events in position order even when a lower position commits later', async () => {
    const invoice = await sentInvoice(merchantA);
    const transactionId = await pay(merchantA, invoice.id);
    const stream = follow(wsUrl(t.url, '/graphql'), { after: await cursorNow(merchantA.id) }, `Bearer ${merchantA.apiKey}`);
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
      expect(events.map((e) => t.api.deps.eventCursors.read(merchantA.id, e.paymentStatusChanged.cursor))).toEqual([
        BigInt(lower.position),
        BigInt(higher.position),
      ]);
    } finally {
      await Promise.all([slow.end(), fast.end()]);
    }
  });

  it('keeps delivering after its LISTEN connection is killed', async () => {
    const invoice = await sentInvoice(merchantA);
    const stream = follow(wsUrl(t.url, '/graphql'), { after: await cursorNow(merchantA.id) }, `Bearer ${merchantA.apiKey}`);
    const killed = await t.orm.em
      .fork()
      .execute<{ pid: number }[]>(
        `select pg_terminate_backend(pid) as pid from pg_stat_activity where datname = current_database() and application_name = 'kometpay-outbox-feed'`,
      );
    expect(killed).toHaveLength(1);
    const paid = await pay(merchantA, invoice.id);
    expect(transactionIds(await stream.waitForResults(1, 5000))).toEqual([paid]);
  });
});
