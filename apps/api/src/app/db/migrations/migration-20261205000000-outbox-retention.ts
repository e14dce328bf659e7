import { Migration } from '@mikro-orm/migrations';

/** How far the retention job has pruned the outbox: cursors at or past this position still resume without a gap. */
export class Migration20261205000000_OutboxRetention extends Migration {
  override name = 'Migration20261205000000_OutboxRetention';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "outbox_retention" ("id" boolean not null default true check ("id"), "pruned_through" bigint not null default 0, "pruned_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`insert into "outbox_retention" ("id") values (true);`);
    this.addSql(`create index if not exists "outbox_event_occurred_at_index" on "outbox_event" ("occurred_at");`);
    this.addSql(`create index if not exists "idempotency_key_created_at_index" on "idempotency_key" ("created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "idempotency_key_created_at_index";`);
    this.addSql(`drop index if exists "outbox_event_occurred_at_index";`);
    this.addSql(`drop table if exists "outbox_retention";`);
  }
}
