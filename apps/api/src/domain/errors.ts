/**
 * Coded domain errors. Services throw these; the GraphQL error formatter maps them once to
 * `extensions.code`. Anything that is not a DomainError is masked before it reaches a client.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  SUPERVISOR_REQUIRED: 'SUPERVISOR_REQUIRED',
  INVALID_SUPERVISOR_PASSWORD: 'INVALID_SUPERVISOR_PASSWORD',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  /** A WebSocket connection already runs as many operations as it may. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** graphql-ws carries subscriptions only: queries and mutations go over HTTP. */
  SUBSCRIPTIONS_ONLY: 'SUBSCRIPTIONS_ONLY',
  /** A cursor this API did not issue (forged, altered, for another merchant, or signed with a retired secret). */
  INVALID_CURSOR: 'INVALID_CURSOR',
  /** A cursor older than the outbox's retention (OUTBOX_RETENTION_DAYS): events after it were pruned. */
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  INVALID_STATE_TRANSITION: 'INVALID_STATE_TRANSITION',
  UNKNOWN_CURRENCY: 'UNKNOWN_CURRENCY',
  AMOUNT_OUT_OF_RANGE: 'AMOUNT_OUT_OF_RANGE',
  DUPLICATE: 'DUPLICATE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INVOICE_ALREADY_PAID: 'INVOICE_ALREADY_PAID',
  INVOICE_VOID: 'INVOICE_VOID',
  INVOICE_NOT_SENT: 'INVOICE_NOT_SENT',
  TOTAL_BELOW_PAID: 'TOTAL_BELOW_PAID',
  AMOUNT_EXCEEDS_DUE: 'AMOUNT_EXCEEDS_DUE',
  PAYMENT_IN_PROGRESS: 'PAYMENT_IN_PROGRESS',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_KEY_IN_USE: 'IDEMPOTENCY_KEY_IN_USE',
  LINK_EXPIRED: 'LINK_EXPIRED',
  LINK_SUPERSEDED: 'LINK_SUPERSEDED',
  INVALID_PAYMENT_METHOD: 'INVALID_PAYMENT_METHOD',
  PROCESSOR_UNAVAILABLE: 'PROCESSOR_UNAVAILABLE',
  PROCESSOR_ACCOUNT_NOT_READY: 'PROCESSOR_ACCOUNT_NOT_READY',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  CARD_SETUP_LINK_USED: 'CARD_SETUP_LINK_USED',
  CARD_SETUP_LINK_EXPIRED: 'CARD_SETUP_LINK_EXPIRED',
  ALREADY_DELETED: 'ALREADY_DELETED',
  ALREADY_REFUNDED: 'ALREADY_REFUNDED',
  NOT_REFUNDABLE: 'NOT_REFUNDABLE',
  AMOUNT_EXCEEDS_CREDITABLE: 'AMOUNT_EXCEEDS_CREDITABLE',
  NOTHING_TO_REFUND: 'NOTHING_TO_REFUND',
  /** The charge has an open dispute: the card network decides where its money goes, not a refund. */
  CHARGE_DISPUTED: 'CHARGE_DISPUTED',
  /** The dispute was decided (WON or LOST): it takes no more evidence. */
  DISPUTE_CLOSED: 'DISPUTE_CLOSED',
  /** Sign-in: the same answer for an unknown email and a wrong password. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** Sign-in: the email and password match accounts at several merchants; `merchants` lists them. */
  MERCHANT_CHOICE_REQUIRED: 'MERCHANT_CHOICE_REQUIRED',
  /** An invitation link that is unknown, used or expired. */
  INVITATION_INVALID: 'INVITATION_INVALID',
  CUSTOMER_ARCHIVED: 'CUSTOMER_ARCHIVED',
  /** Micro-deposits answered wrongly: `attemptsLeft` says how many more answers the processor takes before the payment fails. */
  MICRODEPOSITS_MISMATCH: 'MICRODEPOSITS_MISMATCH',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for errors that are about the request as a whole rather than one field. */
const httpStatusByCode: Partial<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  TOO_MANY_ATTEMPTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

export function httpStatusFor(code: unknown): number | undefined {
  return typeof code === 'string' ? httpStatusByCode[code] : undefined;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** The outcome is not known yet (e.g. the processor did not answer): a retry may succeed, so it is never replayed. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (field: string, message: string) => new DomainError(ErrorCode.BAD_USER_INPUT, message, { field });

export const notFound = (what: string, field: string) => new DomainError(ErrorCode.NOT_FOUND, `No ${what} with that id`, { field });
