import type { PayPageLinkFragment, PayPageReceiptFragment, PayWithLinkMutation } from '@kometpay/schema/checkout';

/**
 * What the pay page works with. The API's answers are typed by the checkout schema's operations
 * (packages/schema/operations/checkout/payment-link.graphql, generated into @kometpay/schema/checkout).
 * Types only: this module reaches the browser's bundle, which must carry no GraphQL document.
 */

export type PaymentLink = PayPageLinkFragment;
export type Receipt = PayPageReceiptFragment;
export type Processor = PaymentLink['processor'];
/** The merchant's look on its pages (PublicMerchantBranding). */
export type Branding = PaymentLink['branding'];

/** One payment attempt: the tokenised method and the idempotency key that goes with it, reused on a retry. */
export interface PaymentAttempt {
  paymentMethodToken: string;
  idempotencyKey: string;
}

/** An attempt's result: payWithLink's, completeLinkPayment's and verifyMicrodeposits' answers have the same shape. */
export type PaymentResult = PayWithLinkMutation['payWithLink'];
export type NextAction = NonNullable<PaymentResult['nextAction']>;

/**
 * What the checkout server's payment routes answer: the attempt's result, or the API's refusal with
 * the link as it now is (and, for a bad answer, the field it is about or the attempts left).
 */
export type PaymentResponse =
  | ({ kind: 'result' } & PaymentResult)
  | { kind: 'refused'; code: string; link: PaymentLink | null; field?: string | null; attemptsLeft?: number | null };

/** A bank account's micro-deposits as the customer read them: the two amounts (in cents) or the code. */
export type MicrodepositAnswer = { amounts: string[] } | { descriptorCode: string };
