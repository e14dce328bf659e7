import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Merchant } from '../merchant/merchant.entity.js';
import { Partner } from './partner.entity.js';

/**
 * A merchant's permission for a partner to follow its payments. One row per pair: a revoke stamps
 * `revokedAt`, a later grant clears it again.
 */
@Entity({ tableName: 'partner_grant' })
@Unique({ properties: ['merchant', 'partner'] })
export class PartnerGrant {
  [OptionalProps]?: 'revokedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Partner, { deleteRule: 'cascade' })
  @Index()
  partner!: Partner;

  @Property({ type: 'datetime' })
  grantedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
