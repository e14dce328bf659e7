import { Field, ObjectType } from 'type-graphql';
import { formatMoney } from '../../domain/money.js';
import { MinorUnitsScalar } from './scalars.js';

@ObjectType('Money', { simpleResolvers: true })
export class MoneyType {
  @Field(() => MinorUnitsScalar)
  amount!: bigint;

  @Field({ description: 'ISO 4217 code, e.g. USD.' })
  currency!: string;

  /** Formatted only when a query asks for it: a page of transactions holds a hundred amounts. */
  @Field({ description: 'For people, e.g. "$1,234.56".' })
  get formatted(): string {
    return formatMoney(this.amount, this.currency);
  }

  static of(amount: bigint, currency: string): MoneyType {
    return Object.assign(new MoneyType(), { amount, currency });
  }
}
