import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Held (shared) by every transaction that writes an outbox row, until it ends: OutboxFeed finds the
 * writers still in flight in pg_locks. A pair of int4 keys, which pg_locks shows as classid/objid.
 */
export const OUTBOX_WRITER_LOCK = [1802464613, 1869968482] as const;

/**
 * The event outbox: every state change writes one row in the same DB transaction as the change.
 * Subscriptions, emails and jobs are driven from it, so nothing is lost if a process dies.
 *
 * Two triggers serve the subscriptions (OutboxFeed explains why):
 * - `assign_position`: before a row takes its position, its transaction takes the writer lock and
 *   its transaction id, so that a position not yet visible always belongs to a writer pg_locks
 *   shows. The bigserial default is drawn before BEFORE triggers run, so it is overwritten (and
 *   wasted): positions increase but are not contiguous (rollbacks already left gaps).
 * - `notify`: an insert, whoever writes it, notifies `kometpay_outbox` with
 *   "<position>,<merchant id>" at commit, waking the API instances that listen. All but a recorded
 *   attempt's `transaction.created`: a NOTIFY serialises its transaction's commit with every other
 *   notifying commit of the database (PostgreSQL holds one lock from NOTIFY to the end of the
 *   commit), and an attempt's outcome follows moments later in a transaction that notifies anyway,
 *   and the feeds read every row up to it. An attempt whose outcome never comes (a crash) reaches
 *   subscribers with the feeds' heartbeat poll, within two seconds.
 */
@Entity({
  tableName: 'outbox_event',
  triggers: [
    {
      name: 'assign_position',
      timing: 'before',
      events: ['insert'],
      body: `perform pg_advisory_xact_lock_shared(${OUTBOX_WRITER_LOCK.join(', ')}); perform pg_current_xact_id(); new.position := nextval('outbox_event_position_seq'); return new;`,
    },
    {
      name: 'notify',
      timing: 'after',
      events: ['insert'],
      body: `if new.type <> 'transaction.created' then perform pg_notify('kometpay_outbox', new.position::text || ',' || coalesce(new.merchant_id::text, '')); end if; return null;`,
    },
  ],
})
// The retention job prunes by age.
@Index({ name: 'outbox_event_occurred_at_index', properties: ['occurredAt'] })
export class OutboxEvent {
  [OptionalProps]?: 'position' | 'occurredAt';

  /** Monotonic position, the cursor partners resume from. */
  @PrimaryKey({ type: new BigIntType('bigint'), autoincrement: true })
  position!: bigint;

  @Property({ type: 'uuid', nullable: true })
  merchantId?: string | null;

  @Property({ type: 'text' })
  aggregateType!: string;

  @Property({ type: 'uuid' })
  aggregateId!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();
}
