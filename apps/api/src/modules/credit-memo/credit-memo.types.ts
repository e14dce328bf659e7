import { IsNotEmpty, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MoneyType } from '../../kit/graphql/money.type.js';
import { MinorUnitsScalar } from '../../kit/graphql/scalars.js';
import type { CreditMemo } from './credit-memo.entity.js';

@InputType()
export class CreateCreditMemoInput {
  @Field(() => ID)
  invoiceId!: string;

  @Field(() => MinorUnitsScalar)
  amount!: bigint;

  @Field()
  @IsNotEmpty({ message: 'reason must not be empty' })
  @MaxLength(500)
  reason!: string;
}

@ObjectType('CreditMemo', { description: 'A credit on an invoice; issuing its refund makes it a partial refund.' })
export class CreditMemoType {
  @Field(() => ID)
  id!: string;

  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field()
  reason!: string;

  @Field(() => Date, { nullable: true })
  refundIssuedAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  invoiceId!: string;

  static from(memo: CreditMemo, currency: string): CreditMemoType {
    return Object.assign(new CreditMemoType(), {
      id: memo.id,
      amount: MoneyType.of(memo.amount, currency),
      reason: memo.reason,
      refundIssuedAt: memo.refundIssuedAt ?? null,
      createdAt: memo.createdAt,
      invoiceId: memo.invoice.id,
    });
  }
}
