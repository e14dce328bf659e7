import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { ProcessorError, WebhookSignatureError, type CreatePaymentRequest } from '../../processor.port.js';
import { StripeProcessor } from '../stripe.processor.js';
import { OFFLINE_READER_REGISTRATION_CODE, StripeMock, stripeFixture, type Json } from './stripe-mock-server.js';

const WEBHOOK_SECRET = 'whsec_test_kometpay';
const TIMEOUT_MS = 300;

let mock: StripeMock;
let processor: StripeProcessor;

beforeAll(async () => {
  mock = await StripeMock.start();
  processor = new StripeProcessor({
    secretKey: 'sk_test_kometpay',
    webhookSecret: WEBHOOK_SECRET,
    host: '127.0.0.1',
    port: mock.port,
    protocol: 'http',
    timeoutMs: TIMEOUT_MS,
  });
});

afterAll(() => mock.close());

function key(): string {
  return `txn-${randomUUID()}`;
}

function paymentRequest(overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  return {
    idempotencyKey: key(),
    amount: 1099n,
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
    description: 'Invoice INV-1001',
    metadata: { transactionId: 'txn_1', merchantId: 'mer_1' },
    ...overrides,
  };
}

const achMandate = { type: 'online' as const, ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0 (checkout)' };

function lastRequestTo(method: string, path: string) {
  return mock.requestsTo(method, path).at(-1)!;
}

async function processorError(promise: Promise<unknown>): Promise<ProcessorError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProcessorError);
  return error as ProcessorError;
}

describe('StripeProcessor against a Stripe-shaped server', () => {
  describe('describePaymentMethod', () => {
    it('reads a credit card, a debit card and a bank account', async () => {
      await expect(processor.describePaymentMethod('pm_card_visa')).resolves.toEqual({
        reference: 'pm_card_visa',
        type: 'card',
        brand: 'visa',
        last4: '4242',
        expMonth: 8,
        expYear: 2030,
        funding: 'credit',
      });
      await expect(processor.describePaymentMethod('pm_card_visa_debit')).resolves.toMatchObject({ funding: 'debit', last4: '5556' });
      await expect(processor.describePaymentMethod('pm_usBankAccount_success')).resolves.toEqual({
        reference: 'pm_usBankAccount_success',
        type: 'us_bank_account',
        brand: 'STRIPE TEST BANK',
        last4: '6789',
        expMonth: null,
        expYear: null,
        funding: null,
      });
    });

    it('reports an unknown token as an invalid payment method', async () => {
      const error = await processorError(processor.describePaymentMethod('pm_nope'));
      expect(error).toMatchObject({ code: 'INVALID_PAYMENT_METHOD', retryable: false });
    });
  });

  describe('createPayment', () => {
    it('creates and confirms a PaymentIntent with our key and maps the succeeded charge', async () => {
      const request = paymentRequest();
      const payment = await processor.createPayment(request);

      const sent = lastRequestTo('POST', '/v1/payment_intents');
      expect(sent.idempotencyKey).toBe(request.idempotencyKey);
      expect(sent.params).toEqual({
        amount: '1099',
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: 'true',
        description: 'Invoice INV-1001',
        metadata: { transactionId: 'txn_1', merchantId: 'mer_1' },
        automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
        expand: ['latest_charge', 'latest_charge.balance_transaction'],
      });

      const intent = mock.object(payment.reference);
      const charge = mock.object(intent.latest_charge);
      const transaction = mock.object(charge.balance_transaction);
      expect(payment).toEqual({
        reference: intent.id,
        status: 'SUCCEEDED',
        amount: 1099n,
        currency: 'USD',
        authorizationCode: charge.payment_method_details.card.authorization_code,
        paymentMethod: { reference: 'pm_card_visa', type: 'card', brand: 'visa', last4: '4242', expMonth: 8, expYear: 2030, funding: 'credit' },
        failure: null,
        fee: BigInt(transaction.fee),
        metadata: { transactionId: 'txn_1', merchantId: 'mer_1' },
      });
      expect(payment.authorizationCode).toMatch(/^\d{6}$/);
    });

    it('charges a vaulted card with its customer', async () => {
      await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_visa_debit', customerReference: 'cus_vaulted' }));
      expect(lastRequestTo('POST', '/v1/payment_intents').params).toMatchObject({ customer: 'cus_vaulted', payment_method: 'pm_card_visa_debit' });
    });

    it('sends amounts above 2^31 exactly and refuses amounts Stripe cannot represent, without calling it', async () => {
      const payment = await processor.createPayment(paymentRequest({ amount: 3_000_000_000n }));
      expect(lastRequestTo('POST', '/v1/payment_intents').params.amount).toBe('3000000000');
      expect(payment.amount).toBe(3_000_000_000n);

      const before = mock.requests.length;
      const error = await processorError(processor.createPayment(paymentRequest({ amount: 2n ** 53n })));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
      expect(mock.requests).toHaveLength(before);
    });

    it.each([
      ['pm_card_chargeDeclined', 'PAYMENT_DECLINED', 'generic_decline', '0002'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'INSUFFICIENT_FUNDS', 'insufficient_funds', '9995'],
      ['pm_card_chargeDeclinedExpiredCard', 'CARD_EXPIRED', 'expired_card', '0069'],
      ['pm_card_chargeDeclinedIncorrectCvc', 'INCORRECT_CVC', 'incorrect_cvc', '0127'],
    ])('resolves a decline (%s) as FAILED with %s', async (paymentMethod, code, declineCode, last4) => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod }));

      expect(payment).toMatchObject({
        status: 'FAILED',
        amount: 1099n,
        authorizationCode: null,
        fee: null,
        failure: { code, declineCode },
        paymentMethod: { reference: paymentMethod, last4 },
      });
      expect(payment.failure!.message).toMatch(/\w/);
      expect(mock.object(payment.reference)).toMatchObject({ status: 'requires_payment_method' });
    });

    it('maps a payment that needs 3-D Secure to REQUIRES_ACTION', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_authenticationRequired' }));
      expect(payment).toMatchObject({ status: 'REQUIRES_ACTION', failure: null });
    });

    it('debits a bank account with an online mandate: PROCESSING, then settled or returned', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_usBankAccount_success', mandate: achMandate }));

      expect(lastRequestTo('POST', '/v1/payment_intents').params.mandate_data).toEqual({
        customer_acceptance: { type: 'online', online: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (checkout)' } },
      });
      expect(payment).toMatchObject({
        status: 'PROCESSING',
        authorizationCode: null,
        fee: null,
        failure: null,
        paymentMethod: { type: 'us_bank_account', brand: 'STRIPE TEST BANK', last4: '6789', funding: null },
      });

      const chargeId = mock.object(payment.reference).latest_charge;
      mock.update(payment.reference, { status: 'succeeded', amount_received: 1099 });
      mock.update(chargeId, { status: 'succeeded', paid: true });
      await expect(processor.retrievePayment(payment.reference)).resolves.toMatchObject({ status: 'SUCCEEDED' });

      // An ACH return days later: Stripe fails the charge that had succeeded.
      mock.update(chargeId, { status: 'failed', failure_code: 'insufficient_funds', failure_message: 'Insufficient funds' });
      await expect(processor.retrievePayment(payment.reference)).resolves.toMatchObject({
        status: 'RETURNED',
        failure: { code: 'INSUFFICIENT_FUNDS', declineCode: 'insufficient_funds' },
      });
    });

    it('treats a disputed bank debit as returned but a disputed card payment as still succeeded', async () => {
      const ach = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_usBankAccount_success', mandate: achMandate }));
      mock.update(ach.reference, { status: 'succeeded' });
      mock.update(mock.object(ach.reference).latest_charge, { status: 'succeeded', disputed: true });
      await expect(processor.retrievePayment(ach.reference)).resolves.toMatchObject({ status: 'RETURNED', failure: { code: 'PAYMENT_DECLINED' } });

      const card = await processor.createPayment(paymentRequest());
      mock.update(mock.object(card.reference).latest_charge, { disputed: true });
      await expect(processor.retrievePayment(card.reference)).resolves.toMatchObject({ status: 'SUCCEEDED', failure: null });
    });

    it('replays the original outcome for a repeated key, and refuses the key with other parameters', async () => {
      const request = paymentRequest({ paymentMethod: 'pm_card_chargeDeclined' });
      const first = await processor.createPayment(request);
      const replay = await processor.createPayment(request);

      expect(replay).toEqual(first);
      const sent = mock.requestsTo('POST', '/v1/payment_intents').filter((r) => r.idempotencyKey === request.idempotencyKey);
      expect(sent).toHaveLength(2);

      const error = await processorError(processor.createPayment({ ...request, amount: 2000n }));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    });

    it('reports an unknown token as an invalid payment method', async () => {
      const error = await processorError(processor.createPayment(paymentRequest({ paymentMethod: 'pm_unknown' })));
      expect(error).toMatchObject({ code: 'INVALID_PAYMENT_METHOD', retryable: false });
    });

    it('reports a missing mandate as our own bad request', async () => {
      const error = await processorError(processor.createPayment(paymentRequest({ paymentMethod: 'pm_usBankAccount_success' })));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    });

    it.each([
      ['a 500', 'pm_stripe_unavailable'],
      ['no answer within the timeout', 'pm_stripe_hangs'],
    ])('turns %s into a retryable PROCESSOR_UNAVAILABLE after retrying with the same key', async (_, paymentMethod) => {
      const request = paymentRequest({ paymentMethod });
      const error = await processorError(processor.createPayment(request));

      expect(error).toMatchObject({ code: 'PROCESSOR_UNAVAILABLE', retryable: true });
      const attempts = mock.requestsTo('POST', '/v1/payment_intents').filter((r) => r.params.payment_method === paymentMethod);
      expect(attempts.filter((r) => r.idempotencyKey === request.idempotencyKey)).toHaveLength(3);
    });
  });

  describe('retrievePayment', () => {
    it('reads the PaymentIntent with its charge and fee, as createPayment returned it', async () => {
      const created = await processor.createPayment(paymentRequest());
      await expect(processor.retrievePayment(created.reference)).resolves.toEqual(created);

      const sent = lastRequestTo('GET', `/v1/payment_intents/${created.reference}`);
      expect(sent.params.expand).toEqual(['latest_charge', 'latest_charge.balance_transaction']);
    });

    it('maps a later decline found on the PaymentIntent', async () => {
      const created = await processor.createPayment(paymentRequest());
      mock.update(created.reference, {
        status: 'requires_payment_method',
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'authentication_required', message: 'Authentication required.' },
      });
      await expect(processor.retrievePayment(created.reference)).resolves.toMatchObject({
        status: 'FAILED',
        failure: { code: 'AUTHENTICATION_REQUIRED', declineCode: 'authentication_required' },
      });

      mock.update(created.reference, { status: 'canceled', last_payment_error: null });
      await expect(processor.retrievePayment(created.reference)).resolves.toMatchObject({ status: 'CANCELED', failure: null });
    });

    it('reports an unknown payment as a bad request', async () => {
      const error = await processorError(processor.retrievePayment('pi_missing'));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    });
  });

  describe('refund', () => {
    it('refunds a payment in full with our key', async () => {
      const payment = await processor.createPayment(paymentRequest());
      const idempotencyKey = key();
      const refund = await processor.refund({ idempotencyKey, paymentReference: payment.reference, amount: 1099n, metadata: { transactionId: 'txn_refund' } });

      const sent = lastRequestTo('POST', '/v1/refunds');
      expect(sent.idempotencyKey).toBe(idempotencyKey);
      expect(sent.params).toEqual({ payment_intent: payment.reference, amount: '1099', metadata: { transactionId: 'txn_refund' } });
      expect(refund).toEqual({
        reference: expect.stringMatching(/^re_/),
        paymentReference: payment.reference,
        status: 'SUCCEEDED',
        amount: 1099n,
        currency: 'USD',
        failure: null,
      });
      await expect(processor.retrieveRefund(refund.reference)).resolves.toEqual(refund);
    });

    it('refunds part of a payment, then the rest, then refuses a third refund', async () => {
      const payment = await processor.createPayment(paymentRequest());
      const partial = await processor.refund({ idempotencyKey: key(), paymentReference: payment.reference, amount: 400n, metadata: {} });
      const rest = await processor.refund({ idempotencyKey: key(), paymentReference: payment.reference, amount: 699n, metadata: {} });

      expect([partial.amount, partial.status, rest.amount, rest.status]).toEqual([400n, 'SUCCEEDED', 699n, 'SUCCEEDED']);
      const error = await processorError(processor.refund({ idempotencyKey: key(), paymentReference: payment.reference, amount: 1n, metadata: {} }));
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    });

    it('keeps a bank refund PENDING until Stripe reports, and maps a failed refund', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_usBankAccount_success', mandate: achMandate }));
      mock.update(payment.reference, { status: 'succeeded' });
      const refund = await processor.refund({ idempotencyKey: key(), paymentReference: payment.reference, amount: 1099n, metadata: {} });
      expect(refund.status).toBe('PENDING');

      mock.update(refund.reference, { status: 'failed', failure_reason: 'insufficient_funds' });
      await expect(processor.retrieveRefund(refund.reference)).resolves.toMatchObject({
        status: 'FAILED',
        failure: { code: 'PROCESSING_ERROR', declineCode: 'insufficient_funds' },
      });
    });
  });

  describe('vault', () => {
    const saveRequest = {
      paymentMethod: 'pm_card_visa',
      customerName: 'Acme Florist',
      customerEmail: 'ap@acme.example',
      metadata: { customerId: 'cust_1' },
    };

    it('creates the customer, attaches the card through a SetupIntent, with keys derived from ours', async () => {
      const idempotencyKey = key();
      const saved = await processor.savePaymentMethod({ ...saveRequest, idempotencyKey });

      const customerCall = lastRequestTo('POST', '/v1/customers');
      expect(customerCall.idempotencyKey).toBe(`${idempotencyKey}:customer`);
      expect(customerCall.params).toEqual({ name: 'Acme Florist', email: 'ap@acme.example', metadata: { customerId: 'cust_1' } });

      const setupCall = lastRequestTo('POST', '/v1/setup_intents');
      expect(setupCall.idempotencyKey).toBe(`${idempotencyKey}:setup`);
      expect(setupCall.params).toEqual({
        customer: saved.customerReference,
        payment_method: 'pm_card_visa',
        confirm: 'true',
        usage: 'off_session',
        automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
        metadata: { customerId: 'cust_1' },
        expand: ['payment_method'],
      });

      expect(saved).toEqual({
        customerReference: expect.stringMatching(/^cus_/),
        paymentMethod: { reference: 'pm_card_visa', type: 'card', brand: 'visa', last4: '4242', expMonth: 8, expYear: 2030, funding: 'credit' },
      });
      expect(mock.object('pm_card_visa').customer).toBe(saved.customerReference);
    });

    it('reuses an existing customer, and detaches a saved card', async () => {
      const { customerReference } = await processor.savePaymentMethod({ ...saveRequest, idempotencyKey: key() });
      const customersBefore = mock.requestsTo('POST', '/v1/customers').length;

      const saved = await processor.savePaymentMethod({ ...saveRequest, paymentMethod: 'pm_card_visa_debit', customerReference, idempotencyKey: key() });
      expect(saved).toMatchObject({ customerReference, paymentMethod: { funding: 'debit' } });
      expect(mock.requestsTo('POST', '/v1/customers')).toHaveLength(customersBefore);

      await processor.detachPaymentMethod('pm_card_visa_debit');
      expect(lastRequestTo('POST', '/v1/payment_methods/pm_card_visa_debit/detach')).toBeDefined();
      expect(mock.object('pm_card_visa_debit').customer).toBeNull();
    });

    it('refuses to save a declined card, and to detach an unknown one', async () => {
      const declined = await processorError(
        processor.savePaymentMethod({ ...saveRequest, paymentMethod: 'pm_card_chargeDeclinedExpiredCard', idempotencyKey: key() }),
      );
      expect(declined).toMatchObject({ code: 'CARD_EXPIRED', retryable: false, declineCode: 'expired_card' });

      const unknown = await processorError(processor.detachPaymentMethod('pm_gone'));
      expect(unknown).toMatchObject({ code: 'INVALID_PAYMENT_METHOD', retryable: false });
    });
  });

  describe('terminal', () => {
    it('registers a reader and hands it a card_present payment that stays PROCESSING', async () => {
      const readerKey = key();
      const reader = await processor.registerReader({
        idempotencyKey: readerKey,
        registrationCode: 'simulated-wpe',
        label: 'Front desk',
        locationReference: 'tml_front',
      });
      const registration = lastRequestTo('POST', '/v1/terminal/readers');
      expect(registration.idempotencyKey).toBe(readerKey);
      expect(registration.params).toEqual({ registration_code: 'simulated-wpe', label: 'Front desk', location: 'tml_front' });
      expect(reader).toEqual({ reference: expect.stringMatching(/^tmr_/), label: 'Front desk', status: 'online', deviceType: 'bbpos_wisepos_e' });

      const idempotencyKey = key();
      const payment = await processor.collectOnReader({
        idempotencyKey,
        readerReference: reader.reference,
        amount: 5000n,
        currency: 'USD',
        description: 'Counter sale',
        metadata: { transactionId: 'txn_terminal' },
      });

      const intentCall = lastRequestTo('POST', '/v1/payment_intents');
      expect(intentCall.idempotencyKey).toBe(`${idempotencyKey}:intent`);
      expect(intentCall.params).toEqual({
        amount: '5000',
        currency: 'usd',
        allowed_payment_method_types: ['card_present'],
        capture_method: 'automatic',
        description: 'Counter sale',
        metadata: { transactionId: 'txn_terminal' },
        expand: ['latest_charge', 'latest_charge.balance_transaction'],
      });
      const processCall = lastRequestTo('POST', `/v1/terminal/readers/${reader.reference}/process_payment_intent`);
      expect(processCall.idempotencyKey).toBe(`${idempotencyKey}:reader`);
      expect(processCall.params).toEqual({ payment_intent: payment.reference });

      expect(payment).toMatchObject({ status: 'PROCESSING', amount: 5000n, currency: 'USD', paymentMethod: null, failure: null });
      expect(mock.object(reader.reference).action).toMatchObject({
        type: 'process_payment_intent',
        status: 'in_progress',
        process_payment_intent: { payment_intent: payment.reference },
      });
    });

    it('reports an offline reader as a processing error', async () => {
      const reader = await processor.registerReader({
        idempotencyKey: key(),
        registrationCode: OFFLINE_READER_REGISTRATION_CODE,
        label: 'Back office',
      });
      expect(reader.status).toBe('offline');

      const error = await processorError(
        processor.collectOnReader({ idempotencyKey: key(), readerReference: reader.reference, amount: 100n, currency: 'USD', metadata: {} }),
      );
      expect(error).toMatchObject({ code: 'PROCESSING_ERROR', retryable: false, message: 'The card reader is offline.' });
    });
  });

  describe('payouts', () => {
    it('lists a payout with every payment and refund it carried, across pages, with Stripe\'s fees', async () => {
      const since = new Date(Date.now() - 1000);
      mock.payOut(); // whatever earlier tests left on the balance
      const payments = [];
      for (let i = 0; i < 120; i++) payments.push(await processor.createPayment(paymentRequest({ amount: BigInt(1000 + i) })));
      const refund = await processor.refund({ idempotencyKey: key(), paymentReference: payments[0].reference, amount: 400n, metadata: {} });
      const bankDebit = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_usBankAccount_success', mandate: achMandate }));
      const arrival = new Date('2026-11-24T00:00:00Z');
      const payout = mock.payOut({ arrivalDate: arrival });

      const listed = [];
      for await (const p of processor.listPayouts(since)) listed.push(p);
      expect(listed.find((p) => p.reference === payout.id)).toEqual({
        reference: payout.id,
        status: 'PAID',
        amount: BigInt(payout.amount),
        currency: 'USD',
        arrivalDate: arrival,
        createdAt: new Date(payout.created * 1000),
      });
      expect(await processor.retrievePayout(payout.id)).toMatchObject({ reference: payout.id, status: 'PAID', arrivalDate: arrival });

      const entries = [];
      for await (const entry of processor.listPayoutEntries(payout.id)) entries.push(entry);
      const fee = (amount: number) => BigInt(Math.round(amount * 0.029) + 30);
      expect(entries).toHaveLength(121); // the payout's own line is not a payment; the pending bank debit has no money yet
      expect(entries).toEqual(
        expect.arrayContaining([
          { kind: 'payment', reference: payments[0].reference, amount: 1000n, fee: fee(1000) },
          { kind: 'payment', reference: payments[119].reference, amount: 1119n, fee: fee(1119) },
          { kind: 'refund', reference: refund.reference, amount: 400n, fee: 0n },
        ]),
      );
      expect(entries.some((entry) => entry.reference === bankDebit.reference)).toBe(false);
      const pages = mock.requestsTo('GET', '/v1/balance_transactions');
      expect(pages.length).toBeGreaterThanOrEqual(2);
      expect(pages[0].params).toMatchObject({ payout: payout.id, limit: '100', expand: ['data.source'] });
      expect(pages[1].params.starting_after).toEqual(expect.stringMatching(/^txn_/));
    });

    it('reports a failed payout, names it in the payout that sends its money again, and refuses an unknown one', async () => {
      await processor.createPayment(paymentRequest({ amount: 5000n }));
      const payout = mock.payOut();
      mock.failPayout(payout.id);
      expect((await processor.retrievePayout(payout.id)).status).toBe('FAILED');
      const again = mock.payOut();
      const entries = [];
      for await (const entry of processor.listPayoutEntries(again.id)) entries.push(entry);
      expect(entries).toEqual([{ kind: 'failed_payout', reference: payout.id, amount: BigInt(payout.amount), fee: 0n }]);
      const error = await processorError(processor.retrievePayout('po_unknown'));
      expect(error.retryable).toBe(false);
    });
  });

  describe('parseWebhook', () => {
    const signer = new Stripe('sk_test_signer');

    function signedEvent(type: string, object: Json, timestamp?: number) {
      const id = `evt_${randomUUID().replaceAll('-', '')}`;
      const payload = JSON.stringify(stripeFixture('event', { id, type, created: 1_767_225_600, data: { object } }));
      return { body: Buffer.from(payload), signature: signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp }) };
    }

    const bankDebitDetails = { type: 'us_bank_account', us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789' } };

    it.each([
      ['payment_intent.succeeded', 'payment.updated', 'pi_1', stripeFixture('payment_intent', { id: 'pi_1' })],
      ['payment_intent.payment_failed', 'payment.updated', 'pi_2', stripeFixture('payment_intent', { id: 'pi_2' })],
      ['refund.updated', 'refund.updated', 're_1', stripeFixture('refund', { id: 're_1', payment_intent: 'pi_1' })],
      ['charge.refund.updated', 'refund.updated', 're_2', stripeFixture('refund', { id: 're_2' })],
      ['charge.refunded', 'ignored', null, stripeFixture('charge', { id: 'ch_1', payment_intent: 'pi_1' })],
      ['charge.dispute.created', 'charge.returned', 'pi_3', stripeFixture('dispute', { id: 'dp_1', payment_intent: 'pi_3' })],
      [
        'charge.failed (bank debit)',
        'charge.returned',
        'pi_4',
        stripeFixture('charge', { id: 'ch_2', payment_intent: 'pi_4', status: 'failed', payment_method_details: bankDebitDetails }),
      ],
      ['charge.failed (card)', 'ignored', null, stripeFixture('charge', { id: 'ch_3', payment_intent: 'pi_5', status: 'failed' })],
      ['terminal.reader.action_succeeded', 'reader.updated', 'tmr_1', stripeFixture('terminal.reader', { id: 'tmr_1' })],
      ['terminal.reader.action_failed', 'reader.updated', 'tmr_2', stripeFixture('terminal.reader', { id: 'tmr_2' })],
      ['payout.paid', 'payout.updated', 'po_1', { id: 'po_1', object: 'payout', status: 'paid' }],
      ['payout.failed', 'payout.updated', 'po_2', { id: 'po_2', object: 'payout', status: 'failed' }],
      ['plan.created', 'ignored', null, stripeFixture('event').data.object],
    ])('reduces a signed %s to %s %s', (title, hint, objectReference, object) => {
      const type = title.split(' ')[0];
      const { body, signature } = signedEvent(type, object);
      expect(processor.parseWebhook(body, signature)).toEqual({
        id: JSON.parse(body.toString()).id,
        type: hint,
        objectReference,
        processorType: type,
        createdAt: new Date(1_767_225_600_000),
      });
    });

    it('rejects a forged signature, a missing one and an event older than 5 minutes', () => {
      const { body, signature } = signedEvent('payment_intent.succeeded', stripeFixture('payment_intent'));
      const forged = signer.webhooks.generateTestHeaderString({ payload: body.toString(), secret: 'whsec_attacker' });
      expect(() => processor.parseWebhook(body, forged)).toThrow(WebhookSignatureError);
      expect(() => processor.parseWebhook(Buffer.from(body.toString().replace('pi_', 'px_')), signature)).toThrow(WebhookSignatureError);
      expect(() => processor.parseWebhook(body, undefined)).toThrow(WebhookSignatureError);

      const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
      const stale = signedEvent('payment_intent.succeeded', stripeFixture('payment_intent'), sixMinutesAgo);
      expect(() => processor.parseWebhook(stale.body, stale.signature)).toThrow(WebhookSignatureError);

      const fourMinutesAgo = Math.floor(Date.now() / 1000) - 240;
      const recent = signedEvent('payment_intent.succeeded', stripeFixture('payment_intent'), fourMinutesAgo);
      expect(processor.parseWebhook(recent.body, recent.signature).type).toBe('payment.updated');
    });
  });
});
