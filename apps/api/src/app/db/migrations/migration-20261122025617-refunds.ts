import { Migration } from '@mikro-orm/migrations';

export class Migration20261122025617_Refunds extends Migration {

  override name = 'Migration20261122025617_Refunds';

  override up(): void | Promise<void> {
    this.addSql(`create table "credit_memo" ("id" uuid not null, "merchant_id" uuid not null, "invoice_id" uuid not null, "amount" bigint not null, "reason" text not null, "refund_issued_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "credit_memo_invoice_id_created_at_index" on "credit_memo" ("invoice_id", "created_at");`);

    this.addSql(`alter table "transaction" add "credit_memo" uuid null;`);
    this.addSql(`create index "transaction_credit_memo_index" on "transaction" ("credit_memo");`);

    this.addSql(`alter table "credit_memo" add constraint "credit_memo_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "credit_memo" add constraint "credit_memo_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id") on delete cascade;`);
    this.addSql(`alter table "credit_memo" add constraint "credit_memo_amount_positive" check (amount > 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "credit_memo" cascade;`);

    this.addSql(`drop index "transaction_credit_memo_index";`);
    this.addSql(`alter table "transaction" drop column "credit_memo";`);
  }

}
