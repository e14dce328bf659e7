import { Migration } from '@mikro-orm/migrations';

export class Migration20261122024338_Payments extends Migration {

  override name = 'Migration20261122024338_Payments';

  override up(): void | Promise<void> {
    this.addSql(`create table "processor_event" ("id" text not null, "type" text not null, "object_reference" text null, "received_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "sandbox_payment" ("id" text not null, "idempotency_key" text not null, "request_hash" text not null, "amount" bigint not null, "currency" text not null, "payment_method" text null, "customer" text null, "reader" text null, "status" text not null, "authorization_code" text null, "failure_code" text null, "refunded" bigint not null default '0', "metadata" jsonb not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "sandbox_payment_status_index" on "sandbox_payment" ("status");`);
    this.addSql(`alter table "sandbox_payment" add constraint "sandbox_payment_idempotency_key_unique" unique ("idempotency_key");`);

    this.addSql(`create table "sandbox_payment_method" ("id" text not null, "type" text not null, "behaviour" text not null, "brand" text null, "last4" text not null, "exp_month" smallint null, "exp_year" smallint null, "funding" text null, "customer" text null, "detached_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "sandbox_reader" ("id" text not null, "label" text not null, "idempotency_key" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "sandbox_reader" add constraint "sandbox_reader_idempotency_key_unique" unique ("idempotency_key");`);

    this.addSql(`create table "sandbox_refund" ("id" text not null, "idempotency_key" text not null, "request_hash" text not null, "payment" text not null, "amount" bigint not null, "currency" text not null, "status" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "sandbox_refund" add constraint "sandbox_refund_idempotency_key_unique" unique ("idempotency_key");`);

    this.addSql(`create table "terminal_reader" ("id" uuid not null, "merchant_id" uuid not null, "processor_reference" text not null, "label" text not null, "device_type" text not null, "status" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "terminal_reader_merchant_id_index" on "terminal_reader" ("merchant_id");`);
    this.addSql(`alter table "terminal_reader" add constraint "terminal_reader_processor_reference_unique" unique ("processor_reference");`);

    this.addSql(`alter table "transaction" add "payment_method_reference" text null, add "processor_customer_reference" text null, add "terminal_reader" text null;`);
    this.addSql(`create index "transaction_status_created_at_index" on "transaction" ("status", "created_at");`);

    this.addSql(`alter table "vaulted_card" add "processor_customer_id" text not null;`);

    this.addSql(`alter table "terminal_reader" add constraint "terminal_reader_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "processor_event" cascade;`);
    this.addSql(`drop table if exists "sandbox_payment" cascade;`);
    this.addSql(`drop table if exists "sandbox_payment_method" cascade;`);
    this.addSql(`drop table if exists "sandbox_reader" cascade;`);
    this.addSql(`drop table if exists "sandbox_refund" cascade;`);
    this.addSql(`drop table if exists "terminal_reader" cascade;`);

    this.addSql(`drop index "transaction_status_created_at_index";`);
    this.addSql(`alter table "transaction" drop column "payment_method_reference", drop column "processor_customer_reference", drop column "terminal_reader";`);

    this.addSql(`alter table "vaulted_card" drop column "processor_customer_id";`);
  }

}
