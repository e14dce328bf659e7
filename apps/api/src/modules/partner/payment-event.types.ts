import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { InvoiceType } from '../invoice/index.js';
import { TransactionType } from '../payments/index.js';

@ObjectType('PaymentEvent', { description: 'One state change of a transaction, in outbox order.' })
export class PaymentEventType {
  @Field({ description: 'Opaque. Pass it as `after` to resume right after this event.' })
  cursor!: string;

  @Field({
    description:
      'What happened: transaction.created, transaction.processing, transaction.succeeded, transaction.failed, transaction.returned, transaction.refunded, transaction.settled, transaction.settlement_reversed, …',
  })
  type!: string;

  @Field(() => Date)
  occurredAt!: Date;

  @Field(() => TransactionType, {
    description: 'The transaction as it is when the event is delivered (`type` says which change this event records).',
  })
  transaction!: TransactionType;

  @Field(() => [InvoiceType], { description: 'The invoices the transaction touches.' })
  invoices!: InvoiceType[];
}

@ArgsType()
export class PaymentStatusChangedArgs {
  @Field(() => ID, {
    nullable: true,
    description: 'The merchant to follow: required with a partner key (a merchant that granted it access); a merchant key follows its own.',
  })
  merchantId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only the events of transactions touching this invoice.' })
  invoiceId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The cursor of the last event received: every later event is replayed, then the stream goes live. Without it, the stream starts now.',
  })
  after?: string | null;
}
