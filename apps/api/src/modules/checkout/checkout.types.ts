import { Field, ObjectType } from 'type-graphql';
import { ProcessorKindEnum } from '../../graphql/enums.js';

@ObjectType('PublicProcessor', { simpleResolvers: true, description: 'Which tokeniser the checkout page must use: card data goes there, never to us.' })
export class PublicProcessorType {
  @Field(() => ProcessorKindEnum)
  kind!: ProcessorKindEnum;

  @Field(() => String, { nullable: true, description: "Stripe's publishable key, in Stripe mode." })
  publishableKey!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Sandbox mode: where the browser posts card or bank details (Stripe's create-PaymentMethod shape) to get a token. Null in Stripe mode (Stripe.js tokenises).",
  })
  tokeniserUrl!: string | null;
}
