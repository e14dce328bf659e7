import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEvent } from './outbox-event.entity.js';

export interface DomainEvent {
  merchantId: string | null;
  aggregateType: 'invoice' | 'payment_link' | 'transaction' | 'customer' | 'credit_memo' | 'vaulted_card' | 'partner_grant' | 'api_key' | 'partner_api_key';
  aggregateId: string;
  type: string;
  payload: Record<string, unknown>;
}

/** JSON cannot hold a bigint; amounts travel as strings of minor units, like on the API. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/**
 * Records a state change in the event outbox. It must be called with the EntityManager of the
 * transaction that makes the change, so the event commits (or rolls back) with it.
 */
export function recordEvent(em: EntityManager, event: DomainEvent, occurredAt: Date): void {
  em.create(OutboxEvent, { ...event, payload: jsonSafe(event.payload) as Record<string, unknown>, occurredAt });
}
