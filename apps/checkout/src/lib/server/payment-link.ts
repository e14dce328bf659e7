import { error } from '@sveltejs/kit';
import type { PaymentAttempt, PaymentLink, PaymentResponse } from '$lib/payment-link';
import { type Customer, TOKEN_SHAPE, apiUnavailable, checkoutApi, errorCode } from './api';

const MONEY = 'amount formatted';
const LINK_FIELDS = `status merchantName invoiceNumber dueDate currency acceptedMethods
  lines { description quantity amount { ${MONEY} } }
  total { ${MONEY} } amountPaid { ${MONEY} } amountCredited { ${MONEY} } amountDue { ${MONEY} }
  processor { kind publishableKey tokeniserUrl }`;

const PAYMENT_LINK = `query PaymentLink($token: String!) { paymentLink(token: $token) { ${LINK_FIELDS} } }`;

const PAY_WITH_LINK = `mutation PayWithLink($token: String!, $paymentMethodToken: String!, $idempotencyKey: String!) {
  payWithLink(token: $token, paymentMethodToken: $paymentMethodToken, idempotencyKey: $idempotencyKey) {
    status failureCode failureMessage
    receipt { amount { ${MONEY} } method brand last4 authorizationCode date }
    link { ${LINK_FIELDS} }
  }
}`;

/** The link as the API sees it right now (never cached: an edited invoice shows its new amount), or null. */
export async function findPaymentLink(token: string, customer: Customer): Promise<PaymentLink | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  try {
    const { paymentLink } = await checkoutApi(customer).request<{ paymentLink: PaymentLink | null }>(PAYMENT_LINK, { token });
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
    const { payWithLink } = await checkoutApi(customer).request<{ payWithLink: Omit<Extract<PaymentResponse, { kind: 'result' }>, 'kind'> }>(
      PAY_WITH_LINK,
      { token, ...attempt },
    );
    return { kind: 'result', ...payWithLink };
  } catch (cause) {
    const code = errorCode(cause);
    if (!code) return apiUnavailable(cause);
    // Refused for asking too often: asking again for the link would be refused too.
    return { kind: 'refused', code, link: code === 'TOO_MANY_ATTEMPTS' ? null : await findPaymentLink(token, customer) };
  }
}
