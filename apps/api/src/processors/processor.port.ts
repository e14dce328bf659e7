/**
 * The payment processor port: what KometPay needs from a processor, in our own words (our statuses,
 * our error codes). Adapters (stripe/, sandbox/) map their processor's vocabulary onto this; only
 * stripe/ may import `stripe`. Amounts are integer minor units (bigint) everywhere.
 *
 * Contract every adapter keeps:
 * - Every write takes our idempotency key and passes it to the processor, so a retry with the same
 *   key (after a crash or a timeout) returns the original outcome instead of charging again.
 * - A decline is an outcome, not an exception: createPayment resolves with status FAILED and a
 *   `failure`. Exceptions mean "we do not know what happened" (network, timeout, 5xx): the caller
 *   leaves its attempt PENDING for the recovery job. Misuse (unknown token, bad parameters) throws a
 *   ProcessorError with a non-retryable code.
 */

export type ProcessorKind = 'sandbox' | 'stripe';

export type ProcessorPaymentStatus =
  | 'SUCCEEDED'
  | 'PROCESSING' // ACH in flight, or a card-present payment waiting for the reader
  | 'FAILED'
  // Succeeded, then taken back (an ACH return): the payment passed through SUCCEEDED, whether or not
  // we saw it there, so the caller records both steps.
  | 'RETURNED'
  | 'CANCELED'
  | 'REQUIRES_ACTION'; // 3-D Secure or similar: the customer must act (not supported by our flows yet)

export type ProcessorErrorCode =
  | 'PAYMENT_DECLINED'
  | 'INSUFFICIENT_FUNDS'
  | 'CARD_EXPIRED'
  | 'INCORRECT_CVC'
  | 'AUTHENTICATION_REQUIRED'
  | 'INVALID_PAYMENT_METHOD' // token unknown, already consumed, or of the wrong kind
  | 'INVALID_REQUEST' // our parameters were wrong (a bug on our side)
  | 'PROCESSOR_UNAVAILABLE' // network, timeout, 5xx, rate limit: the outcome is unknown; retry with the same key
  | 'PROCESSING_ERROR';

export type CardFunding = 'credit' | 'debit' | 'prepaid' | 'unknown';

export interface PaymentMethodDetails {
  /** The processor's payment-method id (pm_...). */
  reference: string;
  type: 'card' | 'card_present' | 'us_bank_account';
  /** Card brand ('visa', 'mastercard', ...) or the bank's name for ACH. */
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  /** Cards only; ACH is null. */
  funding: CardFunding | null;
}

export interface ProcessorFailure {
  code: ProcessorErrorCode;
  /** A plain-language message a customer may read. */
  message: string;
  /** The processor's own decline code, kept for support (e.g. 'insufficient_funds'). */
  declineCode: string | null;
}

export interface CreatePaymentRequest {
  idempotencyKey: string;
  amount: bigint;
  currency: string; // ISO 4217, upper case
  /** A payment-method token from the tokeniser (pm_...), or a vaulted card's pm id. */
  paymentMethod: string;
  /** The processor customer the payment method is attached to (vaulted cards). */
  customerReference?: string | null;
  description?: string | null;
  /** Our ids (transactionId, merchantId, invoiceIds...), echoed back by the processor. */
  metadata: Record<string, string>;
  /**
   * ACH needs a mandate: the customer accepted the debit online (the pay page, from this address and
   * agent), or offline (the merchant holds the customer's signed authorization: manual entry).
   */
  mandate?: AchMandate | null;
}

export type AchMandate = { type: 'online'; ipAddress: string; userAgent: string } | { type: 'offline' };

export interface ProcessorPayment {
  /** The processor's id for this payment (Stripe: the PaymentIntent id). */
  reference: string;
  status: ProcessorPaymentStatus;
  amount: bigint;
  currency: string;
  authorizationCode: string | null;
  paymentMethod: PaymentMethodDetails | null;
  failure: ProcessorFailure | null;
  /** Set once the processor reports it (Stripe: the balance transaction's fee). */
  fee: bigint | null;
  metadata: Record<string, string>;
}

export interface RefundRequest {
  idempotencyKey: string;
  paymentReference: string;
  amount: bigint;
  metadata: Record<string, string>;
}

export type ProcessorRefundStatus = 'SUCCEEDED' | 'PENDING' | 'FAILED' | 'CANCELED';

export interface ProcessorRefund {
  reference: string;
  paymentReference: string;
  status: ProcessorRefundStatus;
  amount: bigint;
  currency: string;
  failure: ProcessorFailure | null;
}

export interface SavePaymentMethodRequest {
  idempotencyKey: string;
  paymentMethod: string;
  /** Existing processor customer; when absent one is created from name/email. */
  customerReference?: string | null;
  customerName: string;
  customerEmail: string;
  metadata: Record<string, string>;
}

export interface SavedPaymentMethod {
  customerReference: string;
  paymentMethod: PaymentMethodDetails;
}

export interface RegisterReaderRequest {
  idempotencyKey: string;
  registrationCode: string;
  label: string;
  locationReference?: string | null;
}

export interface ProcessorReader {
  reference: string;
  label: string;
  status: 'online' | 'offline';
  deviceType: string;
}

export interface TerminalPaymentRequest {
  idempotencyKey: string;
  readerReference: string;
  amount: bigint;
  currency: string;
  description?: string | null;
  metadata: Record<string, string>;
}

/**
 * Money the processor sent to the bank account (Stripe: a payout). Until a payment's money is in a
 * payout that arrived, the payment is not settled, whatever its status.
 */
export interface ProcessorPayout {
  reference: string;
  status: 'PAID' | 'PENDING' | 'IN_TRANSIT' | 'FAILED' | 'CANCELED';
  amount: bigint;
  currency: string;
  /** When the bank received (or will receive) the money. */
  arrivalDate: Date;
  createdAt: Date;
}

/**
 * One payment or refund whose money a payout moved, with the fee the processor actually took; or a
 * failed payout whose money, back on the balance, this payout sends again.
 */
export interface PayoutEntry {
  kind: 'payment' | 'refund' | 'failed_payout';
  /** The payment's (pi_...), the refund's (re_...) or the failed payout's (po_...) reference. */
  reference: string;
  amount: bigint;
  fee: bigint;
}

/**
 * A webhook, reduced to a hint: which object changed. Handlers re-read the object's state from the
 * processor (retrievePayment / retrieveRefund) rather than trusting the payload, so events can be
 * delivered late, twice or out of order.
 */
export interface ProcessorEvent {
  id: string;
  type:
    | 'payment.updated' // any PaymentIntent change (succeeded, failed, processing, canceled)
    | 'refund.updated'
    | 'charge.returned' // ACH return / dispute after success
    | 'reader.updated'
    | 'payout.updated' // a payout was paid, failed or canceled
    | 'ignored';
  /** The payment (pi_...), refund (re_...), reader (tmr_...) or payout (po_...) the event is about. */
  objectReference: string | null;
  /** The processor's original event type, for logs. */
  processorType: string;
  createdAt: Date;
}

export class ProcessorError extends Error {
  constructor(
    readonly code: ProcessorErrorCode,
    message: string,
    /** True when the outcome is unknown and the same request may be retried with the same key. */
    readonly retryable: boolean,
    readonly declineCode: string | null = null,
  ) {
    super(message);
    this.name = 'ProcessorError';
  }
}

/** Raised by parseWebhook for a bad signature or an event outside the 5-minute tolerance. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

export interface PaymentProcessor {
  readonly kind: ProcessorKind;

  /** Facts about a token before we charge or save it (funding decides CREDIT vs DEBIT). */
  describePaymentMethod(paymentMethod: string): Promise<PaymentMethodDetails>;

  /** Creates and confirms a payment in one call (automatic capture). */
  createPayment(request: CreatePaymentRequest): Promise<ProcessorPayment>;

  /** The payment's current state, for recovery and for webhooks. */
  retrievePayment(reference: string): Promise<ProcessorPayment>;

  /** Full or partial refund of a succeeded payment. */
  refund(request: RefundRequest): Promise<ProcessorRefund>;
  retrieveRefund(reference: string): Promise<ProcessorRefund>;

  /** Vault: attaches a payment method to a processor customer (creating the customer if needed). */
  savePaymentMethod(request: SavePaymentMethodRequest): Promise<SavedPaymentMethod>;
  /** Vault delete: after this the payment method can no longer be charged. */
  detachPaymentMethod(paymentMethod: string): Promise<void>;

  /** Card-present: registers a reader and drives a payment on it (server-driven). */
  registerReader(request: RegisterReaderRequest): Promise<ProcessorReader>;
  collectOnReader(request: TerminalPaymentRequest): Promise<ProcessorPayment>;

  /** Settlement: the payouts created since a moment (any order), one payout, and what one payout carried. */
  listPayouts(since: Date): AsyncIterable<ProcessorPayout>;
  retrievePayout(reference: string): Promise<ProcessorPayout>;
  listPayoutEntries(payoutReference: string): AsyncIterable<PayoutEntry>;

  /** Verifies the signature (5-minute tolerance) on the raw body and reduces the event to a hint. */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent;
}
