import { Migration } from '@mikro-orm/migrations';

/** See OutboxEvent: a recorded attempt's event does not wake the feeds; its outcome's events do. */
export class Migration20261204210000_QuietAttemptEvents extends Migration {

  override name = 'Migration20261204210000_QuietAttemptEvents';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "outbox_event_notify_fn"() returns trigger as $$ begin if new.type <> 'transaction.created' then perform pg_notify('kometpay_outbox', new.position::text || ',' || coalesce(new.merchant_id::text, '')); end if; return null; end; $$ language plpgsql;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function "outbox_event_notify_fn"() returns trigger as $$ begin perform pg_notify('kometpay_outbox', new.position::text || ',' || coalesce(new.merchant_id::text, '')); return null; end; $$ language plpgsql;`);
  }

}
