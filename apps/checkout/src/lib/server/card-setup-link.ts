import { error } from '@sveltejs/kit';
import type { CardSetupLink, CardSetupResponse, SavedCard } from '$lib/card-setup-link';
import { type Customer, TOKEN_SHAPE, apiError, apiUnavailable, checkoutApi, errorCode } from './api';

const LINK_FIELDS = 'status merchantName customerName expiresAt processor { kind publishableKey tokeniserUrl }';

const CARD_SETUP_LINK = `query CardSetupLink($token: String!) { cardSetupLink(token: $token) { ${LINK_FIELDS} } }`;

const SAVE_CARD_WITH_LINK = `mutation SaveCardWithLink($token: String!, $paymentMethodToken: String!) {
  saveCardWithLink(token: $token, paymentMethodToken: $paymentMethodToken) { card { brand last4 expMonth expYear } }
}`;

/** The add-card link as the API sees it right now, or null for an unknown or malformed token. */
export async function findCardSetupLink(token: string, customer: Customer): Promise<CardSetupLink | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  try {
    const { cardSetupLink } = await checkoutApi(customer).request<{ cardSetupLink: CardSetupLink | null }>(CARD_SETUP_LINK, { token });
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
    const { saveCardWithLink } = await checkoutApi(customer).request<{ saveCardWithLink: { card: SavedCard } }>(SAVE_CARD_WITH_LINK, {
      token,
      paymentMethodToken,
    });
    return { kind: 'saved', card: saveCardWithLink.card };
  } catch (cause) {
    const refusal = apiError(cause);
    if (!refusal) return apiUnavailable(cause);
    // Refused for asking too often: asking again for the link would be refused too.
    const link = refusal.code === 'TOO_MANY_ATTEMPTS' ? null : await findCardSetupLink(token, customer);
    return { kind: 'refused', ...refusal, link };
  }
}
