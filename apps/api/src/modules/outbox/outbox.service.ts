import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEvent } from './outbox-event.entity.js';

export interface DomainEvent {
  merchantId: string | null;
  aggregateType:
    | 'invoice'
    | 'payment_link'
    | 'transaction'
    | 'customer'
    | 'credit_memo'
    | 'vaulted_card'
    | 'partner_grant'
    | 'api_key'
    | 'partner_api_key'
    | 'merchant'
    | 'staff_member'
    | 'staff_session'
    | 'processor_account';
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
 * transaction that makes the change, so the event commits (or rolls back) with it. Its position is
 * known once flushed.
 */
export function recordEvent(em: EntityManager, event: DomainEvent, occurredAt: Date): OutboxEvent {
  return em.create(OutboxEvent, { ...event, payload: jsonSafe(event.payload) as Record<string, unknown>, occurredAt });
}

/** An event as a row of outbox_event, for statements that write their events themselves (the payments ledger). */
export interface OutboxRow {
  merchant_id: string | null;
  aggregate_type: DomainEvent['aggregateType'];
  aggregate_id: string;
  type: string;
  payload: unknown;
}

export function outboxRow(event: DomainEvent): OutboxRow {
  return {
    merchant_id: event.merchantId,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    type: event.type,
    payload: jsonSafe(event.payload),
  };
}

/**
 * Inserts events in the order given (their positions follow it), as part of a larger statement.
 * Parameters: the moment they occurred, then a JSON array of OutboxRow. `when`: an SQL condition
 * that must hold for any to be written.
 */
export const insertOutboxRowsSql = (
  when = 'true',
) => `insert into outbox_event (merchant_id, aggregate_type, aggregate_id, type, payload, occurred_at)
  select e.merchant_id, e.aggregate_type, e.aggregate_id, e.type, e.payload, ?::timestamptz
  from rows from (jsonb_to_recordset(?::jsonb) as (merchant_id uuid, aggregate_type text, aggregate_id uuid, type text, payload jsonb))
    with ordinality as e(merchant_id, aggregate_type, aggregate_id, type, payload, n)
  where ${when}
  order by e.n`;
