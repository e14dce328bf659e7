import { randomUUID } from 'node:crypto';
import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Merchant } from '../merchant/index.js';
import { Partner } from './partner.entity.js';

/**
 * One period of a merchant's permission for a partner to follow its payments: from a grant to its
 * revoke. A grant after a revoke is a new row, so the history of periods stays: a partner's replay
 * delivers only the events that fall inside one (PaymentEventService). At most one period per pair is
 * open. Periods are bounded by outbox positions, the order the events are delivered in.
 */
@Entity({ tableName: 'partner_grant' })
@Index({ properties: ['merchant', 'partner'] })
@Unique({
  name: 'partner_grant_open_unique',
  expression: 'create unique index "partner_grant_open_unique" on "partner_grant" ("merchant_id", "partner_id") where "revoked_at" is null',
})
export class PartnerGrant {
  [OptionalProps]?: 'revokedAt' | 'revokedPosition';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Partner, { deleteRule: 'cascade' })
  @Index()
  partner!: Partner;

  @Property({ type: 'datetime' })
  grantedAt!: Date;

  /** The outbox position of the `partner_grant.granted` event: the partner may see the merchant's events after it. */
  @Property({ type: new BigIntType('bigint') })
  grantedPosition!: bigint;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  /** The outbox position of the `partner_grant.revoked` event: nothing after it, until another grant. */
  @Property({ type: new BigIntType('bigint'), nullable: true })
  revokedPosition?: bigint | null;
}
