import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PublicLinkStatus } from '../../domain/invoice-amounts.js';
import { PaymentMethodKind } from '../../domain/statuses.js';
import { MoneyType } from '../../kit/graphql/money.type.js';
import { DateScalar } from '../../kit/graphql/scalars.js';
import { InvoiceLineType } from '../invoice/index.js';
import { ProcessorKindEnum } from '../processor-account/index.js';
import { CardSetupLinkStatus } from '../vault/index.js';

// The public checkout schema's types: what the pay page and the add-card page show, nothing more.

export { ProcessorKindEnum };

registerEnumType(PublicLinkStatus, { name: 'PublicPaymentLinkStatus' });

@ObjectType('PublicProcessor', {
  simpleResolvers: true,
  description: 'Which tokeniser the checkout page must use: card data goes there, never to us.',
})
export class PublicProcessorType {
  @Field(() => ProcessorKindEnum)
  kind!: ProcessorKindEnum;

  @Field(() => String, { nullable: true, description: "Stripe's publishable key, in Stripe mode." })
  publishableKey!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Sandbox mode: where the browser posts card or bank details (Stripe's create-PaymentMethod shape) to get a token. Null in Stripe mode (Stripe.js tokenises).",
  })
  tokeniserUrl!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Stripe mode, on a link's page: the merchant's connected account, which Stripe.js must be started with (its stripeAccount option) so that the payment method is made where the payment will be. Null otherwise.",
  })
  connectedAccount!: string | null;
}

@ObjectType('PublicPaymentLink', {
  simpleResolvers: true,
  description: "What the customer's pay page shows: nothing else about the merchant or customer.",
})
export class PublicPaymentLinkType {
  @Field(() => PublicLinkStatus)
  status!: PublicLinkStatus;

  @Field()
  merchantName!: string;

  @Field({ description: 'Whether a newer link for this invoice was emailed: an EXPIRED or SUPERSEDED link says so only when one was.' })
  newerLinkSent!: boolean;

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

  @Field(() => [PaymentMethodKind], { description: 'Empty when onlinePaymentsAvailable is false.' })
  acceptedMethods!: PaymentMethodKind[];

  @Field({
    description:
      "False while the merchant's processor account cannot take charges (onboarding not complete): the page shows no payment form, and payWithLink answers PROCESSOR_ACCOUNT_NOT_READY.",
  })
  onlinePaymentsAvailable!: boolean;

  @Field(() => PublicProcessorType)
  processor!: PublicProcessorType;
}

registerEnumType(CardSetupLinkStatus, { name: 'CardSetupLinkStatus' });

@ObjectType('PublicCardSetupLink', { description: 'What the add-card page shows.' })
export class PublicCardSetupLinkType {
  @Field()
  merchantName!: string;

  @Field()
  customerName!: string;

  @Field(() => CardSetupLinkStatus)
  status!: CardSetupLinkStatus;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => PublicProcessorType)
  processor!: PublicProcessorType;
}

@ObjectType('PublicSavedCard')
export class PublicSavedCardType {
  @Field()
  brand!: string;

  @Field()
  last4!: string;

  @Field(() => Int)
  expMonth!: number;

  @Field(() => Int)
  expYear!: number;
}

@ObjectType('PublicCardSetupResult')
export class PublicCardSetupResultType {
  @Field(() => PublicSavedCardType)
  card!: PublicSavedCardType;
}
