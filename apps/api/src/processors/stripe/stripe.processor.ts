/**
 * The PaymentProcessor port on Stripe, through the official SDK. Every write passes our idempotency
 * key (or a key derived from it when one operation makes several writes), so a retry after a crash
 * or a timeout replays Stripe's original answer instead of charging twice.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import {
  type CreatePaymentRequest,
  type DisputeEvidence,
  type MicrodepositAnswer,
  type MicrodepositVerification,
  type PaymentMethodDetails,
  type PaymentProcessor,
  type PayoutEntry,
  type ProcessorDispute,
  ProcessorError,
  type ProcessorEvent,
  type ProcessorPayment,
  type ProcessorPayout,
  type ProcessorReader,
  type ProcessorRefund,
  type RefundRequest,
  type RegisterReaderRequest,
  type SavedPaymentMethod,
  type SavePaymentMethodRequest,
  type TerminalPaymentRequest,
  WebhookSignatureError,
} from '../processor.port.js';
import {
  eventHint,
  expanded,
  supportedPaymentMethod,
  toDispute,
  toPayment,
  toPayout,
  toPayoutEntry,
  toProcessorError,
  toReader,
  toRefund,
  toStripeAmount,
  toStripeEvidence,
  verificationMismatch,
} from './stripe.mapping.js';

export interface StripeProcessorOptions {
  secretKey: string;
  webhookSecret: string;
  /** Where the API is reached; api.stripe.com over https unless set (tests point it at a local server). */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Per attempt; the SDK retries twice on network errors, 409 and 5xx with the same key. */
  timeoutMs: number;
}

const WEBHOOK_TOLERANCE_SECONDS = 300;
/** The charge gives the authorization code and payment-method facts; its balance transaction the fee. */
const PAYMENT_EXPAND = ['latest_charge', 'latest_charge.balance_transaction'];

async function callStripe<T>(request: () => Promise<T>, subject?: 'payment_method'): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw toProcessorError(error, subject);
  }
}

export function stripeClient(options: Omit<StripeProcessorOptions, 'webhookSecret'>): Stripe {
  return new Stripe(options.secretKey, {
    host: options.host,
    port: options.port,
    protocol: options.protocol,
    maxNetworkRetries: 2,
    timeout: options.timeoutMs,
  });
}

/**
 * Stripe for one account: a merchant's connected account (direct charges: every request carries
 * `Stripe-Account`), or, with no account, the platform's own (its webhooks, older payments).
 */
export class StripeProcessor implements PaymentProcessor {
  readonly kind = 'stripe' as const;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(
    options: StripeProcessorOptions | { client: Stripe; webhookSecret: string },
    private readonly account: string | null = null,
  ) {
    this.stripe = 'client' in options ? options.client : stripeClient(options);
    this.webhookSecret = options.webhookSecret;
  }

  /** The request options of every call: the account it is made for, and the write's key. */
  private on(idempotencyKey?: string): Stripe.RequestOptions {
    return { ...(this.account && { stripeAccount: this.account }), ...(idempotencyKey && { idempotencyKey }) };
  }

  async describePaymentMethod(paymentMethod: string): Promise<PaymentMethodDetails> {
    const method = await callStripe(() => this.stripe.paymentMethods.retrieve(paymentMethod, {}, this.on()), 'payment_method');
    return supportedPaymentMethod(method);
  }

  async createPayment(request: CreatePaymentRequest): Promise<ProcessorPayment> {
    const params: Stripe.PaymentIntentCreateParams = {
      amount: toStripeAmount(request.amount),
      currency: request.currency.toLowerCase(),
      payment_method: request.paymentMethod,
      customer: request.customerReference ?? undefined,
      confirm: true,
      description: request.description ?? undefined,
      metadata: request.metadata,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      ...(request.initiatedBy === 'merchant' && { payment_method_options: { card: { moto: true } } }),
      ...(request.initiatedBy === 'off_session' && { off_session: true }),
      ...(request.applicationFee && this.account && { application_fee_amount: toStripeAmount(request.applicationFee) }),
      mandate_data: request.mandate
        ? {
            customer_acceptance:
              request.mandate.type === 'online'
                ? { type: 'online', online: { ip_address: request.mandate.ipAddress, user_agent: request.mandate.userAgent } }
                : { type: 'offline' },
          }
        : undefined,
      expand: PAYMENT_EXPAND,
    };
    try {
      return toPayment(await this.stripe.paymentIntents.create(params, this.on(request.idempotencyKey)));
    } catch (error) {
      // A decline is an outcome: Stripe answers 402 with the failed PaymentIntent attached.
      if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) return toPayment(error.payment_intent);
      throw toProcessorError(error);
    }
  }

  async retrievePayment(reference: string): Promise<ProcessorPayment> {
    return toPayment(await callStripe(() => this.stripe.paymentIntents.retrieve(reference, { expand: PAYMENT_EXPAND }, this.on())));
  }

  async cancelPayment(reference: string): Promise<ProcessorPayment> {
    try {
      return toPayment(await this.stripe.paymentIntents.cancel(reference, { expand: PAYMENT_EXPAND }, this.on(`cancel_${reference}`)));
    } catch (error) {
      // Stripe refuses to cancel a PaymentIntent that has moved on (the customer completed the action first): its state says how.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_intent_unexpected_state')
        return this.retrievePayment(reference);
      throw toProcessorError(error);
    }
  }

  /**
   * PaymentIntents' verify_microdeposits. Stripe answers a wrong answer with an error (amounts or
   * descriptor code mismatch): an outcome here, with the attempts Stripe says are left. Once the
   * attempts are used up, or the PaymentIntent moved on, its state says how it ended.
   */
  async verifyMicrodeposits(reference: string, answer: MicrodepositAnswer): Promise<MicrodepositVerification> {
    const params: Stripe.PaymentIntentVerifyMicrodepositsParams =
      'amounts' in answer ? { amounts: answer.amounts.map(toStripeAmount) } : { descriptor_code: answer.descriptorCode };
    try {
      // A key of its own per answer: the SDK's retries after a network error do not count twice.
      const intent = await this.stripe.paymentIntents.verifyMicrodeposits(
        reference,
        { ...params, expand: PAYMENT_EXPAND },
        this.on(`verify_${reference}_${randomUUID()}`),
      );
      return { payment: toPayment(intent), mismatch: null };
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw toProcessorError(error);
      const mismatch = verificationMismatch(error);
      if (mismatch === 'not_a_mismatch') throw toProcessorError(error);
      return { payment: await this.retrievePayment(reference), mismatch };
    }
  }

  async refund(request: RefundRequest): Promise<ProcessorRefund> {
    const params: Stripe.RefundCreateParams = {
      payment_intent: request.paymentReference,
      amount: toStripeAmount(request.amount),
      metadata: request.metadata,
    };
    return toRefund(await callStripe(() => this.stripe.refunds.create(params, this.on(request.idempotencyKey))));
  }

  async retrieveRefund(reference: string): Promise<ProcessorRefund> {
    return toRefund(await callStripe(() => this.stripe.refunds.retrieve(reference, {}, this.on())));
  }

  async savePaymentMethod(request: SavePaymentMethodRequest): Promise<SavedPaymentMethod> {
    const customerReference = request.customerReference ?? (await this.createCustomer(request));
    const setup = await callStripe(() =>
      this.stripe.setupIntents.create(
        {
          customer: customerReference,
          payment_method: request.paymentMethod,
          confirm: true,
          usage: 'off_session',
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: request.metadata,
          expand: ['payment_method'],
        },
        this.on(`${request.idempotencyKey}:setup`),
      ),
    );
    if (setup.status !== 'succeeded') {
      const code = setup.status === 'requires_action' ? 'AUTHENTICATION_REQUIRED' : 'PROCESSING_ERROR';
      throw new ProcessorError(code, `The card could not be saved (SetupIntent ${setup.status})`, false);
    }
    return {
      customerReference,
      paymentMethod: supportedPaymentMethod(expanded(setup.payment_method, 'SetupIntent.payment_method')),
    };
  }

  private async createCustomer(request: SavePaymentMethodRequest): Promise<string> {
    const customer = await callStripe(() =>
      this.stripe.customers.create(
        { name: request.customerName, email: request.customerEmail, metadata: request.metadata },
        this.on(`${request.idempotencyKey}:customer`),
      ),
    );
    return customer.id;
  }

  async detachPaymentMethod(paymentMethod: string): Promise<void> {
    await callStripe(() => this.stripe.paymentMethods.detach(paymentMethod, {}, this.on()), 'payment_method');
  }

  async registerReader(request: RegisterReaderRequest): Promise<ProcessorReader> {
    const reader = await callStripe(() =>
      this.stripe.terminal.readers.create(
        {
          registration_code: request.registrationCode,
          label: request.label,
          location: request.locationReference ?? undefined,
        },
        this.on(request.idempotencyKey),
      ),
    );
    return toReader(reader);
  }

  /**
   * Server-driven Terminal: a card_present PaymentIntent (stripe 23 names the allowed types
   * `allowed_payment_method_types`), handed to the reader. The payment stays PROCESSING until the
   * reader reports; the outcome comes back through the webhook and retrievePayment.
   */
  async collectOnReader(request: TerminalPaymentRequest): Promise<ProcessorPayment> {
    const intent = await callStripe(() =>
      this.stripe.paymentIntents.create(
        {
          amount: toStripeAmount(request.amount),
          currency: request.currency.toLowerCase(),
          allowed_payment_method_types: ['card_present'],
          capture_method: 'automatic',
          description: request.description ?? undefined,
          metadata: request.metadata,
          expand: PAYMENT_EXPAND,
          ...(request.applicationFee && this.account && { application_fee_amount: toStripeAmount(request.applicationFee) }),
        },
        this.on(`${request.idempotencyKey}:intent`),
      ),
    );
    await callStripe(() =>
      this.stripe.terminal.readers.processPaymentIntent(
        request.readerReference,
        { payment_intent: intent.id },
        this.on(`${request.idempotencyKey}:reader`),
      ),
    );
    return toPayment(intent);
  }

  async *listPayouts(since: Date): AsyncIterable<ProcessorPayout> {
    const payouts = this.stripe.payouts.list({ created: { gte: Math.floor(since.getTime() / 1000) }, limit: 100 }, this.on());
    try {
      for await (const payout of payouts) yield toPayout(payout);
    } catch (error) {
      throw toProcessorError(error);
    }
  }

  async retrievePayout(reference: string): Promise<ProcessorPayout> {
    return toPayout(await callStripe(() => this.stripe.payouts.retrieve(reference, {}, this.on())));
  }

  /** The balance transactions of an automatic payout, with their sources to name our payments and refunds. */
  async *listPayoutEntries(payoutReference: string): AsyncIterable<PayoutEntry> {
    const transactions = this.stripe.balanceTransactions.list({ payout: payoutReference, expand: ['data.source'], limit: 100 }, this.on());
    try {
      for await (const transaction of transactions) {
        const entry = toPayoutEntry(transaction);
        if (entry) yield entry;
      }
    } catch (error) {
      throw toProcessorError(error);
    }
  }

  async retrieveDispute(reference: string): Promise<ProcessorDispute> {
    return toDispute(await callStripe(() => this.stripe.disputes.retrieve(reference, {}, this.on())));
  }

  /** Stripe stages evidence (`submit: false`) or sends it to the bank; either way the dispute answers as it is then. */
  async submitDisputeEvidence(reference: string, evidence: DisputeEvidence): Promise<ProcessorDispute> {
    return toDispute(
      await callStripe(() =>
        this.stripe.disputes.update(reference, { evidence: toStripeEvidence(evidence), submit: evidence.submit }, this.on()),
      ),
    );
  }

  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent {
    return verifiedEvent(this.stripe, rawBody, signatureHeader, this.webhookSecret);
  }
}

/** An event whose signature the SDK verified with `secret` (within Stripe's 5-minute tolerance), as the app reads it. */
export function verifiedEvent(stripe: Stripe, rawBody: Buffer, signatureHeader: string | undefined, secret: string): ProcessorEvent {
  if (!signatureHeader) throw new WebhookSignatureError('The Stripe-Signature header is missing');
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw new WebhookSignatureError(error.message);
    throw error;
  }
  return {
    id: event.id,
    ...eventHint(event),
    processorType: event.type,
    createdAt: new Date(event.created * 1000),
    account: event.account ?? null,
  };
}
