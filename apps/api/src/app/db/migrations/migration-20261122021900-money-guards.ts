import { Migration } from '@mikro-orm/migrations';

/** Guards the database keeps even if a code path forgets: positive money, one live link per invoice. */
export class Migration20261122021900_MoneyGuards extends Migration {
  override name = 'Migration20261122021900_MoneyGuards';

  override up(): void {
    this.addSql(`alter table "invoice_line" add constraint "invoice_line_quantity_positive" check ("quantity" > 0);`);
    this.addSql(`alter table "invoice_line" add constraint "invoice_line_unit_amount_non_negative" check ("unit_amount" >= 0);`);
    this.addSql(`alter table "transaction" add constraint "transaction_amount_positive" check ("amount" > 0);`);
    this.addSql(`alter table "transaction" add constraint "transaction_fee_non_negative" check ("fee" is null or "fee" >= 0);`);
    this.addSql(`alter table "transaction_allocation" add constraint "transaction_allocation_amount_positive" check ("amount" > 0);`);
    this.addSql(`create unique index "payment_link_one_active_per_invoice" on "payment_link" ("invoice_id") where "status" = 'ACTIVE';`);
    // rate-limiter-flexible's PostgreSQL store (supervisor password attempts); shared by every API instance.
    this.addSql(`create table "rate_limit" ("key" varchar(255) primary key, "points" integer not null default 0, "expire" bigint);`);
  }

  override down(): void {
    this.addSql(`drop table if exists "rate_limit";`);
    this.addSql(`drop index if exists "payment_link_one_active_per_invoice";`);
    this.addSql(`alter table "transaction_allocation" drop constraint "transaction_allocation_amount_positive";`);
    this.addSql(`alter table "transaction" drop constraint "transaction_fee_non_negative";`);
    this.addSql(`alter table "transaction" drop constraint "transaction_amount_positive";`);
    this.addSql(`alter table "invoice_line" drop constraint "invoice_line_unit_amount_non_negative";`);
    this.addSql(`alter table "invoice_line" drop constraint "invoice_line_quantity_positive";`);
  }
}
