import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customer/index.js';
import { Merchant } from '../merchant/index.js';

/** "Send New CC Link": a single-use link for a customer to add a card to their vault. Stored hashed. */
@Entity({ tableName: 'card_setup_link' })
@Index({ properties: ['customer', 'createdAt'] })
export class CardSetupLink {
  [OptionalProps]?: 'createdAt' | 'usedAt' | 'vaultedCardId';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Customer, { deleteRule: 'cascade' })
  customer!: Customer;

  @Property({ type: 'text', unique: true, hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Set when a card is being (or was) saved with it: the link is then used up. */
  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  vaultedCardId?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
