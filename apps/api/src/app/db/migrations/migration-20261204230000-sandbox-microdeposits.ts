import { Migration } from '@mikro-orm/migrations';

/** The sandbox's bank debits that wait for micro-deposit verification, and the wrong answers they took. */
export class Migration20261204230000_SandboxMicrodeposits extends Migration {
  override name = 'Migration20261204230000_SandboxMicrodeposits';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sandbox_payment" add "microdeposit_type" text null, add "verification_attempts" smallint not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sandbox_payment" drop column "microdeposit_type", drop column "verification_attempts";`);
  }
}
