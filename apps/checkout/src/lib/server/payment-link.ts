import {
  CompleteLinkPaymentDocument,
  PaymentLinkDocument,
  PayWithLinkDocument,
  VerifyMicrodepositsDocument,
} from '@kometpay/schema/checkout';
import { error } from '@sveltejs/kit';
import type { MicrodepositAnswer, PaymentAttempt, PaymentLink, PaymentResponse } from '$lib/payment-link';
import { apiError, apiUnavailable, type Customer, checkoutApi, errorCode, TOKEN_SHAPE } from './api';

/** A payment's id (a UUID) as the pay page's URLs carry it. */
export const PAYMENT_ID = /^[0-9a-f-]{36}$/;

/** The link as the API sees it right now (never cached: an edited invoice shows its new amount), or null. */
export async function findPaymentLink(token: string, customer: Customer): Promise<PaymentLink | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  try {
    const { paymentLink } = await checkoutApi(customer).request(PaymentLinkDocument, { token });
    return paymentLink;
  } catch (cause) {
    if (errorCode(cause) === 'TOO_MANY_ATTEMPTS') error(429, 'Too many requests');
    return apiUnavailable(cause);
  }
}

/**
 * Pays with a token from the tokeniser. A decline is a result (status FAILED); a coded refusal
 * (already paid, expired, ...) comes back with the link as it now is, so that the page can show why.
 */
export async function payWithLink(token: string, attempt: PaymentAttempt, customer: Customer): Promise<PaymentResponse> {
  try {
    const { payWithLink } = await checkoutApi(customer).request(PayWithLinkDocument, { token, ...attempt });
    return { kind: 'result', ...payWithLink };
  } catch (cause) {
    const code = errorCode(cause);
    if (!code) return apiUnavailable(cause);
    // Refused for asking too often: asking again for the link would be refused too.
    return { kind: 'refused', code, link: code === 'TOO_MANY_ATTEMPTS' ? null : await findPaymentLink(token, customer) };
  }
}

/** A refusal, with the link as it now is (so that the page can show why). */
async function refusal(cause: unknown, token: string, customer: Customer): Promise<PaymentResponse> {
  const refused = apiError(cause);
  if (!refused) return apiUnavailable(cause);
  const { code, field, attemptsLeft } = refused;
  // Refused for asking too often: asking again for the link would be refused too.
  const link = code === 'TOO_MANY_ATTEMPTS' ? null : await findPaymentLink(token, customer);
  return { kind: 'refused', code, link, field, attemptsLeft };
}

/** After the customer acted on a payment (3-D Secure): how it ended, read back from the processor by the API. */
export async function completeLinkPayment(token: string, paymentId: string, customer: Customer): Promise<PaymentResponse> {
  try {
    const { completeLinkPayment } = await checkoutApi(customer).request(CompleteLinkPaymentDocument, { token, paymentId });
    return { kind: 'result', ...completeLinkPayment };
  } catch (cause) {
    return refusal(cause, token, customer);
  }
}

/** The customer's answer to their bank account's micro-deposits. A wrong one is refused with the attempts left. */
export async function verifyMicrodeposits(
  token: string,
  paymentId: string,
  answer: MicrodepositAnswer,
  customer: Customer,
): Promise<PaymentResponse> {
  try {
    const { verifyMicrodeposits } = await checkoutApi(customer).request(VerifyMicrodepositsDocument, {
      token,
      paymentId,
      amounts: 'amounts' in answer ? answer.amounts : null,
      descriptorCode: 'descriptorCode' in answer ? answer.descriptorCode : null,
    });
    return { kind: 'result', ...verifyMicrodeposits };
  } catch (cause) {
    return refusal(cause, token, customer);
  }
}
