import type { CardPageLinkFragment, SaveCardWithLinkMutation } from '@kometpay/schema/checkout';

/**
 * What the add-card page works with. The API's answers are typed by the checkout schema's operations
 * (packages/schema/operations/checkout/card-setup-link.graphql, generated into @kometpay/schema/checkout).
 * Types only: this module reaches the browser's bundle, which must carry no GraphQL document.
 */

export type CardSetupLink = CardPageLinkFragment;
export type SavedCard = SaveCardWithLinkMutation['saveCardWithLink']['card'];

/**
 * What POST /card/[token]/save answers: the saved card, or the API's refusal (`reason` says why the
 * processor refused the card) with the link as it now is (null when it could not be read again).
 */
export type CardSetupResponse =
  | { kind: 'saved'; card: SavedCard }
  | { kind: 'refused'; code: string; reason: string | null; link: CardSetupLink | null };
