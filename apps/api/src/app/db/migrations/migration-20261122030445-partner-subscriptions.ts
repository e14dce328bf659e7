import { Migration } from '@mikro-orm/migrations';

/** Partners, their API keys and the merchants' grants; the outbox triggers the subscriptions rely on (see OutboxEvent). */
export class Migration20261122030445_PartnerSubscriptions extends Migration {

  override name = 'Migration20261122030445_PartnerSubscriptions';

  override up(): void | Promise<void> {
    this.addSql(`create table "partner" ("id" uuid not null, "name" text not null, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "partner_api_key" ("id" uuid not null, "partner_id" uuid not null, "prefix" text not null, "token_hash" text not null, "label" text not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "partner_api_key_partner_id_index" on "partner_api_key" ("partner_id");`);
    this.addSql(`alter table "partner_api_key" add constraint "partner_api_key_prefix_unique" unique ("prefix");`);
    this.addSql(`alter table "partner_api_key" add constraint "partner_api_key_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "partner_grant" ("id" uuid not null, "merchant_id" uuid not null, "partner_id" uuid not null, "granted_at" timestamptz not null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "partner_grant_partner_id_index" on "partner_grant" ("partner_id");`);
    this.addSql(`alter table "partner_grant" add constraint "partner_grant_merchant_id_partner_id_unique" unique ("merchant_id", "partner_id");`);

    this.addSql(`drop index "outbox_event_merchant_id_position_index";`);
    this.addSql(`create or replace function "outbox_event_assign_position_fn"() returns trigger as \$\$ begin perform pg_advisory_xact_lock_shared(1802464613, 1869968482); perform pg_current_xact_id(); new.position := nextval('outbox_event_position_seq'); return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "assign_position" BEFORE INSERT on "outbox_event" for each ROW execute function "outbox_event_assign_position_fn"();`);
    this.addSql(`create or replace function "outbox_event_notify_fn"() returns trigger as \$\$ begin perform pg_notify('kometpay_outbox', new.position::text || ',' || coalesce(new.merchant_id::text, '')); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "notify" AFTER INSERT on "outbox_event" for each ROW execute function "outbox_event_notify_fn"();`);

    this.addSql(`alter table "partner_api_key" add constraint "partner_api_key_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete cascade;`);

    this.addSql(`alter table "partner_grant" add constraint "partner_grant_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "partner_grant" add constraint "partner_grant_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "partner_api_key" drop constraint "partner_api_key_partner_id_foreign";`);
    this.addSql(`alter table "partner_grant" drop constraint "partner_grant_partner_id_foreign";`);

    this.addSql(`drop table if exists "partner" cascade;`);
    this.addSql(`drop table if exists "partner_api_key" cascade;`);
    this.addSql(`drop table if exists "partner_grant" cascade;`);

    this.addSql(`drop trigger if exists "assign_position" on "outbox_event";`);
    this.addSql(`drop function if exists "outbox_event_assign_position_fn"();`);
    this.addSql(`drop trigger if exists "notify" on "outbox_event";`);
    this.addSql(`drop function if exists "outbox_event_notify_fn"();`);
    this.addSql(`CREATE INDEX outbox_event_merchant_id_position_index ON public.outbox_event USING btree (merchant_id, "position");`);
  }

}
