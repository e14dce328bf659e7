import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { DisputeStatus } from '../../../domain/statuses.js';
import { PageInfoType } from '../../../kit/graphql/connection.js';
import { MoneyType } from '../../../kit/graphql/money.type.js';
import type { Dispute } from '../disputes/dispute.entity.js';
import type { DisputeRecord } from '../disputes/dispute.sql.js';

@ObjectType('Dispute', {
  description:
    "A cardholder's dispute (chargeback) of a card payment. Its money is a DISPUTE transaction on the charge: PENDING while open (withdrawn for now), SUCCEEDED when lost, CANCELED when won (reinstated).",
})
export class DisputeType {
  @Field(() => ID)
  id!: string;

  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field(() => MoneyType, { description: "The processor's dispute fee." })
  fee!: MoneyType;

  @Field({ description: "The card network's reason, in the processor's words (fraudulent, product_not_received, …)." })
  reason!: string;

  @Field(() => DisputeStatus)
  status!: DisputeStatus;

  @Field(() => Date, { nullable: true, description: 'Until when evidence is taken (while NEEDS_RESPONSE).' })
  evidenceDueBy!: Date | null;

  @Field(() => Date)
  openedAt!: Date;

  @Field(() => Date, { nullable: true })
  closedAt!: Date | null;

  @Field({ description: "The processor's id for the dispute (du_… in the sandbox, dp_… or du_… at Stripe)." })
  processorReference!: string;

  /** The disputed charge (resolved by Dispute.transaction). */
  chargeId!: string;

  static fromRecord(record: DisputeRecord): DisputeType {
    return Object.assign(new DisputeType(), {
      id: record.id,
      amount: MoneyType.of(record.amount, record.currency),
      fee: MoneyType.of(record.fee, record.currency),
      reason: record.reason,
      status: record.status,
      evidenceDueBy: record.evidenceDueBy,
      openedAt: record.openedAt,
      closedAt: record.closedAt,
      processorReference: record.processorReference,
      chargeId: record.chargeId,
    });
  }

  static from(dispute: Dispute): DisputeType {
    return Object.assign(new DisputeType(), {
      id: dispute.id,
      amount: MoneyType.of(dispute.amount, dispute.currency),
      fee: MoneyType.of(dispute.fee, dispute.currency),
      reason: dispute.reason,
      status: dispute.status,
      evidenceDueBy: dispute.evidenceDueBy ?? null,
      openedAt: dispute.openedAt,
      closedAt: dispute.closedAt ?? null,
      processorReference: dispute.processorReference,
      chargeId: dispute.charge.id,
    });
  }
}

@ObjectType('DisputeEdge', { simpleResolvers: true })
export class DisputeEdgeType {
  @Field()
  cursor!: string;

  @Field(() => DisputeType)
  node!: DisputeType;
}

@ObjectType('DisputeConnection', { simpleResolvers: true })
export class DisputeConnectionType {
  @Field(() => [DisputeEdgeType])
  edges!: DisputeEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@InputType('DisputeEvidenceInput', { description: "Text evidence, sent to the processor in Stripe's evidence fields." })
export class DisputeEvidenceInput {
  @Field({ description: 'Why the payment stands (Stripe: uncategorized_text). At most 20,000 characters.' })
  explanation!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'What the customer and the merchant wrote to each other (Stripe: customer_communication, which takes a file: a Stripe file id file_… is passed as it is, text goes with the explanation).',
  })
  customerCommunication?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The receipt (Stripe: receipt, a file: a Stripe file id file_… is passed as it is, text goes with the explanation).',
  })
  receipt?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'True (the default): submitted to the card network now, and the dispute goes UNDER_REVIEW. False: staged at the processor.',
  })
  submit?: boolean | null;
}
