import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Partner } from './partner.entity.js';

/** A partner API key (`kpp_…`): the merchant key scheme, with its own prefix. Only its SHA-256 is stored. */
@Entity({ tableName: 'partner_api_key' })
export class PartnerApiKey {
  [OptionalProps]?: 'createdAt' | 'lastUsedAt' | 'revokedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Partner, { deleteRule: 'cascade' })
  @Index()
  partner!: Partner;

  @Property({ type: 'text', unique: true })
  prefix!: string;

  @Property({ type: 'text', unique: true, hidden: true })
  tokenHash!: string;

  @Property({ type: 'text' })
  label!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
