import { Field, ObjectType, registerEnumType } from 'type-graphql';
import type { OnboardingLink } from '../../processors/processor-account.port.js';
import type { ProcessorAccountView } from './processor-account.service.js';

export enum ProcessorKindEnum {
  SANDBOX = 'SANDBOX',
  STRIPE = 'STRIPE',
}
registerEnumType(ProcessorKindEnum, { name: 'ProcessorKind' });

export enum ProcessorAccountStatusEnum {
  PENDING_ONBOARDING = 'PENDING_ONBOARDING',
  RESTRICTED = 'RESTRICTED',
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
}
registerEnumType(ProcessorAccountStatusEnum, {
  name: 'ProcessorAccountStatus',
  valuesConfig: {
    PENDING_ONBOARDING: { description: 'Onboarding at the processor is not done: no online payment can be taken.' },
    RESTRICTED: { description: 'The processor needs more from the merchant (see requirementsDue); charges or payouts may be paused.' },
    ACTIVE: { description: 'Takes charges and pays out.' },
    DISABLED: { description: 'The processor closed or rejected the account.' },
  },
});

@ObjectType('ProcessorAccount', {
  simpleResolvers: true,
  description: "The merchant's own account at the processor: customers' money goes there, and its payouts to the merchant's bank.",
})
export class ProcessorAccountType {
  @Field(() => ProcessorKindEnum)
  kind!: ProcessorKindEnum;

  @Field(() => ProcessorAccountStatusEnum)
  status!: ProcessorAccountStatusEnum;

  @Field()
  chargesEnabled!: boolean;

  @Field()
  payoutsEnabled!: boolean;

  @Field(() => [String], { description: 'What the processor still needs from the merchant.' })
  requirementsDue!: string[];

  static from(view: ProcessorAccountView): ProcessorAccountType {
    return {
      kind: view.kind === 'stripe' ? ProcessorKindEnum.STRIPE : ProcessorKindEnum.SANDBOX,
      status: view.status as ProcessorAccountStatusEnum,
      chargesEnabled: view.chargesEnabled,
      payoutsEnabled: view.payoutsEnabled,
      requirementsDue: view.requirementsDue,
    };
  }
}

@ObjectType('ProcessorOnboardingLink', { simpleResolvers: true, description: "A single-use link to the processor's hosted onboarding." })
export class ProcessorOnboardingLinkType {
  @Field()
  url!: string;

  @Field()
  expiresAt!: Date;

  static from(link: OnboardingLink): ProcessorOnboardingLinkType {
    return { url: link.url, expiresAt: link.expiresAt };
  }
}
