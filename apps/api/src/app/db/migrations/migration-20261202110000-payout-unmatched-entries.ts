import { Migration } from '@mikro-orm/migrations';

export class Migration20261202110000_PayoutUnmatchedEntries extends Migration {

  override name = 'Migration20261202110000_PayoutUnmatchedEntries';

  override up(): void | Promise<void> {
    this.addSql(`alter table "processor_payout" add "unmatched_entries" jsonb not null default '[]';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "processor_payout" drop column "unmatched_entries";`);
  }

}
