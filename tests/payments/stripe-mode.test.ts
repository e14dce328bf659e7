import { randomUUID } from 'node:crypto';
import { CompleteLinkPaymentDocument, PayWithLinkDocument, VerifyMicrodepositsDocument } from '@kometpay/schema/checkout';
import Stripe from 'stripe';
import { Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { eventually } from '../support/payments.js';
import { CONNECT_WEBHOOK_SECRET, stripeModeSettings } from '../support/stripe/connect.js';
import { ownerOf, StripeMock, stripeFixture } from '../support/stripe/stripe-mock-server.js';

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
    ...stripeModeSettings(mock.port, WEBHOOK_SECRET),
  });
  merchant = await t.createMerchant('Stripe Mode Merchant');
  customerId = (
    await merchant.client().request<Json>(`mutation { createCustomer(input: { name: "Buyer", email: "buyer@example.com" }) { id } }`)
  ).createCustomer.id;
});
const suiteMerchant = () => merchant;
const suiteCustomer = () => customerId;

afterAll(async () => {
  await t.close();
  await mock.close();
});

/** Whose invoices: the suite's merchant unless a test brings its own. */
interface Seller {
  merchant: TestMerchant;
  customerId: string;
}

async function openInvoice(amount: string, seller?: Seller): Promise<string> {
  return (await sendNewInvoice(amount, seller)).id;
}

/** A sent invoice and the token of its payment link (from the checkout URL sendInvoice answers). */
async function sendNewInvoice(
  amount: string,
  { merchant, customerId }: Seller = { merchant: suiteMerchant(), customerId: suiteCustomer() },
): Promise<{ id: string; token: string }> {
  const { createInvoice } = await merchant
    .client()
    .request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
      input: {
        customerId,
        number: `S-${randomUUID().slice(0, 8)}`,
        currency: 'USD',
        lines: [{ description: 'Lilies', quantity: 1, unitAmount: amount }],
      },
    });
  const { sendInvoice } = await merchant
    .client()
    .request<Json>(`mutation ($id: ID!) { sendInvoice(id: $id) { paymentLink { url } } }`, { id: createInvoice.id });
  return { id: createInvoice.id, token: new URL(sendInvoice.paymentLink.url).pathname.split('/').at(-1)! };
}

const charge = (
  invoiceId: string,
  paymentMethodToken: string,
  { merchant, customerId }: Seller = { merchant: suiteMerchant(), customerId: suiteCustomer() },
) =>
  merchant
    .client()
    .request<Json>(
      `mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { id status method authorizationCode fee { amount } } }`,
      { input: { customerId, invoiceIds: [invoiceId], paymentMethodToken }, key: randomUUID() },
    );

/**
 * Stripe's event about `object`, signed and delivered as Stripe does: an object of a merchant's
 * connected account goes to the Connect endpoint with its `account` and the Connect secret.
 */
function webhook(type: string, object: Json, options: { secret?: string; timestamp?: number; id?: string } = {}) {
  const account = ownerOf(object.id);
  const payload = JSON.stringify(
    stripeFixture('event', { id: options.id ?? `evt_${randomUUID().replaceAll('-', '')}`, type, account, data: { object } }),
  );
  const signature = signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? (account ? CONNECT_WEBHOOK_SECRET : WEBHOOK_SECRET),
    timestamp: options.timestamp,
  });
  return fetch(`${t.url}/webhooks/stripe${account ? '/connect' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
}

async function newSeller(name: string): Promise<Seller> {
  const own = await t.createMerchant(name);
  const { createCustomer } = await own
    .client()
    .request<Json>(`mutation { createCustomer(input: { name: "Wholesale Buyer", email: "buyer@wholesale.example" }) { id } }`);
  return { merchant: own, customerId: createCustomer.id };
}

const paymentIntentOf = async (transactionId: string) =>
  (await t.orm.em.fork().findOneOrFail(Transaction, { id: transactionId })).processorReference!;

const transactionStatus = async (id: string) =>
  (await merchant.client().request<Json>(`query ($id: ID!) { transaction(id: $id) { status settlement invoices { status } } }`, { id }))
    .transaction;

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
    expect(create.params).toMatchObject({
      amount: '12345',
      currency: 'usd',
      confirm: 'true',
      payment_method: 'pm_card_visa',
      metadata: { transactionId: tx.id },
    });
  });

  it('hands a 3-D Secure challenge to Stripe.js on the pay page and follows it to PAID; staff keying the same card charge it as MOTO', async () => {
    const invoice = await sendNewInvoice('4200');
    const pay = (paymentMethodToken: string) =>
      t.checkout
        .request(PayWithLinkDocument, { token: invoice.token, paymentMethodToken, idempotencyKey: randomUUID() })
        .then((r) => r.payWithLink);
    const complete = (paymentId: string) =>
      t.checkout.request(CompleteLinkPaymentDocument, { token: invoice.token, paymentId }).then((r) => r.completeLinkPayment);

    const failing = await pay('pm_card_authenticationRequired');
    const failingIntent = await paymentIntentOf(failing.paymentId!);
    expect(failing).toMatchObject({
      status: 'REQUIRES_ACTION',
      nextAction: { type: 'AUTHENTICATE', url: null, clientSecret: mock.object(failingIntent).client_secret, microdepositType: null },
      link: { status: 'PAYABLE' },
    });
    // The customer fails the bank's check in Stripe.js; the page then asks how it ended.
    mock.completeAction(failingIntent, 'fail');
    expect(await complete(failing.paymentId!)).toMatchObject({
      status: 'FAILED',
      failureCode: 'AUTHENTICATION_REQUIRED',
      failureMessage: 'The card could not be authenticated. You have not been charged.',
      link: { status: 'PAYABLE' },
    });

    const waiting = await pay('pm_card_authenticationRequired');
    const intentId = await paymentIntentOf(waiting.paymentId!);
    expect(waiting.nextAction).toEqual({
      type: 'AUTHENTICATE',
      url: null,
      clientSecret: mock.object(intentId).client_secret,
      microdepositType: null,
    });
    // Stripe.js runs the challenge in the customer's browser (requires_action -> succeeded); the page confirms.
    mock.completeAction(intentId, 'pass');
    expect(await complete(waiting.paymentId!)).toMatchObject({
      status: 'SUCCEEDED',
      nextAction: null,
      receipt: { method: 'CREDIT_CARD', last4: '3184', authorizationCode: expect.any(String) },
      link: { status: 'PAID' },
    });
    // Stripe's webhook of the same, after the page: one outcome.
    expect((await webhook('payment_intent.succeeded', mock.object(intentId))).status).toBe(200);
    expect(await transactionStatus(waiting.paymentId!)).toMatchObject({ status: 'SUCCEEDED', invoices: [{ status: 'PAID' }] });
    const events = await t.orm.em
      .fork()
      .execute<{ type: string }[]>(`select type from outbox_event where aggregate_id = ? order by position`, [waiting.paymentId]);
    expect(events.map((event) => event.type)).toEqual(['transaction.created', 'transaction.requires_action', 'transaction.succeeded']);

    const keyedIn = await openInvoice('4300');
    const { chargeInvoices: moto } = await charge(keyedIn, 'pm_card_authenticationRequired');
    expect(moto.status).toBe('SUCCEEDED');
    expect(mock.requestsTo('POST', '/v1/payment_intents').at(-1)!.params.payment_method_options).toEqual({ card: { moto: 'true' } });
  });

  it('verifies a bank account by its micro-deposits through verify_microdeposits: wrong (attempts left from Stripe), then right', async () => {
    const invoice = await sendNewInvoice('6100');
    const { payWithLink: waiting } = await t.checkout.request(PayWithLinkDocument, {
      token: invoice.token,
      paymentMethodToken: 'pm_usBankAccount_microdeposits',
      idempotencyKey: randomUUID(),
    });
    const intentId = await paymentIntentOf(waiting.paymentId!);
    expect(waiting).toMatchObject({
      status: 'REQUIRES_ACTION',
      nextAction: {
        type: 'VERIFY_MICRODEPOSITS',
        url: mock.object(intentId).next_action.verify_with_microdeposits.hosted_verification_url,
        clientSecret: mock.object(intentId).client_secret,
        microdepositType: 'DESCRIPTOR_CODE',
      },
    });
    const variables = { token: invoice.token, paymentId: waiting.paymentId! };
    expect(await expectGraphQLError(t.checkout, VerifyMicrodepositsDocument, { ...variables, descriptorCode: 'SM99ZZ' })).toMatchObject({
      extensions: { code: 'MICRODEPOSITS_MISMATCH', attemptsLeft: 9 },
    });
    const { verifyMicrodeposits: verified } = await t.checkout.request(VerifyMicrodepositsDocument, {
      ...variables,
      descriptorCode: 'SM11AA',
    });
    expect(verified).toMatchObject({ status: 'PROCESSING', receipt: { method: 'ACH', last4: '6789' }, link: { status: 'PROCESSING' } });
    const calls = mock.requestsTo('POST', `/v1/payment_intents/${intentId}/verify_microdeposits`);
    expect(calls.map((call) => call.params.descriptor_code)).toEqual(['SM99ZZ', 'SM11AA']);
    expect(calls.every((call) => call.idempotencyKey?.startsWith(`verify_${intentId}_`))).toBe(true);
    expect(await transactionStatus(waiting.paymentId!)).toMatchObject({ status: 'PROCESSING', invoices: [{ status: 'OPEN' }] });
  });

  it("records micro-deposits verified on Stripe's hosted page from the webhook, with the pay page closed", async () => {
    const invoice = await sendNewInvoice('6300');
    const { payWithLink: waiting } = await t.checkout.request(PayWithLinkDocument, {
      token: invoice.token,
      paymentMethodToken: 'pm_usBankAccount_microdeposits',
      idempotencyKey: randomUUID(),
    });
    const intentId = await paymentIntentOf(waiting.paymentId!);
    // The customer answers on Stripe's hosted verification page (nextAction.url), which calls Stripe directly,
    // on the merchant's connected account where the payment is.
    const hosted = await fetch(`http://127.0.0.1:${mock.port}/v1/payment_intents/${intentId}/verify_microdeposits`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer pk_test_kometpay',
        'content-type': 'application/x-www-form-urlencoded',
        ...(ownerOf(intentId) ? { 'stripe-account': ownerOf(intentId)! } : {}),
      },
      body: 'descriptor_code=SM11AA',
    });
    expect(hosted.status).toBe(200);
    expect((await webhook('payment_intent.processing', mock.object(intentId))).status).toBe(200);
    expect(await transactionStatus(waiting.paymentId!)).toMatchObject({ status: 'PROCESSING' });
    const { completeLinkPayment } = await t.checkout.request(CompleteLinkPaymentDocument, {
      token: invoice.token,
      paymentId: waiting.paymentId!,
    });
    expect(completeLinkPayment).toMatchObject({ status: 'PROCESSING', link: { status: 'PROCESSING' } });
  });

  it('fails a bank payment whose micro-deposits Stripe stopped taking (attempts exceeded), and the link takes a card', async () => {
    const invoice = await sendNewInvoice('6200');
    const { payWithLink: waiting } = await t.checkout.request(PayWithLinkDocument, {
      token: invoice.token,
      paymentMethodToken: 'pm_usBankAccount_microdeposits',
      idempotencyKey: randomUUID(),
    });
    const { verifyMicrodeposits: failed } = await t.checkout.request(VerifyMicrodepositsDocument, {
      token: invoice.token,
      paymentId: waiting.paymentId!,
      descriptorCode: 'SM33CC',
    });
    expect(failed).toMatchObject({ status: 'FAILED', failureCode: 'BANK_ACCOUNT_UNVERIFIED', link: { status: 'PAYABLE' } });
    const { payWithLink: card } = await t.checkout.request(PayWithLinkDocument, {
      token: invoice.token,
      paymentMethodToken: 'pm_card_visa',
      idempotencyKey: randomUUID(),
    });
    expect(card.status).toBe('SUCCEEDED');
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
    mock.update(mock.object(intentId).latest_charge, {
      status: 'failed',
      failure_code: 'insufficient_funds',
      failure_message: 'Insufficient funds',
    });
    const chargeObject = { ...mock.object(mock.object(intentId).latest_charge), payment_intent: intentId };
    expect((await webhook('charge.failed', chargeObject)).status).toBe(200);
    await eventually(async () => (await transactionStatus(tx.id)).status === 'RETURNED');
    expect(await transactionStatus(tx.id)).toMatchObject({ settlement: 'RETURNED', invoices: [{ status: 'OPEN' }] });
  });

  it('settles card payments and refunds from the payout that carried them, and unsettles them if the payout fails', async () => {
    mock.payOut(); // what earlier tests left on the balance goes out first
    const seller = await newSeller('Payout Merchant');
    const today = new Date().toISOString().slice(0, 10);
    const arrival = new Date(`${today}T00:00:00Z`);
    arrival.setUTCDate(arrival.getUTCDate() + 2);
    const arrivalDay = arrival.toISOString().slice(0, 10);
    const { chargeInvoices: first } = await charge(await openInvoice('20000', seller), 'pm_card_visa', seller);
    const { chargeInvoices: second } = await charge(await openInvoice('10000', seller), 'pm_card_visa_debit', seller);
    const { refundTransaction: refund } = await seller.merchant
      .client()
      .request<Json>(`mutation ($id: ID!, $key: String!) { refundTransaction(id: $id, idempotencyKey: $key) { id status } }`, {
        id: second.id,
        key: randomUUID(),
      });
    expect(refund.status).toBe('SUCCEEDED');
    const report = async (to: string) =>
      (
        await seller.merchant
          .client()
          .request<Json>(
            `query ($from: Date!, $to: Date!) { settlementReport(from: $from, to: $to) { days { date totals { settled { amount } pending { amount } refunded { amount } fees { amount } count } } totals { settled { amount } pending { amount } fees { amount } net { amount } } } }`,
            { from: today, to },
          )
      ).settlementReport;
    const settlementOf = async (id: string) =>
      (
        await seller.merchant
          .client()
          .request<Json>(`query ($id: ID!) { transaction(id: $id) { settlement settledAt settlementReference fee { amount } } }`, { id })
      ).transaction;
    const settledEvents = async () =>
      (
        await t.orm.em
          .fork()
          .execute<{ type: string; aggregate_id: string }[]>(
            `select type, aggregate_id from outbox_event where type like 'transaction.settle%' order by position`,
          )
      ).filter((row) => [first.id, second.id, refund.id].includes(row.aggregate_id));

    // Paid by card, not yet paid out: PENDING, whatever the PaymentIntent says.
    expect((await report(today)).totals).toMatchObject({ settled: { amount: '0' }, pending: { amount: '30000' } });

    const payout = mock.payOut({ arrivalDate: arrival });
    expect((await webhook('payout.paid', payout)).status).toBe(200);
    await eventually(async () => (await settlementOf(refund.id)).settlement === 'SETTLED');
    const stripeFee = (amount: number) => String(Math.round(amount * 0.029) + 30);
    expect(await settlementOf(first.id)).toEqual({
      settlement: 'SETTLED',
      settledAt: arrival.toISOString(),
      settlementReference: payout.id,
      fee: { amount: stripeFee(20000) },
    });
    expect(await settlementOf(second.id)).toMatchObject({ settlement: 'SETTLED', settlementReference: payout.id });
    const settled = await report(arrivalDay);
    expect(settled.days).toEqual([
      {
        date: arrivalDay,
        totals: {
          settled: { amount: '30000' },
          pending: { amount: '0' },
          refunded: { amount: '10000' },
          fees: { amount: String(Number(stripeFee(20000)) + Number(stripeFee(10000))) },
          count: 2,
        },
      },
    ]);
    expect((await settledEvents()).map((row) => row.type)).toEqual(['transaction.settled', 'transaction.settled', 'transaction.settled']);

    // The same payout announced again (a new event id) changes nothing.
    const listings = mock.requestsTo('GET', '/v1/balance_transactions').length;
    expect((await webhook('payout.paid', payout)).status).toBe(200);
    await t.jobsIdle();
    expect(mock.requestsTo('GET', `/v1/payouts/${payout.id}`)).toHaveLength(2);
    expect(mock.requestsTo('GET', '/v1/balance_transactions')).toHaveLength(listings + 1);
    expect(await settledEvents()).toHaveLength(3);

    // The bank sends the payout back: the money is on the Stripe balance again, not in the bank.
    expect((await webhook('payout.failed', mock.failPayout(payout.id))).status).toBe(200);
    await eventually(async () => (await settlementOf(first.id)).settlement === 'PENDING');
    expect(await settlementOf(second.id)).toMatchObject({ settlement: 'PENDING', settledAt: null, settlementReference: payout.id });
    expect((await report(arrivalDay)).totals).toMatchObject({ settled: { amount: '0' }, pending: { amount: '30000' } });
    expect((await settledEvents()).filter((row) => row.type === 'transaction.settlement_reversed')).toHaveLength(3);

    // Stripe sends the money again in a later payout, which names the failed one (not the payments);
    // its webhook never comes: the periodic sweep finds it.
    const retried = mock.payOut({ arrivalDate: arrival });
    await t.orm.em.fork().execute(`select graphile_worker.add_job('reconcile-payouts', '{}'::json)`);
    await eventually(async () => (await settlementOf(first.id)).settlementReference === retried.id);
    expect(await settlementOf(refund.id)).toMatchObject({ settlement: 'SETTLED', settlementReference: retried.id });
    expect((await report(arrivalDay)).totals).toMatchObject({ settled: { amount: '30000' }, pending: { amount: '0' } });
  });

  it('settles the payments of failed payouts by the payout that sends their money again, whatever order their news comes in', async () => {
    mock.payOut(); // what earlier tests left on the balance goes out first
    const seller = await newSeller('Bounced Payout Merchant');
    const { chargeInvoices: paid } = await charge(await openInvoice('15000', seller), 'pm_card_visa', seller);
    const settlementOf = async (id: string) =>
      (
        await seller.merchant
          .client()
          .request<Json>(`query ($id: ID!) { transaction(id: $id) { settlement settlementReference fee { amount } } }`, { id })
      ).transaction;

    const stripeFee = String(Math.round(15000 * 0.029) + 30);
    expect(await settlementOf(paid.id)).toEqual({ settlement: 'PENDING', settlementReference: null, fee: { amount: stripeFee } });

    // The payout is sent, and the bank refuses it before it ever arrives: nothing was settled by it.
    const bounced = mock.payOut({ status: 'in_transit' });
    expect((await webhook('payout.failed', mock.failPayout(bounced.id))).status).toBe(200);
    await t.jobsIdle();
    expect(await settlementOf(paid.id)).toMatchObject({ settlement: 'PENDING', settlementReference: null });

    // The next payout carries the failed one's money, naming that payout only: its payments are read
    // from the failed payout, and settle now.
    const resent = mock.payOut();
    expect((await webhook('payout.paid', resent)).status).toBe(200);
    await eventually(async () => (await settlementOf(paid.id)).settlement === 'SETTLED');
    expect(await settlementOf(paid.id)).toEqual({ settlement: 'SETTLED', settlementReference: resent.id, fee: { amount: stripeFee } });
    expect(mock.requestsTo('GET', '/v1/balance_transactions').filter((request) => request.params.payout === bounced.id)).toHaveLength(1);

    // That payout fails too, and the news of the payout that resends it comes first (the sweep lists
    // newest first; webhooks race): its failure is applied first, then the payment settles again,
    // by the newest payout (which names the second, which names the first).
    mock.failPayout(resent.id);
    const third = mock.payOut();
    expect((await webhook('payout.paid', third)).status).toBe(200);
    await eventually(async () => (await settlementOf(paid.id)).settlementReference === third.id);
    expect(await settlementOf(paid.id)).toEqual({ settlement: 'SETTLED', settlementReference: third.id, fee: { amount: stripeFee } });
    const events = await t.orm.em
      .fork()
      .execute<{ type: string }[]>(
        `select type from outbox_event where aggregate_id = ? and type like 'transaction.settle%' order by position`,
        [paid.id],
      );
    expect(events.map((event) => event.type)).toEqual(['transaction.settled', 'transaction.settlement_reversed', 'transaction.settled']);
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
