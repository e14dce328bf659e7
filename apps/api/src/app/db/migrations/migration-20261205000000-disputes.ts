import { Migration } from '@mikro-orm/migrations';

/** Disputes (chargebacks) of charges, and the sandbox's own. */
export class Migration20261205000000_Disputes extends Migration {
  override name = 'Migration20261205000000_Disputes';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "dispute" ("id" uuid not null, "merchant_id" uuid not null, "charge_id" uuid not null, "transaction_id" uuid not null, "processor_reference" text not null, "status" text check ("status" in ('NEEDS_RESPONSE', 'UNDER_REVIEW', 'WON', 'LOST')) not null, "amount" bigint not null, "fee" bigint not null, "currency" character(3) not null, "reason" text not null, "evidence_due_by" timestamptz null, "opened_at" timestamptz not null, "closed_at" timestamptz null, "evidence_submitted_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"), constraint dispute_amount_positive check (amount > 0));`,
    );
    this.addSql(`create index "dispute_charge_id_index" on "dispute" ("charge_id");`);
    this.addSql(`create index "dispute_merchant_id_created_at_id_index" on "dispute" ("merchant_id", "created_at", "id");`);
    this.addSql(`alter table "dispute" add constraint "dispute_processor_reference_unique" unique ("processor_reference");`);
    this.addSql(
      `alter table "dispute" add constraint "dispute_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "dispute" add constraint "dispute_charge_id_foreign" foreign key ("charge_id") references "transaction" ("id");`);
    this.addSql(
      `alter table "dispute" add constraint "dispute_transaction_id_foreign" foreign key ("transaction_id") references "transaction" ("id");`,
    );

    this.addSql(
      `create table "sandbox_dispute" ("id" text not null, "payment" text not null, "amount" bigint not null, "currency" text not null, "status" text not null, "reason" text not null, "fee" bigint not null, "evidence_due_by" timestamptz not null, "evidence" jsonb null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "sandbox_dispute" add constraint "sandbox_dispute_payment_unique" unique ("payment");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "dispute" cascade;`);
    this.addSql(`drop table if exists "sandbox_dispute" cascade;`);
  }
}
