import { Migration } from '@mikro-orm/migrations';

/** REQUIRES_ACTION attempts (3-D Secure, micro-deposits) and what their customer must do; DISPUTE transactions. */
export class Migration20261204220000_AwaitingCustomerAction extends Migration {
  override name = 'Migration20261204220000_AwaitingCustomerAction';

  override up(): void | Promise<void> {
    this.addSql(`alter table "transaction" drop constraint if exists "transaction_status_check";`);
    this.addSql(
      `alter table "transaction" add constraint "transaction_status_check" check ("status" in ('PENDING', 'REQUIRES_ACTION', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'RETURNED'));`,
    );
    this.addSql(`alter table "transaction" drop constraint if exists "transaction_kind_check";`);
    this.addSql(`alter table "transaction" add constraint "transaction_kind_check" check ("kind" in ('CHARGE', 'REFUND', 'DISPUTE'));`);
    this.addSql(`alter table "transaction" add "next_action" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "transaction" drop column "next_action";`);
    this.addSql(`alter table "transaction" drop constraint if exists "transaction_kind_check";`);
    this.addSql(`alter table "transaction" add constraint "transaction_kind_check" check ("kind" in ('CHARGE', 'REFUND'));`);
    this.addSql(`alter table "transaction" drop constraint if exists "transaction_status_check";`);
    this.addSql(
      `alter table "transaction" add constraint "transaction_status_check" check ("status" in ('PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'RETURNED'));`,
    );
  }
}
