import type { EntityManager } from '@mikro-orm/postgresql';

/** The unit of work an event is resolved in: what a request has (an EntityManager fork, its loaders and services). */
export interface EventScope<Services, Loaders> {
  em: EntityManager;
  loaders: Loaders;
  services: Services;
}

/**
 * A subscription lives across many events, and each event is resolved by every subscriber of this
 * instance: each event gets its own unit of work (fresh data, not the first event's), shared by
 * those subscribers for a few seconds, so a thousand of them cost the database what one does.
 */
export class EventScopes<Scope> {
  private readonly scopes = new Map<string, { scope: Scope; expiresAt: number }>();

  constructor(
    private readonly open: (key: string) => Scope,
    private readonly ttlMs = 5_000,
  ) {}

  for(key: string): Scope {
    const now = Date.now();
    // Insertion order is expiry order: drop the expired ones from the front.
    for (const [expiredKey, entry] of this.scopes) {
      if (entry.expiresAt > now) break;
      this.scopes.delete(expiredKey);
    }
    let entry = this.scopes.get(key);
    if (!entry) {
      entry = { scope: this.open(key), expiresAt: now + this.ttlMs };
      this.scopes.set(key, entry);
    }
    return entry.scope;
  }
}

/**
 * Points a subscription's context at the unit of work of the event being resolved, for the nested
 * field resolvers that follow. graphql-ws executes a subscription's events one after another, never two at once.
 */
export function useEventScope<Services, Loaders>(ctx: EventScope<Services, Loaders>, scope: EventScope<Services, Loaders>): void {
  ctx.em = scope.em;
  ctx.loaders = scope.loaders;
  ctx.services = scope.services;
}
