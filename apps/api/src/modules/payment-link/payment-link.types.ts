import { Field, ID, ObjectType } from 'type-graphql';
import { PaymentLinkStatus } from '../../domain/statuses.js';

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
