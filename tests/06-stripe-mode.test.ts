import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { StripeMock, stripeFixture } from '../apps/api/src/processors/stripe/__tests__/stripe-mock-server.js';
import { Transaction } from '../apps/api/src/modules/transaction/transaction.entity.js';
import { startTestApi, type TestApi, type TestMerchant } from './support/api.js';
import { eventually } from './support/payments.js';

type Json = Record<string, any>;

const WEBHOOK_SECRET = 'whsec_kometpay_e2e';
const signer = new Stripe('sk_test_signer');

let mock: StripeMock;
let t: TestApi;
let merchant: TestMerchant;
let customerId: string;

beforeAll(async () => {
  mock = await StripeMock.start();
  t = await startTestApi({
    PAYMENT_PROCESSOR: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_kometpay',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_PUBLISHABLE_KEY: 'pk_test_kometpay',
    STRIPE_API_BASE: `http://127.0.0.1:${mock.port}`,
  });
  merchant = await t.createMerchant('Stripe Mode Merchant');
  customerId = (await merchant.client().request<Json>(`mutation { createCustomer(input: { name: "Buyer", email: "buyer@example.com" }) { id } }`)).createCustomer.id;
});
afterAll(async () => {
  await t.close();
  await mock.close();
});

async function openInvoice(amount: string): Promise<string> {
  const { createInvoice } = await merchant.client().request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
    input: { customerId, number: `S-${randomUUID().slice(0, 8)}`, currency: 'USD', lines: [{ description: 'Lilies', quantity: 1, unitAmount: amount }] },
  });
  await merchant.client().request(`mutation ($id: ID!) { sendInvoice(id: $id) { id } }`, { id: createInvoice.id });
  return createInvoice.id;
}

const charge = (invoiceId: string, paymentMethodToken: string) =>
  merchant.client().request<Json>(
    `mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { id status method authorizationCode fee { amount } } }`,
    { input: { customerId, invoiceIds: [invoiceId], paymentMethodToken }, key: randomUUID() },
  );

function webhook(type: string, object: Json, options: { secret?: string; timestamp?: number; id?: string } = {}) {
  const payload = JSON.stringify(stripeFixture('event', { id: options.id ?? `evt_${randomUUID().replaceAll('-', '')}`, type, data: { object } }));
  const signature = signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp });
  return fetch(`${t.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
}

const paymentIntentOf = async (transactionId: string) => (await t.orm.em.fork().findOneOrFail(Transaction, { id: transactionId })).processorReference!;

const transactionStatus = async (id: string) =>
  (await merchant.client().request<Json>(`query ($id: ID!) { transaction(id: $id) { status settlement invoices { status } } }`, { id })).transaction;

describe('with PAYMENT_PROCESSOR=stripe (the SDK pointed at a local Stripe-shaped server)', () => {
  it('tells the checkout to use Stripe.js', async () => {
    const { processor } = await t.checkout.request<Json>('{ processor { kind publishableKey tokeniserUrl } }');
    expect(processor).toEqual({ kind: 'STRIPE', publishableKey: 'pk_test_kometpay', tokeniserUrl: null });
  });

  it('charges through PaymentIntents with our idempotency key and records the card details', async () => {
    const invoiceId = await openInvoice('12345');
    const { chargeInvoices: tx } = await charge(invoiceId, 'pm_card_visa');
    expect(tx).toMatchObject({ status: 'SUCCEEDED', method: 'CREDIT_CARD', authorizationCode: expect.any(String) });
    const [create] = mock.requestsTo('POST', '/v1/payment_intents');
    expect(create.headers['idempotency-key']).toBe(`txn_${tx.id}`);
    expect(create.params).toMatchObject({ amount: '12345', currency: 'usd', confirm: 'true', payment_method: 'pm_card_visa', metadata: { transactionId: tx.id } });
  });

  it('follows an ACH payment to settlement through a signed webhook, once per event', async () => {
    const invoiceId = await openInvoice('50000');
    const { chargeInvoices: tx } = await charge(invoiceId, 'pm_usBankAccount_success');
    expect(tx.status).toBe('PROCESSING');
    const intentId = await paymentIntentOf(tx.id);

    mock.update(intentId, { status: 'succeeded', amount_received: 50000 });
    mock.update(mock.object(intentId).latest_charge, { status: 'succeeded', paid: true });
    const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
    const first = await webhook('payment_intent.succeeded', mock.object(intentId), { id: eventId });
    expect(first.status).toBe(200);
    expect(await transactionStatus(tx.id)).toMatchObject({ status: 'SUCCEEDED', settlement: 'SETTLED', invoices: [{ status: 'PAID' }] });

    const retrievals = mock.requestsTo('GET', `/v1/payment_intents/${intentId}`).length;
    const again = await webhook('payment_intent.succeeded', mock.object(intentId), { id: eventId });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(mock.requestsTo('GET', `/v1/payment_intents/${intentId}`)).toHaveLength(retrievals);

    // The bank returns the debit later: the charge fails after success, the invoice reopens.
    mock.update(mock.object(intentId).latest_charge, { status: 'failed', failure_code: 'insufficient_funds', failure_message: 'Insufficient funds' });
    const chargeObject = { ...mock.object(mock.object(intentId).latest_charge), payment_intent: intentId };
    expect((await webhook('charge.failed', chargeObject)).status).toBe(200);
    await eventually(async () => (await transactionStatus(tx.id)).status === 'RETURNED');
    expect(await transactionStatus(tx.id)).toMatchObject({ settlement: 'RETURNED', invoices: [{ status: 'OPEN' }] });
  });

  it('rejects a forged signature and an event older than five minutes, changing nothing', async () => {
    const invoiceId = await openInvoice('7000');
    const { chargeInvoices: tx } = await charge(invoiceId, 'pm_usBankAccount_success');
    const intentId = await paymentIntentOf(tx.id);
    mock.update(intentId, { status: 'succeeded' });
    mock.update(mock.object(intentId).latest_charge, { status: 'succeeded', paid: true });

    const forged = await webhook('payment_intent.succeeded', mock.object(intentId), { secret: 'whsec_attacker' });
    expect(forged.status).toBe(400);
    const stale = await webhook('payment_intent.succeeded', mock.object(intentId), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(400);
    expect((await transactionStatus(tx.id)).status).toBe('PROCESSING');
  });
});
