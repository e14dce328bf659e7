import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import type { MerchantActor } from '../modules/merchant/actor.js';
import type { SupervisorGate } from '../modules/merchant/supervisor.service.js';
import type { PartnerActor } from '../modules/partner/partner-actor.js';
import type { Services } from '../services.js';
import type { TokenLookupLimiter } from '../modules/checkout/token-lookup-limiter.js';
import type { EventScope, EventScopes } from './event-scope.js';
import type { Loaders } from './loaders.js';

interface BaseContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** This request's own EntityManager fork. */
  em: EntityManager;
  logger: Logger;
  settings: Settings;
  clock: Clock;
}

export interface MerchantContext extends BaseContext {
  actor: MerchantActor;
  services: Services;
  loaders: Loaders;
  supervisor: SupervisorGate;
}

/** The public checkout schema: no actor; what a request may touch is decided by the token it carries. */
export interface CheckoutContext extends BaseContext {
  services: Services;
  tokenLookups: TokenLookupLimiter;
}

/**
 * A partner key's operation (graphql-ws only: the payment status subscription). Resolvers written for
 * merchant keys read `actor` or `supervisor`: for a partner those throw FORBIDDEN rather than act for a merchant.
 */
export interface PartnerContext extends BaseContext {
  partner: PartnerActor;
  services: Services;
  loaders: Loaders;
  readonly actor: never;
  readonly supervisor: never;
}

/** A graphql-ws operation on the merchant schema: one context for the whole life of a subscription. */
export type SubscriptionContext = (MerchantContext | PartnerContext) & { eventScopes: EventScopes };

/**
 * Points the context at the unit of work of the event being resolved, for the nested field resolvers
 * that follow. graphql-ws executes a subscription's events one after another, never two at once.
 */
export function useEventScope(ctx: SubscriptionContext, scope: EventScope): void {
  ctx.em = scope.em;
  ctx.loaders = scope.loaders;
  ctx.services = scope.services;
}

export type RequestContext = MerchantContext;
