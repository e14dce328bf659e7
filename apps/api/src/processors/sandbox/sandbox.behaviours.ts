import type { CardFunding, ProcessorErrorCode } from '../processor.port.js';

/**
 * What each well-known test instrument does, as in Stripe's test mode. The sandbox accepts nothing
 * else, so no real card or account number is ever taken in.
 */
export type Behaviour =
  | 'succeeds'
  | 'declined'
  | 'insufficient_funds'
  | 'expired_card'
  | 'ach_settles'
  | 'ach_returns';

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
};

/** Stripe's own test payment-method ids, accepted as tokens as they are. */
export const stripeTestPaymentMethods: Readonly<Record<string, CardFacts & { last4: string }>> = {
  pm_card_visa: { brand: 'visa', funding: 'credit', behaviour: 'succeeds', last4: '4242' },
  pm_card_visa_debit: { brand: 'visa', funding: 'debit', behaviour: 'succeeds', last4: '5556' },
  pm_card_chargeDeclined: { brand: 'visa', funding: 'credit', behaviour: 'declined', last4: '0002' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', funding: 'credit', behaviour: 'insufficient_funds', last4: '9995' },
  pm_card_chargeDeclinedExpiredCard: { brand: 'visa', funding: 'credit', behaviour: 'expired_card', last4: '0069' },
};

export const TEST_ROUTING_NUMBER = '110000000';
export const testBankAccounts: Readonly<Record<string, Behaviour>> = {
  '000123456789': 'ach_settles',
  '000111111116': 'ach_returns',
};

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
