import { Migration } from '@mikro-orm/migrations';

export class Migration20261122024921_Vault extends Migration {

  override name = 'Migration20261122024921_Vault';

  override up(): void | Promise<void> {
    this.addSql(`create table "card_setup_link" ("id" uuid not null, "merchant_id" uuid not null, "customer_id" uuid not null, "token_hash" text not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "vaulted_card_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "card_setup_link" add constraint "card_setup_link_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "card_setup_link_customer_id_created_at_index" on "card_setup_link" ("customer_id", "created_at");`);

    this.addSql(`alter table "customer" add "processor_customer_id" text null;`);

    this.addSql(`alter table "vaulted_card" add constraint "vaulted_card_merchant_id_processor_payment_method_id_unique" unique ("merchant_id", "processor_payment_method_id");`);

    this.addSql(`alter table "card_setup_link" add constraint "card_setup_link_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "card_setup_link" add constraint "card_setup_link_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "card_setup_link" cascade;`);

    this.addSql(`alter table "customer" drop column "processor_customer_id";`);

    this.addSql(`alter table "vaulted_card" drop constraint "vaulted_card_merchant_id_processor_payment_method_id_unique";`);
  }

}
