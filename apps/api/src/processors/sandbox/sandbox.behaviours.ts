import type { CardFunding, ProcessorErrorCode } from '../processor.port.js';

/**
 * What each well-known test instrument does, as in Stripe's test mode. The sandbox accepts nothing
 * else, so no real card or account number is ever taken in.
 */
export type Behaviour =
  | 'succeeds'
  /** Always asks for 3-D Secure: the payment waits (requires_action) until the customer completes or fails the challenge. */
  | 'authentication_required'
  /** Succeeds, then the cardholder disputes it (Stripe's pm_card_createDispute). */
  | 'disputed'
  | 'declined'
  | 'insufficient_funds'
  | 'expired_card'
  | 'ach_settles'
  | 'ach_returns'
  /**
   * Cannot be verified instantly: a debit the customer starts waits (requires_action) for them to
   * confirm the micro-deposits, by their amounts or by the code in one deposit's description.
   */
  | 'ach_microdeposits_amounts'
  | 'ach_microdeposits_code';

export interface CardFacts {
  brand: string;
  funding: CardFunding;
  behaviour: Behaviour;
}

export const testCards: Readonly<Record<string, CardFacts>> = {
  '4242424242424242': { brand: 'visa', funding: 'credit', behaviour: 'succeeds' },
  '4000056655665556': { brand: 'visa', funding: 'debit', behaviour: 'succeeds' },
  '4000000000000002': { brand: 'visa', funding: 'credit', behaviour: 'declined' },
  '4000000000009995': { brand: 'visa', funding: 'credit', behaviour: 'insufficient_funds' },
  '4000000000000069': { brand: 'visa', funding: 'credit', behaviour: 'expired_card' },
  '4000002760003184': { brand: 'visa', funding: 'credit', behaviour: 'authentication_required' },
  '4000000000000259': { brand: 'visa', funding: 'credit', behaviour: 'disputed' },
};

/** Stripe's own test payment-method ids, accepted as tokens as they are. */
export const stripeTestPaymentMethods: Readonly<Record<string, CardFacts & { last4: string }>> = {
  pm_card_visa: { brand: 'visa', funding: 'credit', behaviour: 'succeeds', last4: '4242' },
  pm_card_visa_debit: { brand: 'visa', funding: 'debit', behaviour: 'succeeds', last4: '5556' },
  pm_card_chargeDeclined: { brand: 'visa', funding: 'credit', behaviour: 'declined', last4: '0002' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', funding: 'credit', behaviour: 'insufficient_funds', last4: '9995' },
  pm_card_chargeDeclinedExpiredCard: { brand: 'visa', funding: 'credit', behaviour: 'expired_card', last4: '0069' },
  pm_card_authenticationRequired: { brand: 'visa', funding: 'credit', behaviour: 'authentication_required', last4: '3184' },
  pm_card_createDispute: { brand: 'visa', funding: 'credit', behaviour: 'disputed', last4: '0259' },
};

export const TEST_ROUTING_NUMBER = '110000000';
export const testBankAccounts: Readonly<Record<string, Behaviour>> = {
  '000123456789': 'ach_settles',
  '000111111116': 'ach_returns',
  // The sandbox's own: Stripe asks for micro-deposits for any account entered by hand without instant verification.
  '000999999991': 'ach_microdeposits_code',
  '000999999992': 'ach_microdeposits_amounts',
};

/** Micro-deposit verification, with Stripe's test values. */
export const MICRODEPOSITS = {
  /** The answers that verify the account, as in Stripe's test mode. */
  amounts: [32n, 45n] as const,
  descriptorCode: 'SM11AA',
  /** Stripe's test answers that act as if the customer had used up every attempt. */
  exceedAmounts: [10n, 11n] as const,
  exceedDescriptorCode: 'SM33CC',
  /** Wrong answers allowed before the payment fails, as at Stripe. */
  maxAttempts: 10,
} as const;

export const declines: Partial<Record<Behaviour, { code: ProcessorErrorCode; declineCode: string; message: string }>> = {
  declined: { code: 'PAYMENT_DECLINED', declineCode: 'generic_decline', message: 'The card was declined.' },
  insufficient_funds: { code: 'INSUFFICIENT_FUNDS', declineCode: 'insufficient_funds', message: 'The card has insufficient funds.' },
  expired_card: { code: 'CARD_EXPIRED', declineCode: 'expired_card', message: 'The card has expired.' },
};

/** Stripe's simulated reader registration codes. */
export const simulatedReaderCodes: Readonly<Record<string, string>> = {
  'simulated-wpe': 'bbpos_wisepos_e',
  'simulated-s700': 'stripe_s700',
};

/** What the sandbox's disputes look like: Stripe's test dispute is `fraudulent`, with a $15.00 fee and a week to answer. */
export const sandboxDispute = { reason: 'fraudulent', fee: 1500n, evidenceDays: 7 } as const;
