import { CardSetupLinkDocument, SaveCardWithLinkDocument } from '@kometpay/schema/checkout';
import { error } from '@sveltejs/kit';
import type { CardSetupLink, CardSetupResponse } from '$lib/card-setup-link';
import { apiError, apiUnavailable, type Customer, checkoutApi, errorCode, TOKEN_SHAPE } from './api';

/** The add-card link as the API sees it right now, or null for an unknown or malformed token. */
export async function findCardSetupLink(token: string, customer: Customer): Promise<CardSetupLink | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  try {
    const { cardSetupLink } = await checkoutApi(customer).request(CardSetupLinkDocument, { token });
    return cardSetupLink;
  } catch (cause) {
    if (errorCode(cause) === 'TOO_MANY_ATTEMPTS') error(429, 'Too many requests');
    return apiUnavailable(cause);
  }
}

/**
 * "Save CC Data": saves the card behind a tokeniser's token in the customer's vault. A refusal (the
 * card declined, the link used or expired...) comes back coded, with the link as it now is.
 */
export async function saveCardWithLink(token: string, paymentMethodToken: string, customer: Customer): Promise<CardSetupResponse> {
  try {
    const { saveCardWithLink } = await checkoutApi(customer).request(SaveCardWithLinkDocument, { token, paymentMethodToken });
    return { kind: 'saved', card: saveCardWithLink.card };
  } catch (cause) {
    const refusal = apiError(cause);
    if (!refusal) return apiUnavailable(cause);
    // Refused for asking too often: asking again for the link would be refused too.
    const link = refusal.code === 'TOO_MANY_ATTEMPTS' ? null : await findCardSetupLink(token, customer);
    return { kind: 'refused', ...refusal, link };
  }
}
