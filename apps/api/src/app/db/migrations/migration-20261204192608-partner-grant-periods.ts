import { Migration } from '@mikro-orm/migrations';

/**
 * Partner grants become one row per period of access, bounded by the outbox positions of their grant
 * and revoke events, so that a partner's replay can leave out what fell outside them. The sandbox's
 * payment methods belong to the merchant account that first uses them.
 *
 * Rows written before keep one period, their latest: from the last grant event of the row (or, with
 * none left, from the end of the outbox) to its revoke event if revoked. Earlier periods of a row were
 * overwritten in place and are not recovered: the partner's replay starts at its latest grant, the
 * safe side.
 */
export class Migration20261204192608_PartnerGrantPeriods extends Migration {

  override name = 'Migration20261204192608_PartnerGrantPeriods';

  override up(): void | Promise<void> {
    this.addSql(`alter table "partner_grant" drop constraint "partner_grant_merchant_id_partner_id_unique";`);
    this.addSql(`alter table "partner_grant" add "granted_position" bigint null, add "revoked_position" bigint null;`);
    this.addSql(`update "partner_grant" g set "granted_position" = coalesce(
      (select max(e."position") from "outbox_event" e where e."aggregate_id" = g."id" and e."type" = 'partner_grant.granted'),
      (select coalesce(max("position"), 0) from "outbox_event"));`);
    this.addSql(`update "partner_grant" g set "revoked_position" = coalesce(
      (select max(e."position") from "outbox_event" e where e."aggregate_id" = g."id" and e."type" = 'partner_grant.revoked' and e."position" > g."granted_position"),
      (select greatest(coalesce(max("position"), 0), g."granted_position") from "outbox_event"))
      where g."revoked_at" is not null;`);
    this.addSql(`alter table "partner_grant" alter column "granted_position" set not null;`);
    this.addSql(`create index "partner_grant_merchant_id_partner_id_index" on "partner_grant" ("merchant_id", "partner_id");`);
    this.addSql(`create unique index "partner_grant_open_unique" on "partner_grant" ("merchant_id", "partner_id") where "revoked_at" is null;`);

    this.addSql(`alter table "sandbox_payment_method" add "account" text null;`);
  }

  override down(): void | Promise<void> {
    // Back to one row per pair: the latest period of each.
    this.addSql(`delete from "partner_grant" g where exists (select 1 from "partner_grant" newer
      where newer."merchant_id" = g."merchant_id" and newer."partner_id" = g."partner_id" and newer."granted_position" > g."granted_position");`);
    this.addSql(`drop index "partner_grant_merchant_id_partner_id_index";`);
    this.addSql(`drop index "partner_grant_open_unique";`);
    this.addSql(`alter table "partner_grant" drop column "granted_position", drop column "revoked_position";`);
    this.addSql(`alter table "partner_grant" add constraint "partner_grant_merchant_id_partner_id_unique" unique ("merchant_id", "partner_id");`);

    this.addSql(`alter table "sandbox_payment_method" drop column "account";`);
  }

}
