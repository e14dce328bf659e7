import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PublicLinkStatus } from '../../domain/invoice-amounts.js';
import { PaymentLinkStatus, PaymentMethodKind } from '../../domain/statuses.js';
import { MoneyType } from '../../graphql/money.type.js';
import { DateScalar } from '../../graphql/scalars.js';
import { PublicProcessorType } from '../checkout/checkout.types.js';
import { InvoiceLineType } from '../invoice/invoice.types.js';

registerEnumType(PublicLinkStatus, { name: 'PublicPaymentLinkStatus' });

@ObjectType('PaymentLink', { simpleResolvers: true })
export class PaymentLinkType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The link (CHECKOUT_URL/pay/<token>). Only a hash of the token is stored, so the URL is returned only by the mutation that created the link (sendInvoice, resendInvoice) and in the email; null elsewhere.',
  })
  url!: string | null;

  @Field(() => PaymentLinkStatus)
  status!: PaymentLinkStatus;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  expiresAt!: Date;
}

@ObjectType('PublicPaymentLink', { simpleResolvers: true, description: "What the customer's pay page shows: nothing else about the merchant or customer." })
export class PublicPaymentLinkType {
  @Field(() => PublicLinkStatus)
  status!: PublicLinkStatus;

  @Field()
  merchantName!: string;

  @Field()
  invoiceNumber!: string;

  @Field(() => [InvoiceLineType])
  lines!: InvoiceLineType[];

  @Field(() => MoneyType)
  total!: MoneyType;

  @Field(() => MoneyType)
  amountPaid!: MoneyType;

  @Field(() => MoneyType, { description: 'Credit memos applied to the invoice.' })
  amountCredited!: MoneyType;

  @Field(() => MoneyType, { description: "The invoice's current amount due: what a payment on this link would charge." })
  amountDue!: MoneyType;

  @Field()
  currency!: string;

  @Field(() => DateScalar, { nullable: true })
  dueDate!: string | null;

  @Field(() => [PaymentMethodKind])
  acceptedMethods!: PaymentMethodKind[];

  @Field(() => PublicProcessorType)
  processor!: PublicProcessorType;
}
