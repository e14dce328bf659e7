import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PaymentMethodKind } from '../../domain/statuses.js';
import type { VaultedCard } from './vaulted-card.entity.js';

@ObjectType('VaultedCard')
export class VaultedCardType {
  @Field(() => ID)
  id!: string;

  @Field()
  brand!: string;

  @Field()
  last4!: string;

  @Field(() => Int)
  expMonth!: number;

  @Field(() => Int)
  expYear!: number;

  @Field(() => PaymentMethodKind)
  funding!: PaymentMethodKind;

  @Field({ description: 'True once the card is past its expiry month.' })
  expired!: boolean;

  static from(card: VaultedCard, now: Date): VaultedCardType {
    const expiresAfter = Date.UTC(card.expYear, card.expMonth, 1); // first day of the month after expiry
    return Object.assign(new VaultedCardType(), {
      id: card.id,
      brand: card.brand,
      last4: card.last4,
      expMonth: card.expMonth,
      expYear: card.expYear,
      funding: card.funding,
      expired: now.getTime() >= expiresAfter,
    });
  }
}

@ObjectType('CardSetupLink')
export class CardSetupLinkType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'CHECKOUT_URL/card/<token>; returned only here and in the email (only a hash is stored).' })
  url!: string;

  @Field(() => Date)
  expiresAt!: Date;
}
