import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PaymentChannel, PaymentMethodKind, TransactionKind, TransactionStatus } from '../../domain/statuses.js';
import { PageInfoType } from '../../kit/graphql/connection.js';
import { MoneyType } from '../../kit/graphql/money.type.js';
import { DateScalar } from '../../kit/graphql/scalars.js';
import { TransactionType } from '../payments/index.js';
import type { SettlementTotals, TransactionTotals } from './report.service.js';

@InputType()
export class TransactionFilter {
  @Field(() => Date, { nullable: true, description: 'Created at or after.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Created before.' })
  to?: Date | null;

  @Field(() => TransactionKind, { nullable: true })
  kind?: TransactionKind | null;

  @Field(() => TransactionStatus, { nullable: true })
  status?: TransactionStatus | null;

  @Field(() => PaymentChannel, { nullable: true })
  channel?: PaymentChannel | null;

  @Field(() => PaymentMethodKind, { nullable: true })
  method?: PaymentMethodKind | null;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;

  @Field(() => ID, { nullable: true })
  invoiceId?: string | null;

  @Field(() => Boolean, { nullable: true })
  requiresManualReconciliation?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  reconciled?: boolean | null;

  @Field(() => String, { nullable: true, description: 'The currency of the totals (default USD); rows of every currency are listed.' })
  currency?: string | null;
}

@ObjectType('TransactionEdge', { simpleResolvers: true })
export class TransactionEdgeType {
  @Field()
  cursor!: string;

  @Field(() => TransactionType)
  node!: TransactionType;
}

@ObjectType('TransactionTotals', { simpleResolvers: true })
export class TransactionTotalsType {
  @Field({ description: 'ISO 4217 code of the sums.' })
  currency!: string;

  @Field(() => Int)
  count!: number;

  @Field(() => MoneyType, { description: 'Succeeded charges.' })
  charged!: MoneyType;

  @Field(() => MoneyType, { description: 'Succeeded refunds.' })
  refunded!: MoneyType;

  @Field(() => MoneyType, { description: 'Lost disputes (SUCCEEDED DISPUTE transactions): money that went back to cardholders.' })
  disputed!: MoneyType;

  @Field(() => MoneyType, { description: "Of the fees, the processors' dispute fees." })
  disputeFees!: MoneyType;

  @Field(() => MoneyType)
  fees!: MoneyType;

  static from(totals: TransactionTotals): TransactionTotalsType {
    const money = (amount: bigint) => MoneyType.of(amount, totals.currency);
    return Object.assign(new TransactionTotalsType(), {
      currency: totals.currency,
      count: totals.count,
      charged: money(totals.charged),
      refunded: money(totals.refunded),
      disputed: money(totals.disputed),
      disputeFees: money(totals.disputeFees),
      fees: money(totals.fees),
    });
  }
}

@ObjectType('TransactionConnection')
export class TransactionConnectionType {
  @Field(() => [TransactionEdgeType])
  edges!: TransactionEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  filter!: TransactionFilter;
}

@ObjectType('SettlementTotals', { simpleResolvers: true })
export class SettlementTotalsType {
  @Field(() => MoneyType)
  settled!: MoneyType;

  @Field(() => MoneyType)
  pending!: MoneyType;

  @Field(() => MoneyType, { description: 'Failed and returned payments.' })
  failed!: MoneyType;

  @Field(() => MoneyType)
  refunded!: MoneyType;

  @Field(() => MoneyType, {
    description: 'Disputed money the processor withdrew: open disputes (for now) and lost ones (for good), on the day each opened.',
  })
  disputed!: MoneyType;

  @Field(() => MoneyType, { description: 'Fees of the settled payments and of the disputes.' })
  fees!: MoneyType;

  @Field(() => MoneyType, { description: 'settled - refunded - disputed - fees' })
  net!: MoneyType;

  @Field(() => Int, { description: 'Payments (refunds are not counted).' })
  count!: number;

  static from(totals: SettlementTotals, currency: string): SettlementTotalsType {
    const money = (amount: bigint) => MoneyType.of(amount, currency);
    return Object.assign(new SettlementTotalsType(), {
      settled: money(totals.settled),
      pending: money(totals.pending),
      failed: money(totals.failed),
      refunded: money(totals.refunded),
      disputed: money(totals.disputed),
      fees: money(totals.fees),
      net: money(totals.net),
      count: totals.count,
    });
  }
}

@ObjectType('SettlementDay')
export class SettlementDayType {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => SettlementTotalsType)
  totals!: SettlementTotalsType;

  transactionIds!: string[];
}

@ObjectType('SettlementReport')
export class SettlementReportType {
  @Field(() => DateScalar)
  from!: string;

  @Field(() => DateScalar)
  to!: string;

  @Field()
  currency!: string;

  @Field(() => [SettlementDayType])
  days!: SettlementDayType[];

  @Field(() => SettlementTotalsType)
  totals!: SettlementTotalsType;
}
