import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Merchant } from '../merchant/index.js';

/** A card-present reader registered at the processor (Stripe Terminal, or the sandbox's simulated one). */
@Entity({ tableName: 'terminal_reader' })
@Unique({ properties: ['processorReference'] })
export class TerminalReader {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  @Index()
  merchant!: Merchant;

  @Property({ type: 'text' })
  processorReference!: string;

  @Property({ type: 'text' })
  label!: string;

  @Property({ type: 'text' })
  deviceType!: string;

  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
