import { randomUUID } from 'node:crypto';
import { ChargeInvoicesDocument, CreateInvoiceDocument, SendInvoiceDocument } from '@kometpay/schema/merchant';
import { ClientError, GraphQLClient } from 'graphql-request';
import type { SentInvoice, Shop } from '../support/shop.js';
import { wsUrl } from '../support/subscriptions.js';
import { type ClusterRig, type PaymentEvent, ResumingSubscriber, startClusterRig } from './support.js';

/**
 * The cluster rehearsed on this machine (scripts/cluster/cluster.mjs): nginx in front of three API
 * instances, two checkouts and the console, in production mode on one PostgreSQL. Everything below
 * goes through nginx.
 */
let rig: ClusterRig;
const subscribers: ResumingSubscriber[] = [];
beforeAll(async () => {
  rig = await startClusterRig();
}, 120_000);
afterEach(async () => {
  await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.stop()));
});
afterAll(() => rig?.close(), 60_000);

function follow(url: string, authorization: string, cursor: string): ResumingSubscriber {
  const subscriber = new ResumingSubscriber(url, authorization, cursor);
  subscribers.push(subscriber);
  return subscriber;
}

/** Answers that say "this instance went away": the client retries them, with the same idempotency key. */
function transient(error: unknown): boolean {
  if (error instanceof ClientError) {
    const code = error.response.errors?.[0]?.extensions?.code;
    return (
      error.response.status === 502 || error.response.status === 503 || code === 'PAYMENT_IN_PROGRESS' || code === 'IDEMPOTENCY_KEY_IN_USE'
    );
  }
  // A connection reset, refused or closed before an answer: undici's "fetch failed", a TypeError from
  // Node's realm, which is not the test's (jest runs tests in a vm context), so `instanceof` misses it.
  const failure = error as { name?: string; code?: string };
  return failure.name === 'TypeError' || failure.code === 'ECONNRESET';
}

/** A charge as a careful integration makes it: one idempotency key, retried until a definite answer. */
async function chargeOnce(shop: Shop, invoice: SentInvoice, attempts: { retries: number }) {
  const idempotencyKey = randomUUID();
  const input = { customerId: shop.customerId, invoiceIds: [invoice.id], paymentMethodToken: 'pm_card_visa' };
  for (;;) {
    try {
      return (await shop.client.request(ChargeInvoicesDocument, { input, idempotencyKey })).chargeInvoices;
    } catch (error) {
      if (!transient(error)) throw error;
      attempts.retries++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const keyOf = (event: PaymentEvent) => `${event.type}:${event.transaction.id}:${event.cursor}`;

describe('the cluster behind nginx', () => {
  it('has its clients retry a request whose connection failed before an answer (undici, from Node’s realm)', async () => {
    const refused = await fetch('http://127.0.0.1:1/graphql', { method: 'POST' }).catch((error: unknown) => error);
    expect(transient(refused)).toBe(true);
  });

  it('loses no payment and no event when an API instance is killed (SIGKILL) under payment and subscription load', async () => {
    const shop = await rig.shop('Clustered Flowers');
    const invoices: SentInvoice[] = [];
    for (let i = 0; i < 24; i++) invoices.push(await shop.sentInvoice(1000 + i));
    const start = await rig.cursorNow(shop.merchant.id);
    const url = wsUrl(rig.cluster.urls.api, '/graphql');
    const live = Array.from({ length: 6 }, () => follow(url, `Bearer ${shop.merchant.apiKey}`, start));

    const attempts = { retries: 0 };
    const queue = [...invoices];
    const paid = new Map<string, string>();
    const victim = rig.cluster.apis[1];
    const victimPid = victim.child.pid;
    let killed = false;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let invoice = queue.shift(); invoice; invoice = queue.shift()) {
          const payment = await chargeOnce(shop, invoice, attempts);
          expect(payment.status).toBe('SUCCEEDED');
          paid.set(invoice.id, payment.id);
          if (!killed && paid.size >= 6) {
            killed = true;
            victim.child.kill('SIGKILL');
          }
        }
      }),
    );
    expect(killed).toBe(true);
    expect(paid.size).toBe(invoices.length);

    // Exactly once: one charge per invoice, whatever was retried; every invoice paid.
    const rows = await rig.orm.em.fork().execute<{ invoice_id: string; charges: number; succeeded: number; status: string }[]>(
      `select i.id as invoice_id, i.status, count(t.id)::int as charges, count(t.id) filter (where t.status = 'SUCCEEDED')::int as succeeded
         from invoice i left join transaction_allocation ta on ta.invoice_id = i.id left join transaction t on t.id = ta.transaction_id and t.kind = 'CHARGE'
        where i.id in (?) group by i.id, i.status`,
      [invoices.map((invoice) => invoice.id)],
    );
    expect(rows).toHaveLength(invoices.length);
    for (const row of rows) expect(row).toMatchObject({ charges: 1, succeeded: 1, status: 'PAID' });

    // The reference: the same stream replayed from the start once everything is written.
    const reference = follow(url, `Bearer ${shop.merchant.apiKey}`, start);
    const succeeded = (events: PaymentEvent[]) =>
      new Set(events.filter((e) => e.type === 'transaction.succeeded').map((e) => e.transaction.id)).size;
    await reference.until((events) => succeeded(events) === invoices.length);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await reference.stop();
    const expected = reference.events.map(keyOf);
    expect(new Set(expected).size).toBe(expected.length);

    // Every subscriber, however many times it reconnected, got exactly that: nothing lost, nothing twice.
    for (const subscriber of live) {
      await subscriber.until((events) => events.length >= expected.length);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await subscriber.stop();
      expect(subscriber.events.map(keyOf)).toEqual(expected);
    }
    const reconnected = live.filter((subscriber) => subscriber.reconnects > 0).length;
    // The supervisor started the killed instance again.
    expect(victim.child.pid).not.toBe(victimPid);
    console.log(
      `cluster SIGKILL: ${invoices.length} payments through nginx, each charged once (${attempts.retries} client retries with the same key); ` +
        `${live.length} subscribers (${reconnected} reconnected from their cursor) each got the ${expected.length} events exactly once`,
    );
  }, 150_000);

  it('restarts the API instances one at a time (rolling) without failing a single request', async () => {
    const shop = await rig.shop('Rolling Flowers');
    // A connection per request: a reload of nginx (taking an instance out) closes the idle keep-alive
    // connections of its old workers, which a client writing on one at that instant sees fail; that is
    // the balancer's reload, not the restart, and docs/operations.md says what clients do about it.
    const client = new GraphQLClient(`${rig.cluster.urls.api}/graphql`, {
      headers: { authorization: `Bearer ${shop.merchant.apiKey}`, connection: 'close' },
    });
    const failures: string[] = [];
    let requests = 0;
    let rolling = true;
    const load = Array.from({ length: 3 }, async (_, worker) => {
      while (rolling) {
        try {
          if (worker === 0) {
            const { createInvoice } = await client.request(CreateInvoiceDocument, {
              input: {
                customerId: shop.customerId,
                number: `RR-${randomUUID()}`,
                currency: 'USD',
                lines: [{ description: 'Tulips', quantity: 1, unitAmount: '500' }],
              },
            });
            const { sendInvoice } = await client.request(SendInvoiceDocument, { id: createInvoice.id });
            requests += 2;
            const invoice = { id: sendInvoice.id };
            const payment = await client.request(ChargeInvoicesDocument, {
              input: { customerId: shop.customerId, invoiceIds: [invoice.id], paymentMethodToken: 'pm_card_visa' },
              idempotencyKey: randomUUID(),
            });
            requests++;
            if (payment.chargeInvoices.status !== 'SUCCEEDED') failures.push(`payment ${payment.chargeInvoices.status}`);
          } else {
            await client.request('{ merchant { id name } }');
            requests++;
          }
        } catch (error) {
          failures.push(
            `${new Date().toISOString()} ${String((error as Error).message).slice(0, 300)} ${String((error as { cause?: unknown }).cause ?? '')}`,
          );
        }
      }
    });
    const pids = rig.cluster.apis.map((api) => api.child.pid);
    await rig.cluster.rollingRestart();
    rolling = false;
    await Promise.all(load);

    expect(rig.cluster.apis.map((api) => api.child.pid).every((pid, i) => pid !== pids[i])).toBe(true);
    expect(requests).toBeGreaterThan(20);
    expect(failures).toEqual([]);
    console.log(`cluster rolling restart: 3 API instances restarted one at a time under load; ${requests} requests, none failed`);
  }, 120_000);
});
