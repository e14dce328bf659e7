/**
 * Stripe's vocabulary -> the port's. Pure functions: every Stripe object or error that crosses the
 * adapter boundary goes through here.
 */
import Stripe from 'stripe';
import {
  type CardFunding,
  type DisputeEvidence,
  type NextAction,
  type PaymentMethodDetails,
  type PayoutEntry,
  type ProcessorDispute,
  type ProcessorDisputeStatus,
  ProcessorError,
  type ProcessorErrorCode,
  type ProcessorEvent,
  type ProcessorFailure,
  type ProcessorPayment,
  type ProcessorPaymentStatus,
  type ProcessorPayout,
  type ProcessorReader,
  type ProcessorRefund,
  type ProcessorRefundStatus,
} from '../processor.port.js';

/** Stripe takes amounts as JSON numbers: anything past 2^53 would silently lose precision. */
export function toStripeAmount(amount: bigint): number {
  if (amount < 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProcessorError('INVALID_REQUEST', `Amount ${amount} is outside the range Stripe accepts`, false);
  }
  return Number(amount);
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value == null) return null;
  return typeof value === 'string' ? value : value.id;
}

/** An expandable field we asked Stripe to expand: anything else means Stripe answered unexpectedly. */
export function expanded<T>(value: string | T | null, field: string): T {
  if (value === null || typeof value === 'string') {
    throw new ProcessorError('PROCESSING_ERROR', `Stripe did not expand ${field}`, false);
  }
  return value;
}

// --- payment methods ---

interface CardFacts {
  brand: string | null;
  last4: string | null;
  exp_month: number;
  exp_year: number;
  funding: string | null;
}

/** The shape shared by a PaymentMethod and a Charge's payment_method_details. */
interface MethodFacts {
  type: string;
  card?: CardFacts | null;
  card_present?: CardFacts | null;
  us_bank_account?: { bank_name: string | null; last4: string | null } | null;
}

const CARD_FUNDINGS: readonly CardFunding[] = ['credit', 'debit', 'prepaid', 'unknown'];

function cardFunding(funding: string | null): CardFunding {
  return CARD_FUNDINGS.find((known) => known === funding) ?? 'unknown';
}

/** Null for the payment-method types our flows do not use. */
function paymentMethodDetails(reference: string, facts: MethodFacts): PaymentMethodDetails | null {
  switch (facts.type) {
    case 'card':
    case 'card_present': {
      const card = facts.type === 'card' ? facts.card : facts.card_present;
      if (!card) return null;
      return {
        reference,
        type: facts.type,
        brand: card.brand,
        last4: card.last4,
        expMonth: card.exp_month,
        expYear: card.exp_year,
        funding: cardFunding(card.funding),
      };
    }
    case 'us_bank_account': {
      const bank = facts.us_bank_account;
      if (!bank) return null;
      return { reference, type: 'us_bank_account', brand: bank.bank_name, last4: bank.last4, expMonth: null, expYear: null, funding: null };
    }
    default:
      return null;
  }
}

export function supportedPaymentMethod(method: Stripe.PaymentMethod): PaymentMethodDetails {
  const details = paymentMethodDetails(method.id, method);
  if (!details) {
    throw new ProcessorError('INVALID_PAYMENT_METHOD', `Payment method type ${method.type} is not supported`, false);
  }
  return details;
}

// --- failures ---

type DeclineCode = Extract<
  ProcessorErrorCode,
  'PAYMENT_DECLINED' | 'INSUFFICIENT_FUNDS' | 'CARD_EXPIRED' | 'INCORRECT_CVC' | 'AUTHENTICATION_REQUIRED' | 'BANK_ACCOUNT_UNVERIFIED'
>;

const FAILURE_CODES: Record<string, DeclineCode> = {
  insufficient_funds: 'INSUFFICIENT_FUNDS',
  expired_card: 'CARD_EXPIRED',
  incorrect_cvc: 'INCORRECT_CVC',
  authentication_required: 'AUTHENTICATION_REQUIRED',
  payment_intent_authentication_failure: 'AUTHENTICATION_REQUIRED',
  payment_method_microdeposit_verification_attempts_exceeded: 'BANK_ACCOUNT_UNVERIFIED',
  payment_method_microdeposit_verification_timeout: 'BANK_ACCOUNT_UNVERIFIED',
};

const FAILURE_MESSAGES: Record<DeclineCode, string> = {
  INSUFFICIENT_FUNDS: 'The payment was declined for insufficient funds.',
  CARD_EXPIRED: 'The card has expired.',
  INCORRECT_CVC: "The card's security code is incorrect.",
  AUTHENTICATION_REQUIRED: 'The bank asks the cardholder to authenticate this payment.',
  BANK_ACCOUNT_UNVERIFIED: 'The bank account could not be verified with its micro-deposits. You have not been charged.',
  PAYMENT_DECLINED: 'The payment was declined. Please use another payment method or contact your bank.',
};

/** The customer tried 3-D Secure and did not pass it. */
const AUTHENTICATION_FAILED_MESSAGE = 'The card could not be authenticated. You have not been charged.';

/** Stripe puts the issuer's reason in decline_code (cards) or code (cards and bank debits). */
function failureFrom(code: string | null | undefined, declineCode: string | null | undefined): ProcessorFailure {
  const ourCode = FAILURE_CODES[declineCode ?? ''] ?? FAILURE_CODES[code ?? ''] ?? 'PAYMENT_DECLINED';
  const message = code === 'payment_intent_authentication_failure' ? AUTHENTICATION_FAILED_MESSAGE : FAILURE_MESSAGES[ourCode];
  return { code: ourCode, message, declineCode: declineCode ?? code ?? null };
}

// --- payments ---

/**
 * A bank debit that Stripe reported succeeded and then took back: the charge failed late (ACH
 * return) or was disputed, which for ACH is final. Card disputes can be won, so they stay SUCCEEDED.
 */
function isReturnedBankDebit(charge: Stripe.Charge | null): charge is Stripe.Charge {
  return charge?.payment_method_details?.type === 'us_bank_account' && (charge.status === 'failed' || charge.disputed);
}

function paymentStatus(intent: Stripe.PaymentIntent, charge: Stripe.Charge | null): ProcessorPaymentStatus {
  switch (intent.status) {
    case 'succeeded':
      return isReturnedBankDebit(charge) ? 'RETURNED' : 'SUCCEEDED';
    case 'processing':
    case 'requires_confirmation':
    case 'requires_capture':
      return 'PROCESSING';
    // Without an error this PaymentIntent has not been attempted yet: a card-present payment
    // waiting for the reader. With one, the attempt was declined.
    case 'requires_payment_method':
      return intent.last_payment_error ? 'FAILED' : 'PROCESSING';
    case 'requires_action':
      return 'REQUIRES_ACTION';
    case 'canceled':
      return 'CANCELED';
    default:
      throw new ProcessorError('PROCESSING_ERROR', `Unexpected PaymentIntent status ${intent.status}`, false);
  }
}

function paymentFailure(intent: Stripe.PaymentIntent, charge: Stripe.Charge | null): ProcessorFailure {
  const error = intent.last_payment_error;
  if (error) return failureFrom(error.code, error.decline_code);
  return failureFrom(charge?.failure_code, null);
}

function paymentMethodOfPayment(intent: Stripe.PaymentIntent, charge: Stripe.Charge | null): PaymentMethodDetails | null {
  const reference = charge?.payment_method ?? idOf(intent.payment_method);
  if (charge?.payment_method_details && reference) return paymentMethodDetails(reference, charge.payment_method_details);
  // A declined attempt leaves the PaymentIntent without a payment method; the error keeps it.
  const declined = intent.last_payment_error?.payment_method;
  return declined ? paymentMethodDetails(declined.id, declined) : null;
}

function authorizationCode(charge: Stripe.Charge): string | null {
  const details = charge.payment_method_details;
  return details?.card?.authorization_code ?? details?.card_present?.receipt?.authorization_code ?? null;
}

function fee(charge: Stripe.Charge): bigint | null {
  const transaction = charge.balance_transaction;
  return transaction && typeof transaction === 'object' ? BigInt(transaction.fee) : null;
}

/** What the customer must do: 3-D Secure (Stripe.js handles it with the client secret) or micro-deposits. */
function nextAction(intent: Stripe.PaymentIntent): NextAction | null {
  const action = intent.next_action;
  if (intent.status !== 'requires_action' || !action) return null;
  if (action.type === 'verify_with_microdeposits') {
    const microdeposits = action.verify_with_microdeposits;
    return {
      type: 'VERIFY_MICRODEPOSITS',
      url: microdeposits?.hosted_verification_url ?? null,
      clientSecret: intent.client_secret,
      microdepositType: microdeposits?.microdeposit_type === 'amounts' ? 'AMOUNTS' : 'DESCRIPTOR_CODE',
    };
  }
  return { type: 'AUTHENTICATE', url: action.redirect_to_url?.url ?? null, clientSecret: intent.client_secret };
}

/** latest_charge is an object when we asked for it to be expanded, an id otherwise (declines). */
export function toPayment(intent: Stripe.PaymentIntent): ProcessorPayment {
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  const status = paymentStatus(intent, charge);
  return {
    reference: intent.id,
    status,
    nextAction: nextAction(intent),
    amount: BigInt(intent.amount),
    currency: intent.currency.toUpperCase(),
    authorizationCode: charge ? authorizationCode(charge) : null,
    paymentMethod: paymentMethodOfPayment(intent, charge),
    failure: status === 'FAILED' || status === 'RETURNED' ? paymentFailure(intent, charge) : null,
    fee: charge ? fee(charge) : null,
    metadata: intent.metadata,
  };
}

/** Stripe's answers to a wrong micro-deposit verification, which leave the PaymentIntent waiting. */
const VERIFICATION_MISMATCHES = new Set([
  'payment_method_microdeposit_verification_amounts_mismatch',
  'payment_method_microdeposit_verification_descriptor_code_mismatch',
]);
/** Stripe's answers once the verification cannot go on: the PaymentIntent's own state tells how it ended. */
const VERIFICATION_ENDED = new Set([
  'payment_method_microdeposit_verification_attempts_exceeded',
  'payment_method_microdeposit_verification_timeout',
  'payment_intent_unexpected_state',
]);

/**
 * A verify_microdeposits refusal: a wrong answer (with the attempts left, which Stripe says only in
 * its message: "... You have 9 verification attempts remaining."), a verification that ended (null:
 * re-read the PaymentIntent), or anything else.
 */
export function verificationMismatch(
  error: Stripe.errors.StripeInvalidRequestError,
): { attemptsRemaining: number | null } | null | 'not_a_mismatch' {
  const code = error.code ?? '';
  if (VERIFICATION_ENDED.has(code)) return null;
  if (!VERIFICATION_MISMATCHES.has(code)) return 'not_a_mismatch';
  const remaining = /(\d+) (?:verification )?attempts? remaining/i.exec(error.message);
  return { attemptsRemaining: remaining ? Number(remaining[1]) : null };
}

// --- refunds ---

const REFUND_STATUSES: Record<string, ProcessorRefundStatus> = {
  succeeded: 'SUCCEEDED',
  pending: 'PENDING',
  requires_action: 'PENDING',
  failed: 'FAILED',
  canceled: 'CANCELED',
};

export function toRefund(refund: Stripe.Refund): ProcessorRefund {
  const status = REFUND_STATUSES[refund.status ?? ''];
  const paymentReference = idOf(refund.payment_intent);
  if (!status || !paymentReference) {
    throw new ProcessorError('PROCESSING_ERROR', `Unexpected refund ${refund.id} (status ${refund.status})`, false);
  }
  return {
    reference: refund.id,
    paymentReference,
    status,
    amount: BigInt(refund.amount),
    currency: refund.currency.toUpperCase(),
    failure:
      status === 'FAILED'
        ? {
            code: 'PROCESSING_ERROR',
            message: 'The refund could not be returned to the original payment method.',
            declineCode: refund.failure_reason ?? null,
          }
        : null,
  };
}

// --- payouts ---

const PAYOUT_STATUSES: Record<string, ProcessorPayout['status']> = {
  paid: 'PAID',
  pending: 'PENDING',
  in_transit: 'IN_TRANSIT',
  failed: 'FAILED',
  canceled: 'CANCELED',
};

export function toPayout(payout: Stripe.Payout): ProcessorPayout {
  const status = PAYOUT_STATUSES[payout.status];
  if (!status) throw new ProcessorError('PROCESSING_ERROR', `Unexpected payout ${payout.id} (status ${payout.status})`, false);
  return {
    reference: payout.id,
    status,
    amount: BigInt(payout.amount),
    currency: payout.currency.toUpperCase(),
    arrivalDate: new Date(payout.arrival_date * 1000),
    createdAt: new Date(payout.created * 1000),
  };
}

/**
 * A balance transaction of a payout, as the payment or refund it settles: a card charge is type
 * `charge` (its source the charge, which names the PaymentIntent), a bank debit `payment`, a refund
 * `refund` or `payment_refund`. When a payout fails its transactions stay with it and Stripe credits
 * the balance with one `payout_failure` (source: the failed payout), which the next payout carries.
 * Fees, adjustments and the payout's own line are not ours: null.
 */
export function toPayoutEntry(transaction: Stripe.BalanceTransaction): PayoutEntry | null {
  const source = transaction.source;
  if (!source || typeof source === 'string') return null;
  const amount = BigInt(Math.abs(transaction.amount));
  const fee = BigInt(transaction.fee);
  if ((transaction.type === 'charge' || transaction.type === 'payment') && source.object === 'charge') {
    const reference = idOf(source.payment_intent);
    return reference ? { kind: 'payment', reference, amount, fee } : null;
  }
  if ((transaction.type === 'refund' || transaction.type === 'payment_refund') && source.object === 'refund') {
    return { kind: 'refund', reference: source.id, amount, fee };
  }
  if (transaction.type === 'payout_failure' && source.object === 'payout')
    return { kind: 'failed_payout', reference: source.id, amount, fee };
  return null;
}

// --- disputes ---

/**
 * Stripe's dispute statuses in our four. An inquiry (`warning_*`) takes no money and is answered
 * like a dispute; `warning_closed` and `prevented` end with the money where it was, as a win does.
 * An appeal is a dispute waiting again.
 */
const DISPUTE_STATUSES: Record<string, ProcessorDisputeStatus> = {
  warning_needs_response: 'NEEDS_RESPONSE',
  needs_response: 'NEEDS_RESPONSE',
  appeal_needs_response: 'NEEDS_RESPONSE',
  warning_under_review: 'UNDER_REVIEW',
  under_review: 'UNDER_REVIEW',
  appeal_under_review: 'UNDER_REVIEW',
  warning_closed: 'WON',
  prevented: 'WON',
  won: 'WON',
  lost: 'LOST',
};

export function toDispute(dispute: Stripe.Dispute): ProcessorDispute {
  const status = DISPUTE_STATUSES[dispute.status];
  const paymentReference = idOf(dispute.payment_intent);
  if (!status || !paymentReference) {
    throw new ProcessorError('PROCESSING_ERROR', `Unexpected dispute ${dispute.id} (status ${dispute.status})`, false);
  }
  const open = status === 'NEEDS_RESPONSE';
  return {
    reference: dispute.id,
    paymentReference,
    status,
    amount: BigInt(dispute.amount),
    currency: dispute.currency.toUpperCase(),
    // The withdrawal's fee (and, when Stripe returns it on a win, the reinstatement's negative one).
    fee: BigInt((dispute.balance_transactions ?? []).reduce((sum, transaction) => sum + transaction.fee, 0)),
    reason: dispute.reason,
    evidenceDueBy: open && dispute.evidence_details?.due_by ? new Date(dispute.evidence_details.due_by * 1000) : null,
    createdAt: new Date(dispute.created * 1000),
  };
}

/** A Stripe file upload's id: the only thing Stripe takes in its document fields (receipt, customer_communication). */
const STRIPE_FILE = /^file_[A-Za-z0-9]+$/;

/**
 * Our text evidence in Stripe's fields. The explanation is `uncategorized_text`. Stripe's `receipt`
 * and `customer_communication` hold file uploads: a file id given there is passed as it is; text is
 * added to `uncategorized_text` under its own heading, so that nothing the merchant wrote is lost.
 */
export function toStripeEvidence(evidence: DisputeEvidence): Stripe.DisputeUpdateParams.Evidence {
  const documents = { customer_communication: evidence.customerCommunication, receipt: evidence.receipt };
  const result: Stripe.DisputeUpdateParams.Evidence = {};
  const text = [evidence.explanation];
  for (const [field, value] of Object.entries(documents) as [keyof typeof documents, string | null][]) {
    if (!value) continue;
    if (STRIPE_FILE.test(value)) result[field] = value;
    else text.push(`${field === 'receipt' ? 'Receipt' : 'Customer communication'}:\n${value}`);
  }
  result.uncategorized_text = text.join('\n\n');
  return result;
}

// --- terminal ---

export function toReader(reader: Stripe.Terminal.Reader): ProcessorReader {
  return {
    reference: reader.id,
    label: reader.label,
    status: reader.status === 'online' ? 'online' : 'offline',
    deviceType: reader.device_type,
  };
}

// --- errors ---

function unavailable(error: Stripe.errors.StripeError): ProcessorError {
  return new ProcessorError('PROCESSOR_UNAVAILABLE', `Stripe did not answer usably: ${error.message}`, true);
}

const TERMINAL_ERRORS: Record<string, string> = {
  terminal_reader_offline: 'The card reader is offline.',
  terminal_reader_busy: 'The card reader is busy with another action.',
};

function invalidRequest(error: Stripe.errors.StripeInvalidRequestError, subject?: 'payment_method'): ProcessorError {
  const code = error.code ?? '';
  // The reader did not confirm in time: it may still be processing, so the outcome is unknown.
  if (code === 'terminal_reader_timeout') return unavailable(error);
  if (TERMINAL_ERRORS[code]) return new ProcessorError('PROCESSING_ERROR', TERMINAL_ERRORS[code], false);
  const aboutPaymentMethod =
    error.param === 'payment_method' || code.startsWith('payment_method_') || (subject === 'payment_method' && code === 'resource_missing');
  return new ProcessorError(aboutPaymentMethod ? 'INVALID_PAYMENT_METHOD' : 'INVALID_REQUEST', error.message, false);
}

/**
 * Any exception from the SDK, in the port's terms. `subject` names what the call is about, so that
 * an unknown id is reported as an invalid payment method when the id was one.
 */
export function toProcessorError(error: unknown, subject?: 'payment_method'): unknown {
  const errors = Stripe.errors;
  if (!(error instanceof errors.StripeError)) return error;
  if (error instanceof errors.StripeCardError) {
    const failure = failureFrom(error.code, error.decline_code);
    return new ProcessorError(failure.code, failure.message, false, failure.declineCode);
  }
  // The same key with other parameters: a bug on our side, never worth retrying.
  if (error instanceof errors.StripeIdempotencyError) return new ProcessorError('INVALID_REQUEST', error.message, false);
  if (error instanceof errors.StripeInvalidRequestError) return invalidRequest(error, subject);
  if (error instanceof errors.StripeAuthenticationError || error instanceof errors.StripePermissionError) {
    return new ProcessorError('PROCESSING_ERROR', `Stripe refused our API key: ${error.message}`, false);
  }
  // Connection errors, timeouts, rate limits, 409 conflicts and 5xx.
  return unavailable(error);
}

// --- webhooks ---

type EventHint = Pick<ProcessorEvent, 'type' | 'objectReference' | 'paymentReference'>;

const IGNORED: EventHint = { type: 'ignored', objectReference: null };

/**
 * Reduces an event to the object to re-read. Refunds are followed through the refund's own events:
 * `charge.refunded` repeats them with the charge as object, so it is ignored. A bank debit taken
 * back after success arrives as `charge.failed` (return) or `charge.dispute.created` (re-read as the
 * payment, which Stripe then reports disputed); a card's dispute events name the dispute; a card's
 * `charge.failed` repeats `payment_intent.payment_failed` and is ignored.
 */
export function eventHint(event: Stripe.Event): EventHint {
  switch (event.type) {
    case 'payment_intent.amount_capturable_updated':
    case 'payment_intent.canceled':
    case 'payment_intent.created':
    case 'payment_intent.partially_funded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.processing':
    case 'payment_intent.requires_action':
    case 'payment_intent.succeeded':
      return { type: 'payment.updated', objectReference: event.data.object.id };
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed':
    case 'charge.refund.updated':
      return { type: 'refund.updated', objectReference: event.data.object.id };
    // A card's dispute is followed through the dispute; a bank debit's dispute is its return, which the payment's re-read finds.
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated':
      return { type: 'dispute.updated', objectReference: event.data.object.id, paymentReference: idOf(event.data.object.payment_intent) };
    case 'charge.failed':
      return event.data.object.payment_method_details?.type === 'us_bank_account'
        ? { type: 'charge.returned', objectReference: idOf(event.data.object.payment_intent) }
        : IGNORED;
    case 'payout.paid':
    case 'payout.failed':
    case 'payout.canceled':
      return { type: 'payout.updated', objectReference: event.data.object.id };
    case 'account.updated':
      return { type: 'account.updated', objectReference: event.data.object.id };
    // The merchant disconnected its Standard account from the platform: read again, it is no longer ours to use.
    case 'account.application.deauthorized':
      return { type: 'account.updated', objectReference: event.account ?? null };
    case 'terminal.reader.action_succeeded':
    case 'terminal.reader.action_failed':
      return { type: 'reader.updated', objectReference: event.data.object.id };
    default:
      return IGNORED;
  }
}
