import { Migration } from '@mikro-orm/migrations';

export class Migration20261122024725_AchMandate extends Migration {

  override name = 'Migration20261122024725_AchMandate';

  override up(): void | Promise<void> {
    this.addSql(`alter table "transaction" add "ach_mandate" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "transaction" drop column "ach_mandate";`);
  }

}
