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
  | 'REQUIRES_ACTION'; // the customer must act (3-D Secure, ACH micro-deposits): see `nextAction`

export type ProcessorErrorCode =
  | 'PAYMENT_DECLINED'
  | 'INSUFFICIENT_FUNDS'
  | 'CARD_EXPIRED'
  | 'INCORRECT_CVC'
  | 'AUTHENTICATION_REQUIRED'
  | 'INVALID_PAYMENT_METHOD' // token unknown, already consumed, or of the wrong kind
  | 'INVALID_REQUEST' // our parameters were wrong (a bug on our side)
  | 'PROCESSOR_UNAVAILABLE' // network, timeout, 5xx, rate limit: the outcome is unknown; retry with the same key
  | 'PROCESSING_ERROR'
  // A bank account that needed micro-deposits and was not verified (too many wrong answers, or too late).
  | 'BANK_ACCOUNT_UNVERIFIED';

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
  /**
   * Who starts the payment, which decides whether the issuer may ask for the customer's
   * authentication (SCA): the customer on the pay page (3-D Secure may follow), staff keying a card
   * the customer gave by mail or phone (MOTO, outside SCA), or a saved card charged while the
   * customer is away (off session: an issuer that insists declines it).
   */
  initiatedBy: 'customer' | 'merchant' | 'off_session';
  /** The platform's fee, taken from the charge on the merchant's account (Stripe: application_fee_amount). */
  applicationFee?: bigint | null;
}

export type AchMandate = { type: 'online'; ipAddress: string; userAgent: string } | { type: 'offline' };

/** What the customer must do before a REQUIRES_ACTION payment can go on. */
export interface NextAction {
  type: 'AUTHENTICATE' | 'VERIFY_MICRODEPOSITS';
  /** A page the customer goes to (the sandbox's challenge, Stripe's hosted verification). */
  url: string | null;
  /** For Stripe.js (handleNextAction) in the customer's browser. */
  clientSecret: string | null;
  /**
   * VERIFY_MICRODEPOSITS: what the customer will find on their statement, two small deposits whose
   * amounts they enter (AMOUNTS), or one deposit whose description holds a 6-character code starting with SM.
   */
  microdepositType?: 'AMOUNTS' | 'DESCRIPTOR_CODE' | null;
}

/** The customer's answer to a micro-deposit verification: the two amounts (minor units) or the descriptor code. */
export type MicrodepositAnswer = { amounts: [bigint, bigint] } | { descriptorCode: string };

export interface MicrodepositVerification {
  /** The payment after the answer: PROCESSING once verified, FAILED after too many wrong answers, or still REQUIRES_ACTION. */
  payment: ProcessorPayment;
  /** Set when the answer was wrong and the payment still waits: the tries the processor still allows (null when it does not say). */
  mismatch: { attemptsRemaining: number | null } | null;
}

export interface ProcessorPayment {
  /** The processor's id for this payment (Stripe: the PaymentIntent id). */
  reference: string;
  status: ProcessorPaymentStatus;
  /** Set when the status is REQUIRES_ACTION. */
  nextAction: NextAction | null;
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
  /** As in CreatePaymentRequest. */
  applicationFee?: bigint | null;
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

/** A dispute's status in the processor's life cycle, in our words (Stripe's inquiries map onto the same four). */
export type ProcessorDisputeStatus = 'NEEDS_RESPONSE' | 'UNDER_REVIEW' | 'WON' | 'LOST';

/**
 * A cardholder's dispute (chargeback) of a payment, as the processor holds it now. The processor
 * takes the disputed amount (and its fee) from the balance when the dispute opens, and gives the
 * amount back if the dispute is won.
 */
export interface ProcessorDispute {
  /** du_... (Stripe and the sandbox). */
  reference: string;
  /** The disputed payment (Stripe: the PaymentIntent id). */
  paymentReference: string;
  status: ProcessorDisputeStatus;
  amount: bigint;
  currency: string;
  /** What the processor charged for the dispute (Stripe: the fees of its balance transactions). */
  fee: bigint;
  /** The card network's reason, as the processor names it ('fraudulent', 'product_not_received', ...). */
  reason: string;
  /** Until when evidence is taken; null once it is no longer (or never was) asked for. */
  evidenceDueBy: Date | null;
  /** When the processor recorded the dispute. */
  createdAt: Date;
}

/** Text evidence for a dispute, in Stripe's evidence fields (uncategorized_text, customer_communication, receipt). */
export interface DisputeEvidence {
  explanation: string;
  customerCommunication: string | null;
  receipt: string | null;
  /** True: sent to the card network now (no more changes); false: kept at the processor as a draft. */
  submit: boolean;
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
    | 'account.updated' // a connected account's state changed (onboarding, restrictions)
    | 'dispute.updated' // a dispute opened, changed, closed, or had its funds withdrawn or reinstated
    | 'ignored';
  /** The payment (pi_...), refund (re_...), reader (tmr_...), payout (po_...) or dispute (du_...) the event is about. */
  objectReference: string | null;
  /** For a dispute: the disputed payment (pi_...), re-read too (a disputed bank debit is a return). */
  paymentReference?: string | null;
  /** The processor's original event type, for logs. */
  processorType: string;
  /** The connected account the event is about (Stripe Connect's `account`); null: the platform's own. */
  account?: string | null;
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

  /**
   * Cancels a payment that has captured nothing (one waiting for the customer's action): after
   * this it can never capture. Answers its state then, which is SUCCEEDED (or PROCESSING) when the
   * customer completed the action first.
   */
  cancelPayment(reference: string): Promise<ProcessorPayment>;

  /**
   * A bank debit waiting for micro-deposit verification (nextAction VERIFY_MICRODEPOSITS): checks the
   * customer's answer. A wrong answer is an outcome (`mismatch`), not an exception.
   */
  verifyMicrodeposits(reference: string, answer: MicrodepositAnswer): Promise<MicrodepositVerification>;

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

  /** Disputes: the dispute as the processor holds it now (webhooks are only hints). */
  retrieveDispute(reference: string): Promise<ProcessorDispute>;
  /** Sends text evidence for a dispute (submitted now, or kept as a draft); answers the dispute after it. */
  submitDisputeEvidence(reference: string, evidence: DisputeEvidence): Promise<ProcessorDispute>;

  /** Verifies the signature (5-minute tolerance) on the raw body and reduces the event to a hint. */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent;
}
