import { randomInt } from 'node:crypto';
import { TransactionStateDocument } from '@kometpay/schema/merchant';
import { Transaction } from '../../apps/api/src/app/test-kit.js';
import type { TestApi } from '../support/api.js';
import { Shop } from '../support/shop.js';
import type { StripeMock } from '../support/stripe/stripe-mock-server.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';
import { deliver, type StripeEvent, startStripeModeApi, stripeEvent, stripeLedger } from './support/stripe.js';

type Json = Record<string, any>;

let t: TestApi;
let mock: StripeMock;
let shop: Shop;

beforeAll(async () => {
  ({ t, mock } = await startStripeModeApi());
  shop = await Shop.open(await t.createMerchant('Webhook Flowers'), t.url);
});
afterAll(async () => {
  await mock.close();
  await scanAndClose('webhooks', t);
});

/** One payment followed through Stripe: our ids and Stripe's. */
interface Copy {
  invoiceId: string;
  transactionId: string;
  intentId: string;
  refundIds: string[];
}

/** A change on Stripe's side and the events Stripe sends about it, carrying the objects as they are then. */
type Step = (copy: Copy) => Promise<StripeEvent[]>;

interface Scenario {
  name: string;
  paymentMethod: string;
  /** Done with every event delivered at once, before the steps under test. */
  prepare?: Step[];
  steps: Step[];
}

const chargeOf = (copy: Copy) => mock.object(mock.object(copy.intentId).latest_charge);

const settles: Step = async (copy) => {
  mock.update(copy.intentId, { status: 'succeeded', amount_received: mock.object(copy.intentId).amount });
  mock.update(chargeOf(copy).id, { status: 'succeeded', paid: true, captured: true });
  return [stripeEvent('payment_intent.succeeded', mock.object(copy.intentId)), stripeEvent('charge.succeeded', chargeOf(copy))];
};
const isProcessing: Step = async (copy) => [stripeEvent('payment_intent.processing', mock.object(copy.intentId))];
const bankReturns: Step = async (copy) => {
  mock.update(chargeOf(copy).id, { status: 'failed', failure_code: 'insufficient_funds', failure_message: 'Insufficient funds' });
  return [stripeEvent('charge.failed', { ...chargeOf(copy), payment_intent: copy.intentId })];
};
const bankFails: Step = async (copy) => {
  mock.update(chargeOf(copy).id, { status: 'failed', failure_code: 'insufficient_funds', failure_message: 'Insufficient funds' });
  mock.update(copy.intentId, {
    status: 'requires_payment_method',
    last_payment_error: { type: 'invalid_request_error', code: 'insufficient_funds', message: 'Insufficient funds' },
  });
  return [
    stripeEvent('payment_intent.payment_failed', mock.object(copy.intentId)),
    stripeEvent('charge.failed', { ...chargeOf(copy), payment_intent: copy.intentId }),
  ];
};
const cardEvents: Step = async (copy) => {
  const intent = mock.object(copy.intentId);
  return [
    stripeEvent(intent.status === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed', intent),
    stripeEvent(intent.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed', chargeOf(copy)),
  ];
};
const refunded: Step = async (copy) => {
  const refund = await shop.refund(copy.transactionId);
  copy.refundIds.push(refund.id);
  const stripeRefund = (await t.orm.em.fork().findOneOrFail(Transaction, { id: refund.id })).processorReference!;
  return [stripeEvent('refund.created', mock.object(stripeRefund))];
};
const refundPaidOut: Step = async (copy) => {
  const stripeRefund = (await t.orm.em.fork().findOneOrFail(Transaction, { id: copy.refundIds[0] })).processorReference!;
  mock.update(stripeRefund, { status: 'succeeded' });
  return [stripeEvent('refund.updated', mock.object(stripeRefund))];
};

const SCENARIOS: Scenario[] = [
  { name: 'ACH settles', paymentMethod: 'pm_usBankAccount_success', steps: [isProcessing, settles] },
  { name: 'ACH settles, then the bank returns it', paymentMethod: 'pm_usBankAccount_success', steps: [isProcessing, settles, bankReturns] },
  { name: 'ACH fails', paymentMethod: 'pm_usBankAccount_success', steps: [isProcessing, bankFails] },
  { name: 'card succeeds', paymentMethod: 'pm_card_visa', steps: [cardEvents] },
  { name: 'card is declined', paymentMethod: 'pm_card_chargeDeclined', steps: [cardEvents] },
  { name: 'ACH refund is paid out', paymentMethod: 'pm_usBankAccount_success', prepare: [settles, refunded], steps: [refundPaidOut] },
];

async function begin(scenario: Scenario, amount: number): Promise<Copy> {
  const { id: invoiceId } = await shop.sentInvoice(amount);
  const transaction = await shop.charge([invoiceId], scenario.paymentMethod);
  const intentId = (await t.orm.em.fork().findOneOrFail(Transaction, { id: transaction.id })).processorReference!;
  const copy = { invoiceId, transactionId: transaction.id, intentId, refundIds: [] };
  for (const step of scenario.prepare ?? []) for (const event of await step(copy)) expect(await deliver(t.url, event)).toBe(200);
  return copy;
}

/** What delivery order must not change: statuses, amounts and the outbox's story of the payment. */
async function stateOf(copy: Copy): Promise<Json> {
  const { transaction } = await shop.client.request(TransactionStateDocument, { id: copy.transactionId });
  const events = await t.orm.em
    .fork()
    .getConnection()
    .execute<{ type: string }[]>(`select type from outbox_event where aggregate_id in (?) order by position`, [
      [copy.transactionId, ...copy.refundIds],
    ]);
  return { ...transaction, events: events.map((e) => e.type) };
}

function shuffle<T>(items: T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

describe('Stripe webhooks delivered late, three times and out of order', () => {
  it('end in the same state as in-order delivery', async () => {
    const copies = pick(2, 10);
    const pairs: { scenario: string; inOrder: Copy; shuffled: Copy }[] = [];
    const late: StripeEvent[] = [];
    for (const scenario of SCENARIOS) {
      for (let n = 0; n < copies; n++) {
        const amount = randomInt(1_000, 90_000);
        const inOrder = await begin(scenario, amount);
        for (const step of scenario.steps) for (const event of await step(inOrder)) expect(await deliver(t.url, event)).toBe(200);
        const shuffled = await begin(scenario, amount);
        for (const step of scenario.steps) late.push(...(await step(shuffled)));
        pairs.push({ scenario: scenario.name, inOrder, shuffled });
      }
    }
    // Every event three times, shuffled, three deliveries in flight at a time, as Stripe's retries may.
    const deliveries = shuffle([...late, ...late, ...late]);
    const statuses = new Map<number, number>();
    for (let i = 0; i < deliveries.length; i += 3) {
      for (const status of await Promise.all(deliveries.slice(i, i + 3).map((event) => deliver(t.url, event))))
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect([...statuses.keys()]).toEqual([200]);
    const differing = [];
    for (const pair of pairs) {
      const [inOrder, shuffled] = [await stateOf(pair.inOrder), await stateOf(pair.shuffled)];
      if (JSON.stringify(inOrder) !== JSON.stringify(shuffled)) differing.push({ scenario: pair.scenario, inOrder, shuffled });
    }
    expect(differing).toEqual([]);
    await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant], ledger: stripeLedger(mock) });
    report(
      'webhooks',
      `${SCENARIOS.length} scenarios x ${copies} payments, ${deliveries.length} shuffled deliveries (3 per event), ${differing.length} end states differing from in-order delivery, HTTP ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });

  it('rejects a forged signature and an event six minutes old, changing nothing', async () => {
    const copy = await begin(SCENARIOS[0], 4321);
    const events = await settles(copy);
    const before = await takeSnapshot(t.db.url);
    const forged = await Promise.all(events.map((event) => deliver(t.url, event, { secret: 'whsec_attacker' })));
    const stale = await Promise.all(events.map((event) => deliver(t.url, event, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })));
    expect([...forged, ...stale]).toEqual([...forged, ...stale].map(() => 400));
    expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
    expect((await shop.transaction(copy.transactionId)).status).toBe('PROCESSING');
    // The genuine, timely delivery of the same events is then taken.
    for (const event of events) expect(await deliver(t.url, event)).toBe(200);
    expect((await shop.transaction(copy.transactionId)).status).toBe('SUCCEEDED');
    await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant], ledger: stripeLedger(mock) });
    report(
      'webhook signatures',
      `${forged.length} forged and ${stale.length} six-minute-old deliveries, ${forged.length + stale.length} rejected with 400, 0 rows changed`,
    );
  });
});
