import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ApiKey } from './api-key.entity.js';
import { Merchant } from './merchant.entity.js';

/** A short-lived supervisor elevation, granted by the supervisor password. Stored hashed. */
@Entity({ tableName: 'supervisor_session' })
export class SupervisorSession {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  @Index()
  merchant!: Merchant;

  @ManyToOne(() => ApiKey, { deleteRule: 'cascade' })
  apiKey!: ApiKey;

  @Property({ type: 'text', unique: true, hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
