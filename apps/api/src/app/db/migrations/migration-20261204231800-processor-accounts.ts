import { Migration } from '@mikro-orm/migrations';

/** Each merchant's own processor account (Stripe Connect; a sandbox account), and the sandbox's objects kept per account. */
export class Migration20261204231800_ProcessorAccounts extends Migration {
  override name = 'Migration20261204231800_ProcessorAccounts';

  override up(): void | Promise<void> {
    this.addSql(`create table "processor_account" (
      "merchant_id" uuid not null,
      "kind" text not null check ("kind" in ('sandbox', 'stripe')),
      "reference" text not null,
      "status" text not null check ("status" in ('PENDING_ONBOARDING', 'RESTRICTED', 'ACTIVE', 'DISABLED')),
      "charges_enabled" boolean not null,
      "payouts_enabled" boolean not null,
      "requirements_due" jsonb not null default '[]',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "processor_account_pkey" primary key ("merchant_id"));`);
    this.addSql(`alter table "processor_account" add constraint "processor_account_reference_unique" unique ("reference");`);
    this.addSql(`alter table "processor_account" add constraint "processor_account_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "sandbox_account" (
      "id" text not null, "idempotency_key" text not null, "name" text not null, "status" text not null,
      "created_at" timestamptz not null, constraint "sandbox_account_pkey" primary key ("id"));`);
    this.addSql(`alter table "sandbox_account" add constraint "sandbox_account_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`alter table "sandbox_payment" add "account" text null;`);
    this.addSql(`alter table "sandbox_refund" add "account" text null;`);
    this.addSql(`alter table "sandbox_reader" add "account" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sandbox_reader" drop column "account";`);
    this.addSql(`alter table "sandbox_refund" drop column "account";`);
    this.addSql(`alter table "sandbox_payment" drop column "account";`);
    this.addSql(`drop table if exists "sandbox_account";`);
    this.addSql(`drop table if exists "processor_account";`);
  }
}
