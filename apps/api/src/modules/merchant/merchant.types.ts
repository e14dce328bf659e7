import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Merchant')
export class MerchantType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@ObjectType('SupervisorSession', { description: 'Send `token` as the X-Supervisor-Token header until `expiresAt`.' })
export class SupervisorSessionType {
  @Field()
  token!: string;

  @Field()
  expiresAt!: Date;
}
