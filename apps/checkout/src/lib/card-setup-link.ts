import type { Processor } from './payment-link';

/** What the add-card page works with: the checkout schema's types, as the checkout server hands them on. */

export type CardSetupLinkStatus = 'ACTIVE' | 'USED' | 'EXPIRED';

export interface CardSetupLink {
  status: CardSetupLinkStatus;
  merchantName: string;
  customerName: string;
  /** ISO 8601 date-time. */
  expiresAt: string;
  processor: Processor;
}

export interface SavedCard {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/**
 * What POST /card/[token]/save answers: the saved card, or the API's refusal (`reason` says why the
 * processor refused the card) with the link as it now is (null when it could not be read again).
 */
export type CardSetupResponse =
  | { kind: 'saved'; card: SavedCard }
  | { kind: 'refused'; code: string; reason: string | null; link: CardSetupLink | null };
