import { Migration } from '@mikro-orm/migrations';

export class Migration20261122023314_EmailOutbox extends Migration {

  override name = 'Migration20261122023314_EmailOutbox';

  override up(): void | Promise<void> {
    this.addSql(`create table "email_message" ("id" uuid not null, "merchant_id" uuid null, "template" text not null, "to_address" text not null, "subject" text not null, "html_body" text null, "text_body" text null, "status" text not null default 'QUEUED', "attempts" int not null default 0, "last_error" text null, "related_type" text null, "related_id" uuid null, "transport_message_id" text null, "created_at" timestamptz not null, "sent_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "email_message_merchant_id_index" on "email_message" ("merchant_id");`);
    this.addSql(`create index "email_message_related_type_related_id_index" on "email_message" ("related_type", "related_id");`);

    this.addSql(`alter table "email_message" add constraint "email_message_status_check" check ("status" in ('QUEUED', 'SENT', 'FAILED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "email_message" cascade;`);
  }

}
