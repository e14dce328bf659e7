import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import {
  type Json,
  OFFLINE_READER_REGISTRATION_CODE,
  StripeMock,
  stripeFixture,
} from '../../../../../../tests/support/stripe/stripe-mock-server.js';
import { type CreatePaymentRequest, ProcessorError, WebhookSignatureError } from '../../processor.port.js';
import { verificationMismatch } from '../stripe.mapping.js';
import { StripeProcessor } from '../stripe.processor.js';

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
    initiatedBy: 'customer',
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
        paymentMethod: {
          reference: 'pm_card_visa',
          type: 'card',
          brand: 'visa',
          last4: '4242',
          expMonth: 8,
          expYear: 2030,
          funding: 'credit',
        },
        failure: null,
        nextAction: null,
        fee: BigInt(transaction.fee),
        metadata: { transactionId: 'txn_1', merchantId: 'mer_1' },
      });
      expect(payment.authorizationCode).toMatch(/^\d{6}$/);
    });

    it('charges a vaulted card with its customer', async () => {
      await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_visa_debit', customerReference: 'cus_vaulted' }));
      expect(lastRequestTo('POST', '/v1/payment_intents').params).toMatchObject({
        customer: 'cus_vaulted',
        payment_method: 'pm_card_visa_debit',
      });
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

    it('maps a payment that needs 3-D Secure to REQUIRES_ACTION, with what Stripe.js needs to run it', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_authenticationRequired' }));
      const intent = mock.object(payment.reference);
      expect(payment).toMatchObject({
        status: 'REQUIRES_ACTION',
        failure: null,
        nextAction: { type: 'AUTHENTICATE', url: null, clientSecret: intent.client_secret },
      });
      expect(lastRequestTo('POST', '/v1/payment_intents').params).not.toHaveProperty('off_session');

      mock.completeAction(payment.reference, 'pass');
      await expect(processor.retrievePayment(payment.reference)).resolves.toMatchObject({ status: 'SUCCEEDED', nextAction: null });
    });

    it('fails a payment whose 3-D Secure the customer did not pass as AUTHENTICATION_REQUIRED', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_authenticationRequired' }));
      mock.completeAction(payment.reference, 'fail');
      await expect(processor.retrievePayment(payment.reference)).resolves.toMatchObject({
        status: 'FAILED',
        failure: {
          code: 'AUTHENTICATION_REQUIRED',
          declineCode: 'payment_intent_authentication_failure',
          message: 'The card could not be authenticated. You have not been charged.',
        },
      });
    });

    it('marks a payment staff key in as MOTO, which no issuer challenges', async () => {
      const payment = await processor.createPayment(
        paymentRequest({ paymentMethod: 'pm_card_authenticationRequired', initiatedBy: 'merchant' }),
      );
      expect(lastRequestTo('POST', '/v1/payment_intents').params.payment_method_options).toEqual({ card: { moto: 'true' } });
      expect(payment.status).toBe('SUCCEEDED');
    });

    it('charges a saved card off session; an issuer that insists on authentication declines it', async () => {
      const payment = await processor.createPayment(
        paymentRequest({ paymentMethod: 'pm_card_authenticationRequired', initiatedBy: 'off_session' }),
      );
      expect(lastRequestTo('POST', '/v1/payment_intents').params.off_session).toBe('true');
      expect(payment).toMatchObject({
        status: 'FAILED',
        failure: { code: 'AUTHENTICATION_REQUIRED', declineCode: 'authentication_required' },
      });
    });

    it('cancels a payment awaiting the customer, with a key of its own; one that moved on answers its state', async () => {
      const waiting = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_authenticationRequired' }));
      const canceled = await processor.cancelPayment(waiting.reference);
      expect(canceled).toMatchObject({ reference: waiting.reference, status: 'CANCELED', nextAction: null });
      expect(lastRequestTo('POST', `/v1/payment_intents/${waiting.reference}/cancel`).idempotencyKey).toBe(`cancel_${waiting.reference}`);

      const completed = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_authenticationRequired' }));
      mock.completeAction(completed.reference, 'pass');
      await expect(processor.cancelPayment(completed.reference)).resolves.toMatchObject({ status: 'SUCCEEDED' });
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
      await expect(processor.retrievePayment(ach.reference)).resolves.toMatchObject({
        status: 'RETURNED',
        failure: { code: 'PAYMENT_DECLINED' },
      });

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

  describe('verifyMicrodeposits', () => {
    const waitingDebit = () =>
      processor.createPayment(paymentRequest({ paymentMethod: 'pm_usBankAccount_microdeposits', mandate: achMandate }));

    it('maps verify_with_microdeposits to VERIFY_MICRODEPOSITS with its type and hosted page', async () => {
      const payment = await waitingDebit();
      const intent = mock.object(payment.reference);
      expect(payment).toMatchObject({
        status: 'REQUIRES_ACTION',
        nextAction: {
          type: 'VERIFY_MICRODEPOSITS',
          url: intent.next_action.verify_with_microdeposits.hosted_verification_url,
          clientSecret: intent.client_secret,
          microdepositType: 'DESCRIPTOR_CODE',
        },
      });
    });

    it('answers a wrong code as a mismatch with the attempts Stripe says are left, then verifies the right one: PROCESSING', async () => {
      const payment = await waitingDebit();
      await expect(processor.verifyMicrodeposits(payment.reference, { descriptorCode: 'SM99ZZ' })).resolves.toMatchObject({
        payment: { status: 'REQUIRES_ACTION' },
        mismatch: { attemptsRemaining: 9 },
      });
      await expect(processor.verifyMicrodeposits(payment.reference, { descriptorCode: 'SM11AA' })).resolves.toMatchObject({
        payment: { status: 'PROCESSING', nextAction: null, paymentMethod: { type: 'us_bank_account' } },
        mismatch: null,
      });
      expect(lastRequestTo('POST', `/v1/payment_intents/${payment.reference}/verify_microdeposits`).params).toMatchObject({
        descriptor_code: 'SM11AA',
      });
      // Verified already: Stripe refuses, and the PaymentIntent's state says how it stands.
      await expect(processor.verifyMicrodeposits(payment.reference, { descriptorCode: 'SM11AA' })).resolves.toMatchObject({
        payment: { status: 'PROCESSING' },
        mismatch: null,
      });
    });

    it('fails the payment once Stripe stops taking answers: BANK_ACCOUNT_UNVERIFIED', async () => {
      const payment = await waitingDebit();
      await expect(processor.verifyMicrodeposits(payment.reference, { descriptorCode: 'SM33CC' })).resolves.toMatchObject({
        payment: {
          status: 'FAILED',
          failure: { code: 'BANK_ACCOUNT_UNVERIFIED', declineCode: 'payment_method_microdeposit_verification_attempts_exceeded' },
        },
        mismatch: null,
      });
    });

    it('reads the attempts left only from the wording Stripe uses, and none when it says otherwise', () => {
      const mismatch = (message: string) =>
        verificationMismatch(
          new Stripe.errors.StripeInvalidRequestError({ code: 'payment_method_microdeposit_verification_amounts_mismatch', message }),
        );
      expect(mismatch('… You have 3 verification attempts remaining.')).toEqual({ attemptsRemaining: 3 });
      expect(mismatch('… You have 1 verification attempt remaining.')).toEqual({ attemptsRemaining: 1 });
      expect(mismatch('The amounts do not match.')).toEqual({ attemptsRemaining: null });
      expect(verificationMismatch(new Stripe.errors.StripeInvalidRequestError({ code: 'resource_missing', message: 'No such' }))).toBe(
        'not_a_mismatch',
      );
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
        last_payment_error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'authentication_required',
          message: 'Authentication required.',
        },
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
      const refund = await processor.refund({
        idempotencyKey,
        paymentReference: payment.reference,
        amount: 1099n,
        metadata: { transactionId: 'txn_refund' },
      });

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
      const error = await processorError(
        processor.refund({ idempotencyKey: key(), paymentReference: payment.reference, amount: 1n, metadata: {} }),
      );
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
        paymentMethod: {
          reference: 'pm_card_visa',
          type: 'card',
          brand: 'visa',
          last4: '4242',
          expMonth: 8,
          expYear: 2030,
          funding: 'credit',
        },
      });
      expect(mock.object('pm_card_visa').customer).toBe(saved.customerReference);
    });

    it('reuses an existing customer, and detaches a saved card', async () => {
      const { customerReference } = await processor.savePaymentMethod({ ...saveRequest, idempotencyKey: key() });
      const customersBefore = mock.requestsTo('POST', '/v1/customers').length;

      const saved = await processor.savePaymentMethod({
        ...saveRequest,
        paymentMethod: 'pm_card_visa_debit',
        customerReference,
        idempotencyKey: key(),
      });
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
      expect(reader).toEqual({
        reference: expect.stringMatching(/^tmr_/),
        label: 'Front desk',
        status: 'online',
        deviceType: 'bbpos_wisepos_e',
      });

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
        processor.collectOnReader({
          idempotencyKey: key(),
          readerReference: reader.reference,
          amount: 100n,
          currency: 'USD',
          metadata: {},
        }),
      );
      expect(error).toMatchObject({ code: 'PROCESSING_ERROR', retryable: false, message: 'The card reader is offline.' });
    });
  });

  describe('payouts', () => {
    it("lists a payout with every payment and refund it carried, across pages, with Stripe's fees", async () => {
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

  describe('disputes', () => {
    it('reads a dispute in our words: status, amount, the withdrawal fee, the evidence due date', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_createDispute', amount: 5000n }));
      expect(payment.status).toBe('SUCCEEDED');
      const { id } = mock.disputeOf(payment.reference);
      const dispute = await processor.retrieveDispute(id);
      expect(dispute).toMatchObject({
        reference: id,
        paymentReference: payment.reference,
        status: 'NEEDS_RESPONSE',
        amount: 5000n,
        currency: 'USD',
        fee: 1500n,
        reason: 'fraudulent',
      });
      expect(dispute.evidenceDueBy!.getTime()).toBeGreaterThan(Date.now());
      mock.closeDispute(id, 'won');
      expect(await processor.retrieveDispute(id)).toMatchObject({ status: 'WON', evidenceDueBy: null });
    });

    it.each([
      ['warning_needs_response', 'NEEDS_RESPONSE'],
      ['warning_under_review', 'UNDER_REVIEW'],
      ['warning_closed', 'WON'],
      ['prevented', 'WON'],
      ['appeal_needs_response', 'NEEDS_RESPONSE'],
      ['lost', 'LOST'],
    ])('maps Stripe status %s to %s', async (stripeStatus, ours) => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_createDispute' }));
      const { id } = mock.disputeOf(payment.reference);
      mock.update(id, { status: stripeStatus });
      expect((await processor.retrieveDispute(id)).status).toBe(ours);
    });

    it('sends evidence in Stripe fields: file ids as they are, text with the explanation; submit or stage', async () => {
      const payment = await processor.createPayment(paymentRequest({ paymentMethod: 'pm_card_createDispute' }));
      const { id } = mock.disputeOf(payment.reference);
      const staged = await processor.submitDisputeEvidence(id, {
        explanation: 'Signed for.',
        customerCommunication: 'file_1Emails',
        receipt: 'Receipt R-1',
        submit: false,
      });
      expect(staged.status).toBe('NEEDS_RESPONSE');
      expect(lastRequestTo('POST', `/v1/disputes/${id}`).params).toEqual({
        evidence: { uncategorized_text: 'Signed for.\n\nReceipt:\nReceipt R-1', customer_communication: 'file_1Emails' },
        submit: 'false',
      });
      const submitted = await processor.submitDisputeEvidence(id, {
        explanation: 'Signed for.',
        customerCommunication: null,
        receipt: null,
        submit: true,
      });
      expect(submitted.status).toBe('UNDER_REVIEW');
      const refused = await processorError(
        processor.submitDisputeEvidence(id, { explanation: 'Again.', customerCommunication: null, receipt: null, submit: true }),
      );
      expect(refused.retryable).toBe(false);
    });
  });

  describe('parseWebhook', () => {
    const signer = new Stripe('sk_test_signer');

    function signedEvent(type: string, object: Json, timestamp?: number) {
      const id = `evt_${randomUUID().replaceAll('-', '')}`;
      const payload = JSON.stringify(stripeFixture('event', { id, type, created: 1_767_225_600, data: { object } }));
      return {
        body: Buffer.from(payload),
        signature: signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp }),
      };
    }

    const bankDebitDetails = { type: 'us_bank_account', us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789' } };

    it.each([
      'charge.dispute.created',
      'charge.dispute.updated',
      'charge.dispute.closed',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.funds_reinstated',
    ])('reduces a signed %s to the dispute, naming its payment (re-read too: a disputed bank debit is a return)', (type) => {
      const { body, signature } = signedEvent(type, stripeFixture('dispute', { id: 'dp_1', payment_intent: 'pi_3' }));
      expect(processor.parseWebhook(body, signature)).toEqual({
        id: JSON.parse(body.toString()).id,
        type: 'dispute.updated',
        objectReference: 'dp_1',
        paymentReference: 'pi_3',
        processorType: type,
        createdAt: new Date(1_767_225_600_000),
        account: null,
      });
    });

    it.each([
      ['payment_intent.succeeded', 'payment.updated', 'pi_1', stripeFixture('payment_intent', { id: 'pi_1' })],
      ['payment_intent.payment_failed', 'payment.updated', 'pi_2', stripeFixture('payment_intent', { id: 'pi_2' })],
      ['refund.updated', 'refund.updated', 're_1', stripeFixture('refund', { id: 're_1', payment_intent: 'pi_1' })],
      ['charge.refund.updated', 'refund.updated', 're_2', stripeFixture('refund', { id: 're_2' })],
      ['charge.refunded', 'ignored', null, stripeFixture('charge', { id: 'ch_1', payment_intent: 'pi_1' })],
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
        // The platform's own endpoint: no connected account.
        account: null,
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
