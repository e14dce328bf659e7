import { Migration } from '@mikro-orm/migrations';

export class Migration20261122063205_Payouts extends Migration {

  override name = 'Migration20261122063205_Payouts';

  override up(): void | Promise<void> {
    this.addSql(`create table "processor_payout" ("reference" text not null, "status" text not null, "amount" bigint not null, "currency" text not null, "arrival_date" timestamptz not null, "entry_count" int not null, "settled_count" int not null default 0, "reconciled_at" timestamptz not null, primary key ("reference"));`);

    this.addSql(`alter table "transaction" add "settlement_reference" text null;`);
    this.addSql(`create index "transaction_settlement_reference_index" on "transaction" ("settlement_reference");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "processor_payout" cascade;`);

    this.addSql(`drop index "transaction_settlement_reference_index";`);
    this.addSql(`alter table "transaction" drop column "settlement_reference";`);
  }

}
