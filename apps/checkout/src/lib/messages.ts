import type { Receipt } from './payment-link';

/** What went wrong, in plain words, and whether the same attempt may simply be sent again. */
export interface PaymentProblem {
  message: string;
  /**
   * True when the outcome is unknown: sending the same token again is safe (a payment reuses its
   * idempotency key with it; an add-card link is single use). False: the details must be entered again.
   */
  retrySameAttempt: boolean;
}

const declines: Record<string, string> = {
  PAYMENT_DECLINED: 'Your card was declined. You have not been charged. Please try another card, or contact your bank.',
  INSUFFICIENT_FUNDS: 'Your card was declined for insufficient funds. You have not been charged. Please try another card.',
  CARD_EXPIRED: 'Your card has expired. You have not been charged. Please try another card.',
  AUTHENTICATION_REQUIRED: 'Your bank could not confirm this payment, so your card was not charged. Please try again, or use another card.',
  BANK_ACCOUNT_UNVERIFIED:
    'Your bank account could not be verified, so nothing was taken from it. Please pay with a card or another bank account.',
};

export function declined(failureCode: string | null): PaymentProblem {
  return {
    message:
      declines[failureCode ?? ''] ?? 'Your payment did not go through. You have not been charged. Please try another card or bank account.',
    retrySameAttempt: false,
  };
}

const refusals: Record<string, PaymentProblem> = {
  INVALID_PAYMENT_METHOD: { message: 'These payment details could not be used. Please check them and try again.', retrySameAttempt: false },
  PAYMENT_IN_PROGRESS: {
    message: 'Another payment for this invoice is being processed. Please wait a minute, then reload this page.',
    retrySameAttempt: false,
  },
  IDEMPOTENCY_KEY_REUSED: { message: 'Your payment could not be completed. Please try again.', retrySameAttempt: false },
  TOO_MANY_ATTEMPTS: { message: 'Too many requests from this address. Please wait a few minutes, then try again.', retrySameAttempt: true },
  PROCESSOR_ACCOUNT_NOT_READY: {
    message: 'This merchant cannot take online payments at the moment. You have not been charged. Please contact them, or try again later.',
    retrySameAttempt: false,
  },
};

export const unconfirmed: PaymentProblem = {
  message: 'We could not confirm your payment. Please try again: you will not be charged twice.',
  retrySameAttempt: true,
};

export function refused(code: string): PaymentProblem {
  return refusals[code] ?? unconfirmed;
}

/** Back on the page without having finished the bank's check (3-D Secure): nothing was charged. */
export const authenticationUnfinished: PaymentProblem = {
  message: 'Your bank’s check of this payment was not finished, so your card was not charged. Please try again, or use another card.',
  retrySameAttempt: false,
};

/** Micro-deposits answered wrongly: how many more tries there are, when the processor said. */
export function microdepositsMismatch(byAmounts: boolean, attemptsLeft: number | null): string {
  const what = byAmounts ? 'These amounts do not match the deposits in your account.' : 'This code does not match the one on your deposit.';
  if (attemptsLeft === null) return `${what} Please check your statement and try again.`;
  return `${what} Please check your statement and try again: ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left.`;
}

export const achReturned: PaymentProblem = {
  message: 'Your bank did not complete the payment, so the invoice is still open. Please pay with a card or another bank account.',
  retrySameAttempt: false,
};

const cardRefusals: Record<string, string> = {
  PAYMENT_DECLINED: 'Your card was declined, so it was not saved. Please try another card, or contact your bank.',
  INSUFFICIENT_FUNDS: 'Your card was declined, so it was not saved. Please try another card, or contact your bank.',
  CARD_EXPIRED: 'Your card has expired, so it was not saved. Please try another card.',
  AUTHENTICATION_REQUIRED:
    'Your bank asked to confirm this card, which this page cannot do yet. It was not saved. Please try another card.',
  INVALID_PAYMENT_METHOD: 'This card could not be saved. Please check the details and try again, or try another card.',
};

/** Why the add-card page could not save the card (a refusal other than a used or expired link). */
export function cardNotSaved(code: string, reason: string | null): PaymentProblem {
  if (code === 'TOO_MANY_ATTEMPTS' || code === 'PROCESSOR_UNAVAILABLE') {
    return {
      message:
        code === 'TOO_MANY_ATTEMPTS'
          ? refusals.TOO_MANY_ATTEMPTS.message
          : 'Your card could not be saved just now. Please try again in a moment.',
      retrySameAttempt: true,
    };
  }
  const message =
    cardRefusals[reason ?? ''] ?? cardRefusals[code] ?? 'Your card could not be saved. Please check the details, or try another card.';
  return { message, retrySameAttempt: false };
}

export const cardNotConfirmed: PaymentProblem = {
  message: 'We could not confirm that your card was saved. Please try again.',
  retrySameAttempt: true,
};

const brandNames: Record<string, string> = {
  amex: 'American Express',
  diners: 'Diners Club',
  discover: 'Discover',
  jcb: 'JCB',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
};

/** "visa" → "Visa", "amex" → "American Express"; an unknown brand as it came, capitalised. */
export function brandName(brand: string): string {
  return brandNames[brand.toLowerCase()] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

const methodNames: Record<string, string> = {
  CREDIT_CARD: 'credit card',
  DEBIT_CARD: 'debit card',
  PREPAID_CARD: 'prepaid card',
  ACH: 'bank account',
};

/** "Visa credit card ending in 4242", "Bank account ending in 6789". */
export function paidWith({ method, brand, last4 }: Receipt): string {
  const name = method === 'ACH' ? 'Bank account' : `${brand ? `${brandName(brand)} ` : ''}${methodNames[method] ?? 'card'}`;
  return last4 ? `${name} ending in ${last4}` : name;
}
