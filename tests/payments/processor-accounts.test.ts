import { randomUUID } from 'node:crypto';
import { PaymentLinkDocument, PayWithLinkDocument } from '@kometpay/schema/checkout';
import {
  MerchantProcessorAccountDocument,
  StartProcessorOnboardingDocument,
  TransactionDocument,
  TransactionSettlementDocument,
} from '@kometpay/schema/merchant';
import { SettlementService, Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { eventually } from '../support/payments.js';
import { errorCode, outcome, Shop } from '../support/shop.js';
import { accountOf, CONNECT_WEBHOOK_SECRET, deliverConnectEvent, startOnboarding, stripeModeSettings } from '../support/stripe/connect.js';
import { ownerOf, StripeMock } from '../support/stripe/stripe-mock-server.js';

/**
 * Stripe Connect against the local Stripe-shaped server: each merchant's money goes into its own
 * connected account (direct charges, `Stripe-Account` on every call), with the platform's fee as
 * an application fee; its payouts are its own; its onboarding is followed through account.updated.
 */

let mock: StripeMock;
let t: TestApi;
let rose: Shop;
let lily: Shop;

beforeAll(async () => {
  mock = await StripeMock.start();
  t = await startTestApi({
    ...stripeModeSettings(mock.port, 'whsec_kometpay_platform'),
  });
  rose = await Shop.open(await t.createMerchant('Rose Wholesale'), t.url);
  lily = await Shop.open(await t.createMerchant('Lily Wholesale'), t.url);
});

afterAll(async () => {
  await t.close();
  await mock.close();
});

const processorReferenceOf = async (transactionId: string) =>
  (await t.orm.em.fork().findOneOrFail(Transaction, { id: transactionId })).processorReference!;

const transactionCount = async (merchantId: string) =>
  Number(
    (await t.orm.em.fork().execute<{ count: string }[]>('select count(*) from "transaction" where merchant_id = ?', [merchantId]))[0].count,
  );

const accountView = async (shop: Shop) => (await shop.client.request(MerchantProcessorAccountDocument)).merchant.processorAccount;

describe('each merchant takes money into its own connected account', () => {
  it("lands two merchants' payments in their two accounts, each with the platform's fee as an application fee", async () => {
    const [roseAccount, lilyAccount] = [await accountOf(t.orm, rose.merchant.id), await accountOf(t.orm, lily.merchant.id)];
    expect(roseAccount).not.toBe(lilyAccount);
    expect(await accountView(rose)).toEqual({
      kind: 'STRIPE',
      status: 'ACTIVE',
      chargesEnabled: true,
      payoutsEnabled: true,
      requirementsDue: [],
    });
    // Standard accounts, made by the platform (no Stripe-Account on the create).
    expect(mock.objectsOf('account').map((account) => account.type)).toEqual(['standard', 'standard']);

    const roses = await rose.paidInvoice({ lines: [{ description: 'Roses', quantity: 1, unitAmount: '20000' }] });
    const lilies = await lily.paidInvoice({ lines: [{ description: 'Lilies', quantity: 1, unitAmount: '10000' }] });
    const roseIntent = await processorReferenceOf(roses.payment.id);
    const lilyIntent = await processorReferenceOf(lilies.payment.id);
    expect([ownerOf(roseIntent), ownerOf(lilyIntent)]).toEqual([roseAccount, lilyAccount]);

    const creates = mock.requestsTo('POST', '/v1/payment_intents');
    const createOf = (intent: string) => creates.find((request) => request.params.metadata?.transactionId === intent);
    expect(createOf(roses.payment.id)!.headers['stripe-account']).toBe(roseAccount);
    expect(createOf(lilies.payment.id)!.headers['stripe-account']).toBe(lilyAccount);
    // The platform's processing fee (2.9% + 30 cents by default), taken from the charge on the merchant's account.
    expect(mock.object(roseIntent).application_fee_amount).toBe(610);
    expect(mock.object(lilyIntent).application_fee_amount).toBe(320);
    // Every call made for a payment carries its merchant's account: describing the card, creating, reading back.
    const forRose = mock.requests.filter(
      (request) => request.path.includes(roseIntent) || request.params.metadata?.transactionId === roses.payment.id,
    );
    expect(forRose.length).toBeGreaterThan(0);
    expect(forRose.every((request) => request.headers['stripe-account'] === roseAccount)).toBe(true);
  });

  it("refunds through the merchant's own account: a refund for one merchant can never reach another's charge", async () => {
    const lilies = await lily.paidInvoice({ lines: [{ description: 'Lilies', quantity: 1, unitAmount: '7000' }] });
    const lilyIntent = await processorReferenceOf(lilies.payment.id);

    // Rose's processor, asked to refund Lily's PaymentIntent: Stripe finds no such PaymentIntent in Rose's account.
    const roseProcessor = await t.api.deps.processors.of(rose.merchant.id);
    await expect(
      roseProcessor.refund({ idempotencyKey: randomUUID(), paymentReference: lilyIntent, amount: 7000n, metadata: {} }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    await expect(roseProcessor.retrievePayment(lilyIntent)).rejects.toMatchObject({ retryable: false });
    // Nor through the API: Rose cannot name Lily's charge.
    expect((await outcome(rose.refund(lilies.payment.id))).ok).toBe(false);
    expect(mock.object(mock.object(lilyIntent).latest_charge).amount_refunded).toBe(0);

    // Lily's own refund goes to Lily's account.
    const refund = await lily.refund(lilies.payment.id);
    expect(refund.status).toBe('SUCCEEDED');
    const [refundCall] = mock.requestsTo('POST', '/v1/refunds').filter((request) => request.params.metadata?.transactionId === refund.id);
    expect(refundCall.headers['stripe-account']).toBe(await accountOf(t.orm, lily.merchant.id));
    expect(mock.object(mock.object(lilyIntent).latest_charge).amount_refunded).toBe(7000);
  });

  it("reconciles each merchant's payouts from its own account, by webhook and by the sweep", async () => {
    const roseAccount = await accountOf(t.orm, rose.merchant.id);
    const lilyAccount = await accountOf(t.orm, lily.merchant.id);
    const roses = await rose.paidInvoice({ lines: [{ description: 'Roses', quantity: 1, unitAmount: '5000' }] });
    const lilies = await lily.paidInvoice({ lines: [{ description: 'Lilies', quantity: 1, unitAmount: '6000' }] });
    const rosePayout = mock.payOut({ account: roseAccount });
    const lilyPayout = mock.payOut({ account: lilyAccount });
    expect([ownerOf(rosePayout.id), ownerOf(lilyPayout.id)]).toEqual([roseAccount, lilyAccount]);

    // Rose's payout.paid arrives from Rose's account: Rose's payment settles, Lily's does not.
    const delivered = await deliverConnectEvent(t.url, { type: 'payout.paid', object: rosePayout, account: roseAccount });
    expect(delivered.status).toBe(200);
    const settlementOf = async (shop: Shop, id: string) =>
      (await shop.client.request(TransactionSettlementDocument, { id })).transaction!.settlement;
    await eventually(async () => (await settlementOf(rose, roses.payment.id)) === 'SETTLED');
    expect(await settlementOf(lily, lilies.payment.id)).toBe('PENDING');
    const balanceCalls = mock.requestsTo('GET', '/v1/balance_transactions');
    expect(balanceCalls.every((request) => request.headers['stripe-account'] === roseAccount)).toBe(true);

    // Lily's webhook never came: the sweep lists each account's payouts and finds it.
    const sweep = new SettlementService(t.orm.em.fork(), t.clock, t.api.deps.processors);
    const outcomes = await sweep.reconcileRecentPayouts();
    expect(outcomes.map((o) => o.reference)).toContain(lilyPayout.id);
    expect(await settlementOf(lily, lilies.payment.id)).toBe('SETTLED');
    const listed = mock.requestsTo('GET', '/v1/payouts').map((request) => request.headers['stripe-account']);
    expect(new Set(listed)).toEqual(new Set([roseAccount, lilyAccount]));
  });
});

describe('onboarding a merchant onto Stripe', () => {
  it('refuses charges until Stripe says the account can take them, follows account.updated, and keeps offline payments working', async () => {
    const daisy = await Shop.open(await t.createMerchant('Daisy Wholesale', { onboarded: false }), t.url);
    // No account at Stripe yet: nothing can be charged; the pay page says so.
    expect(await accountView(daisy)).toMatchObject({ kind: 'STRIPE', status: 'PENDING_ONBOARDING', chargesEnabled: false });
    const invoice = await daisy.sentInvoice({ lines: [{ description: 'Daisies', quantity: 1, unitAmount: '4000' }] });
    const creates = mock.requestsTo('POST', '/v1/payment_intents').length;
    expect(errorCode(await daisy.charge([invoice.id], 'pm_card_visa').catch((e: unknown) => e))).toBe('PROCESSOR_ACCOUNT_NOT_READY');
    const payByLink = await t.checkout
      .request(PayWithLinkDocument, { token: invoice.token, paymentMethodToken: 'pm_card_visa', idempotencyKey: randomUUID() })
      .catch((e: unknown) => e);
    expect(errorCode(payByLink)).toBe('PROCESSOR_ACCOUNT_NOT_READY');
    expect(await transactionCount(daisy.merchant.id)).toBe(0);
    expect(mock.requestsTo('POST', '/v1/payment_intents')).toHaveLength(creates);
    const page = (await t.checkout.request(PaymentLinkDocument, { token: invoice.token })).paymentLink!;
    expect(page).toMatchObject({ status: 'PAYABLE', onlinePaymentsAvailable: false, acceptedMethods: [] });
    // A check still records.
    expect((await daisy.recordOffline(invoice.id, '1000')).status).toBe('SUCCEEDED');

    // Onboarding is supervised, and its URLs must be absolute https (http only on this machine).
    const unsupervised = await daisy.client
      .request(StartProcessorOnboardingDocument, {
        returnUrl: 'https://console.example/settings',
        refreshUrl: 'https://console.example/settings',
      })
      .catch((e: unknown) => e);
    expect(errorCode(unsupervised)).toBe('SUPERVISOR_REQUIRED');
    const supervised = await daisy.supervised();
    for (const [returnUrl, refreshUrl] of [
      ['http://console.example/settings', 'https://console.example/settings'],
      ['/settings', 'https://console.example/settings'],
      ['https://console.example/settings', 'javascript:alert(1)'],
    ]) {
      const refused = await supervised.request(StartProcessorOnboardingDocument, { returnUrl, refreshUrl }).catch((e: unknown) => e);
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    }
    expect(mock.objectsOf('account').filter((account) => account.metadata.merchantId === daisy.merchant.id)).toEqual([]);

    const url = await startOnboarding(daisy.merchant);
    expect(url).toMatch(/^https:\/\/connect\.stripe\.com\//);
    const account = await accountOf(t.orm, daisy.merchant.id);
    const [link] = mock.requestsTo('POST', '/v1/account_links').slice(-1);
    expect(link.params).toMatchObject({ account, type: 'account_onboarding', return_url: 'https://console.example/settings' });
    // The onboarding link again (the merchant lost it): the same account.
    await startOnboarding(daisy.merchant);
    expect(mock.objectsOf('account').filter((a) => a.metadata.merchantId === daisy.merchant.id)).toHaveLength(1);
    expect(await accountView(daisy)).toMatchObject({ status: 'PENDING_ONBOARDING', chargesEnabled: false });

    // An event whose payload says "enabled" while Stripe still says otherwise changes nothing: the account is read again.
    const lie = { ...mock.object(account), charges_enabled: true, payouts_enabled: true, details_submitted: true };
    expect((await deliverConnectEvent(t.url, { type: 'account.updated', object: lie, account })).status).toBe(200);
    expect(await accountView(daisy)).toMatchObject({ status: 'PENDING_ONBOARDING', chargesEnabled: false });

    // The merchant finishes Stripe's pages; Stripe sends account.updated (twice: handled once).
    const finished = mock.completeOnboarding(account);
    const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
    const first = await deliverConnectEvent(t.url, { id: eventId, type: 'account.updated', object: finished, account });
    const again = await deliverConnectEvent(t.url, { id: eventId, type: 'account.updated', object: finished, account });
    expect([first.body, again.body]).toEqual([{ received: true }, { received: true, duplicate: true }]);
    expect(await accountView(daisy)).toEqual({
      kind: 'STRIPE',
      status: 'ACTIVE',
      chargesEnabled: true,
      payoutsEnabled: true,
      requirementsDue: [],
    });
    const changes = await t.orm.em
      .fork()
      .execute<{ type: string; payload: { from: string; to: string } }[]>(
        `select type, payload from outbox_event where aggregate_type = 'processor_account' and merchant_id = ? order by position`,
        [daisy.merchant.id],
      );
    expect(changes).toEqual([
      { type: 'processor_account.created', payload: expect.objectContaining({ status: 'PENDING_ONBOARDING' }) },
      { type: 'processor_account.updated', payload: expect.objectContaining({ from: 'PENDING_ONBOARDING', to: 'ACTIVE' }) },
    ]);

    // Now the rest of the invoice can be paid online, into Daisy's account.
    const ready = (await t.checkout.request(PaymentLinkDocument, { token: invoice.token })).paymentLink!;
    expect(ready.onlinePaymentsAvailable).toBe(true);
    // Stripe.js on the pay page is started with the merchant's account, where the payment method must be made.
    expect(ready.processor).toMatchObject({ kind: 'STRIPE', publishableKey: 'pk_test_kometpay', connectedAccount: account });
    const paid = await t.checkout.request(PayWithLinkDocument, {
      token: invoice.token,
      paymentMethodToken: 'pm_card_visa',
      idempotencyKey: randomUUID(),
    });
    expect(paid.payWithLink.status).toBe('SUCCEEDED');
    const [{ processor_reference: intent }] = await t.orm.em
      .fork()
      .execute<{ processor_reference: string }[]>(
        `select processor_reference from "transaction" where merchant_id = ? and channel = 'PAYMENT_LINK'`,
        [daisy.merchant.id],
      );
    expect(ownerOf(intent)).toBe(account);

    // Stripe asks for more: charges pause (RESTRICTED), and are refused again.
    const restricted = mock.restrict(account, ['individual.verification.document']);
    expect((await deliverConnectEvent(t.url, { type: 'account.updated', object: restricted, account })).status).toBe(200);
    expect(await accountView(daisy)).toMatchObject({
      status: 'RESTRICTED',
      chargesEnabled: false,
      requirementsDue: ['individual.verification.document'],
    });
    const more = await daisy.sentInvoice({ lines: [{ description: 'Daisies', quantity: 1, unitAmount: '1000' }] });
    expect(errorCode(await daisy.charge([more.id], 'pm_card_visa').catch((e: unknown) => e))).toBe('PROCESSOR_ACCOUNT_NOT_READY');
  });
});

describe('a merchant who disconnects its account', () => {
  it('is DISABLED once Stripe says the platform lost access (account.application.deauthorized), and charges are refused', async () => {
    const tulip = await Shop.open(await t.createMerchant('Tulip Wholesale'), t.url);
    const account = await accountOf(t.orm, tulip.merchant.id);
    expect((await tulip.paidInvoice({ lines: [{ description: 'Tulips', quantity: 1, unitAmount: '2000' }] })).payment.status).toBe(
      'SUCCEEDED',
    );
    mock.deauthorize(account);
    const application = { id: 'ca_kometpay', object: 'application', name: 'KometPay' };
    const delivered = await deliverConnectEvent(t.url, { type: 'account.application.deauthorized', object: application, account });
    expect(delivered).toEqual({ status: 200, body: { received: true } });
    expect(await accountView(tulip)).toEqual({
      kind: 'STRIPE',
      status: 'DISABLED',
      chargesEnabled: false,
      payoutsEnabled: false,
      requirementsDue: [],
    });
    const invoice = await tulip.sentInvoice({ lines: [{ description: 'Tulips', quantity: 1, unitAmount: '1000' }] });
    const before = await transactionCount(tulip.merchant.id);
    expect(errorCode(await tulip.charge([invoice.id], 'pm_card_visa').catch((e: unknown) => e))).toBe('PROCESSOR_ACCOUNT_NOT_READY');
    expect(await transactionCount(tulip.merchant.id)).toBe(before);
    expect((await t.checkout.request(PaymentLinkDocument, { token: invoice.token })).paymentLink!.onlinePaymentsAvailable).toBe(false);
    // The settlement sweep no longer asks the disconnected account (Stripe would refuse), and the others' still run.
    const listedBefore = mock.requestsTo('GET', '/v1/payouts').length;
    await new SettlementService(t.orm.em.fork(), t.clock, t.api.deps.processors).reconcileRecentPayouts();
    const listed = mock.requestsTo('GET', '/v1/payouts').slice(listedBefore);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.some((request) => request.headers['stripe-account'] === account)).toBe(false);
  });
});

describe('Connect webhooks', () => {
  it("ignores an event of an account that is no merchant's (200, nothing changed) and refuses one signed with another secret", async () => {
    const stranger = { ...mock.object(await accountOf(t.orm, rose.merchant.id)), id: 'acct_stranger' };
    const before = await t.orm.em.fork().execute<{ count: string }[]>('select count(*) from processor_event');
    const ignored = await deliverConnectEvent(t.url, { type: 'account.updated', object: stranger, account: 'acct_stranger' });
    expect(ignored).toEqual({ status: 200, body: { received: true, ignored: true } });
    expect(await t.orm.em.fork().execute<{ count: string }[]>('select count(*) from processor_event')).toEqual(before);

    // A payment of one merchant's account, sent as if from another's: nothing of either changes.
    const roses = await rose.paidInvoice({ lines: [{ description: 'Roses', quantity: 1, unitAmount: '3000' }] });
    const intent = mock.object(await processorReferenceOf(roses.payment.id));
    const crossed = await deliverConnectEvent(t.url, {
      type: 'payment_intent.payment_failed',
      object: { ...intent, status: 'requires_payment_method' },
      account: await accountOf(t.orm, lily.merchant.id),
    });
    // Lily's account has no such PaymentIntent: acknowledged, nothing recorded.
    expect(crossed).toEqual({ status: 200, body: { received: true } });
    expect((await rose.client.request(TransactionDocument, { id: roses.payment.id })).transaction!.status).toBe('SUCCEEDED');

    const forged = await deliverConnectEvent(
      t.url,
      { type: 'account.updated', object: stranger, account: 'acct_stranger' },
      { secret: 'whsec_kometpay_platform' },
    );
    expect(forged.status).toBe(400);
    expect(CONNECT_WEBHOOK_SECRET).not.toBe('whsec_kometpay_platform');
  });
});
