import { Migration } from '@mikro-orm/migrations';

export class Migration20261122021745_Initial extends Migration {

  override name = 'Migration20261122021745_Initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_log" ("id" bigserial primary key, "merchant_id" uuid not null, "actor_type" text not null, "actor_id" text null, "action" text not null, "target_type" text null, "target_id" text null, "details" jsonb not null, "request_id" text null, "ip" text null, "created_at" timestamptz not null);`);
    this.addSql(`create index "audit_log_merchant_id_created_at_index" on "audit_log" ("merchant_id", "created_at");`);

    this.addSql(`create table "idempotency_key" ("id" uuid not null, "scope" text not null, "key" text not null, "operation" text not null, "request_hash" text not null, "state" text not null default 'IN_PROGRESS', "response" jsonb null, "created_at" timestamptz not null, "completed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "idempotency_key" add constraint "idempotency_key_scope_key_unique" unique ("scope", "key");`);

    this.addSql(`create table "merchant" ("id" uuid not null, "name" text not null, "supervisor_password_hash" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "customer" ("id" uuid not null, "merchant_id" uuid not null, "name" text not null, "email" text not null, "external_ref" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "customer_merchant_id_created_at_index" on "customer" ("merchant_id", "created_at");`);
    this.addSql(`alter table "customer" add constraint "customer_merchant_id_external_ref_unique" unique ("merchant_id", "external_ref");`);

    this.addSql(`create table "invoice" ("id" uuid not null, "merchant_id" uuid not null, "customer_id" uuid not null, "number" text not null, "status" text not null default 'DRAFT', "currency" char(3) not null, "due_date" date null, "sent_at" timestamptz null, "voided_at" timestamptz null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "invoice_customer_id_created_at_index" on "invoice" ("customer_id", "created_at");`);
    this.addSql(`create index "invoice_merchant_id_status_created_at_index" on "invoice" ("merchant_id", "status", "created_at");`);
    this.addSql(`alter table "invoice" add constraint "invoice_merchant_id_number_unique" unique ("merchant_id", "number");`);

    this.addSql(`create table "invoice_line" ("id" uuid not null, "invoice_id" uuid not null, "position" int not null, "description" text not null, "quantity" int not null, "unit_amount" bigint not null, primary key ("id"));`);
    this.addSql(`alter table "invoice_line" add constraint "invoice_line_invoice_id_position_unique" unique ("invoice_id", "position");`);

    this.addSql(`create table "api_key" ("id" uuid not null, "merchant_id" uuid not null, "prefix" text not null, "token_hash" text not null, "label" text not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "api_key_merchant_id_index" on "api_key" ("merchant_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_prefix_unique" unique ("prefix");`);
    this.addSql(`alter table "api_key" add constraint "api_key_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "outbox_event" ("position" bigserial primary key, "merchant_id" uuid null, "aggregate_type" text not null, "aggregate_id" uuid not null, "type" text not null, "payload" jsonb not null, "occurred_at" timestamptz not null);`);
    this.addSql(`create index "outbox_event_merchant_id_position_index" on "outbox_event" ("merchant_id", "position");`);

    this.addSql(`create table "payment_link" ("id" uuid not null, "merchant_id" uuid not null, "invoice_id" uuid not null, "token_hash" text not null, "status" text not null default 'ACTIVE', "expires_at" timestamptz not null, "closed_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "payment_link" add constraint "payment_link_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "payment_link_status_expires_at_index" on "payment_link" ("status", "expires_at");`);
    this.addSql(`create index "payment_link_invoice_id_created_at_index" on "payment_link" ("invoice_id", "created_at");`);

    this.addSql(`create table "supervisor_session" ("id" uuid not null, "merchant_id" uuid not null, "api_key_id" uuid not null, "token_hash" text not null, "expires_at" timestamptz not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "supervisor_session_merchant_id_index" on "supervisor_session" ("merchant_id");`);
    this.addSql(`alter table "supervisor_session" add constraint "supervisor_session_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "transaction" ("id" uuid not null, "merchant_id" uuid not null, "customer_id" uuid null, "kind" text not null, "status" text not null default 'PENDING', "channel" text not null, "method" text not null, "amount" bigint not null, "currency" char(3) not null, "fee" bigint null, "authorization_code" text null, "processor_reference" text null, "card_brand" text null, "card_last4" text null, "failure_code" text null, "failure_message" text null, "description" text null, "refund_of_id" uuid null, "idempotency_key" text not null, "requires_manual_reconciliation" boolean not null default false, "reconciled_at" timestamptz null, "reconciled_by" text null, "settlement" text not null default 'PENDING', "settled_at" timestamptz null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "transaction_customer_id_index" on "transaction" ("customer_id");`);
    this.addSql(`create index "transaction_processor_reference_index" on "transaction" ("processor_reference");`);
    this.addSql(`create index "transaction_refund_of_id_index" on "transaction" ("refund_of_id");`);
    this.addSql(`create index "transaction_merchant_id_created_at_id_index" on "transaction" ("merchant_id", "created_at", "id");`);
    this.addSql(`alter table "transaction" add constraint "transaction_merchant_id_idempotency_key_unique" unique ("merchant_id", "idempotency_key");`);

    this.addSql(`create table "transaction_allocation" ("id" uuid not null, "transaction_id" uuid not null, "invoice_id" uuid not null, "amount" bigint not null, primary key ("id"));`);
    this.addSql(`create index "transaction_allocation_invoice_id_index" on "transaction_allocation" ("invoice_id");`);
    this.addSql(`alter table "transaction_allocation" add constraint "transaction_allocation_transaction_id_invoice_id_unique" unique ("transaction_id", "invoice_id");`);

    this.addSql(`create table "vaulted_card" ("id" uuid not null, "merchant_id" uuid not null, "customer_id" uuid not null, "processor_payment_method_id" text not null, "brand" text not null, "last4" char(4) not null, "exp_month" smallint not null, "exp_year" smallint not null, "funding" text not null, "created_at" timestamptz not null, "deleted_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "vaulted_card_customer_id_deleted_at_index" on "vaulted_card" ("customer_id", "deleted_at");`);

    this.addSql(`alter table "idempotency_key" add constraint "idempotency_key_state_check" check ("state" in ('IN_PROGRESS', 'COMPLETED'));`);

    this.addSql(`alter table "customer" add constraint "customer_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);

    this.addSql(`alter table "invoice" add constraint "invoice_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "invoice" add constraint "invoice_customer_id_foreign" foreign key ("customer_id") references "customer" ("id");`);
    this.addSql(`alter table "invoice" add constraint "invoice_status_check" check ("status" in ('DRAFT', 'OPEN', 'PARTIALLY_PAID', 'PAID', 'VOID'));`);

    this.addSql(`alter table "invoice_line" add constraint "invoice_line_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id") on delete cascade;`);

    this.addSql(`alter table "api_key" add constraint "api_key_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);

    this.addSql(`alter table "payment_link" add constraint "payment_link_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "payment_link" add constraint "payment_link_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id") on delete cascade;`);
    this.addSql(`alter table "payment_link" add constraint "payment_link_status_check" check ("status" in ('ACTIVE', 'PAID', 'EXPIRED', 'SUPERSEDED', 'VOID'));`);

    this.addSql(`alter table "supervisor_session" add constraint "supervisor_session_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "supervisor_session" add constraint "supervisor_session_api_key_id_foreign" foreign key ("api_key_id") references "api_key" ("id") on delete cascade;`);

    this.addSql(`alter table "transaction" add constraint "transaction_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "transaction" add constraint "transaction_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete set null;`);
    this.addSql(`alter table "transaction" add constraint "transaction_refund_of_id_foreign" foreign key ("refund_of_id") references "transaction" ("id") on delete set null;`);
    this.addSql(`alter table "transaction" add constraint "transaction_kind_check" check ("kind" in ('CHARGE', 'REFUND'));`);
    this.addSql(`alter table "transaction" add constraint "transaction_status_check" check ("status" in ('PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'RETURNED'));`);
    this.addSql(`alter table "transaction" add constraint "transaction_channel_check" check ("channel" in ('PAYMENT_LINK', 'MANUAL_ENTRY', 'TERMINAL', 'VIRTUAL_TERMINAL', 'VAULT', 'OFFLINE'));`);
    this.addSql(`alter table "transaction" add constraint "transaction_method_check" check ("method" in ('CREDIT_CARD', 'DEBIT_CARD', 'PREPAID_CARD', 'ACH', 'CHECK', 'CASH', 'OTHER'));`);
    this.addSql(`alter table "transaction" add constraint "transaction_settlement_check" check ("settlement" in ('SETTLED', 'PENDING', 'FAILED', 'RETURNED'));`);

    this.addSql(`alter table "transaction_allocation" add constraint "transaction_allocation_transaction_id_foreign" foreign key ("transaction_id") references "transaction" ("id") on delete cascade;`);
    this.addSql(`alter table "transaction_allocation" add constraint "transaction_allocation_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id");`);

    this.addSql(`alter table "vaulted_card" add constraint "vaulted_card_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "vaulted_card" add constraint "vaulted_card_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
    this.addSql(`alter table "vaulted_card" add constraint "vaulted_card_funding_check" check ("funding" in ('CREDIT_CARD', 'DEBIT_CARD', 'PREPAID_CARD', 'ACH', 'CHECK', 'CASH', 'OTHER'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "customer" drop constraint "customer_merchant_id_foreign";`);
    this.addSql(`alter table "invoice" drop constraint "invoice_merchant_id_foreign";`);
    this.addSql(`alter table "api_key" drop constraint "api_key_merchant_id_foreign";`);
    this.addSql(`alter table "payment_link" drop constraint "payment_link_merchant_id_foreign";`);
    this.addSql(`alter table "supervisor_session" drop constraint "supervisor_session_merchant_id_foreign";`);
    this.addSql(`alter table "transaction" drop constraint "transaction_merchant_id_foreign";`);
    this.addSql(`alter table "vaulted_card" drop constraint "vaulted_card_merchant_id_foreign";`);
    this.addSql(`alter table "invoice" drop constraint "invoice_customer_id_foreign";`);
    this.addSql(`alter table "transaction" drop constraint "transaction_customer_id_foreign";`);
    this.addSql(`alter table "vaulted_card" drop constraint "vaulted_card_customer_id_foreign";`);
    this.addSql(`alter table "invoice_line" drop constraint "invoice_line_invoice_id_foreign";`);
    this.addSql(`alter table "payment_link" drop constraint "payment_link_invoice_id_foreign";`);
    this.addSql(`alter table "transaction_allocation" drop constraint "transaction_allocation_invoice_id_foreign";`);
    this.addSql(`alter table "supervisor_session" drop constraint "supervisor_session_api_key_id_foreign";`);
    this.addSql(`alter table "transaction" drop constraint "transaction_refund_of_id_foreign";`);
    this.addSql(`alter table "transaction_allocation" drop constraint "transaction_allocation_transaction_id_foreign";`);

    this.addSql(`drop table if exists "audit_log" cascade;`);
    this.addSql(`drop table if exists "idempotency_key" cascade;`);
    this.addSql(`drop table if exists "merchant" cascade;`);
    this.addSql(`drop table if exists "customer" cascade;`);
    this.addSql(`drop table if exists "invoice" cascade;`);
    this.addSql(`drop table if exists "invoice_line" cascade;`);
    this.addSql(`drop table if exists "api_key" cascade;`);
    this.addSql(`drop table if exists "outbox_event" cascade;`);
    this.addSql(`drop table if exists "payment_link" cascade;`);
    this.addSql(`drop table if exists "supervisor_session" cascade;`);
    this.addSql(`drop table if exists "transaction" cascade;`);
    this.addSql(`drop table if exists "transaction_allocation" cascade;`);
    this.addSql(`drop table if exists "vaulted_card" cascade;`);
  }

}
