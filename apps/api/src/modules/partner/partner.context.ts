import type { BaseContext } from '../../kit/graphql/context.js';
import type { EventScope, EventScopes } from '../../kit/graphql/event-scope.js';
import type { MerchantContext } from '../merchant/index.js';
import type { PartnerActor } from './partner-actor.js';

/**
 * A partner key's operation (graphql-ws only: the payment status subscription). Resolvers written for
 * merchant keys read `actor` or `supervisor`: for a partner those throw FORBIDDEN rather than act for a merchant.
 */
export interface PartnerContext<Services, Loaders> extends BaseContext<Services> {
  partner: PartnerActor;
  loaders: Loaders;
  readonly actor: never;
  readonly supervisor: never;
}

/** A graphql-ws operation on the merchant schema: one context for the whole life of a subscription. */
export type SubscriptionContext<Services, Loaders> = (MerchantContext<Services, Loaders> | PartnerContext<Services, Loaders>) & {
  eventScopes: EventScopes<EventScope<Services, Loaders>>;
};
