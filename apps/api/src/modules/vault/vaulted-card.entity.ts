import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { PaymentMethodKind } from '../../domain/statuses.js';
import { Customer } from '../customer/index.js';
import { Merchant } from '../merchant/index.js';

/**
 * A card saved in a customer's vault. Only the processor's payment-method id and display facts are
 * kept: never a card number or CVC.
 */
@Entity({ tableName: 'vaulted_card' })
@Index({ properties: ['customer', 'deletedAt'] })
@Unique({ properties: ['merchant', 'processorPaymentMethodId'] })
export class VaultedCard {
  [OptionalProps]?: 'createdAt' | 'deletedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Customer, { deleteRule: 'cascade' })
  customer!: Customer;

  @Property({ type: 'text' })
  processorPaymentMethodId!: string;

  /** The processor customer the card is attached to (Stripe: cus_...). */
  @Property({ type: 'text' })
  processorCustomerId!: string;

  @Property({ type: 'text' })
  brand!: string;

  @Property({ type: 'character', length: 4 })
  last4!: string;

  @Property({ type: 'smallint' })
  expMonth!: number;

  @Property({ type: 'smallint' })
  expYear!: number;

  @Enum({ items: () => PaymentMethodKind })
  funding!: PaymentMethodKind;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** Deleted cards are detached at the processor and kept only for the audit trail. */
  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;
}
