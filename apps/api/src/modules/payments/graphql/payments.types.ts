import { IsNotEmpty, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { PaymentMethodKind, TransactionStatus } from '../../../domain/statuses.js';
import { MoneyType } from '../../../kit/graphql/money.type.js';
import { MinorUnitsScalar } from '../../../kit/graphql/scalars.js';
import { PublicPaymentLinkType } from '../../checkout/index.js';
import type { LedgerTransaction } from '../ledger/ledger.js';
import type { TransactionView } from '../ledger/transaction.view.js';

@InputType()
export class InvoiceAllocationInput {
  @Field(() => ID)
  invoiceId!: string;

  @Field(() => MinorUnitsScalar)
  amount!: bigint;
}

@InputType()
export class ChargeInvoicesInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => [ID])
  invoiceIds!: string[];

  @Field(() => [InvoiceAllocationInput], {
    nullable: true,
    description: 'Optional explicit split; default: oldest invoice first, each paid in full.',
  })
  allocations?: InvoiceAllocationInput[] | null;

  @Field(() => String, { nullable: true, description: 'Exactly one of the two: a token from the tokeniser (pm_...) ...' })
  paymentMethodToken?: string | null;

  @Field(() => ID, { nullable: true, description: "... or a card in the customer's vault." })
  vaultedCardId?: string | null;
}

@InputType()
export class VirtualTerminalChargeInput {
  @Field(() => MinorUnitsScalar)
  amount!: bigint;

  @Field()
  currency!: string;

  @Field()
  @IsNotEmpty({ message: 'description must not be empty' })
  @MaxLength(500)
  description!: string;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;

  @Field(() => String, { nullable: true })
  paymentMethodToken?: string | null;

  @Field(() => ID, { nullable: true })
  vaultedCardId?: string | null;
}

@ObjectType('PublicReceipt')
export class PublicReceiptType {
  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field(() => PaymentMethodKind)
  method!: PaymentMethodKind;

  @Field(() => String, { nullable: true })
  brand!: string | null;

  @Field(() => String, { nullable: true })
  last4!: string | null;

  @Field(() => String, { nullable: true })
  authorizationCode!: string | null;

  @Field(() => Date)
  date!: Date;
}

export enum NextActionType {
  AUTHENTICATE = 'AUTHENTICATE',
  VERIFY_MICRODEPOSITS = 'VERIFY_MICRODEPOSITS',
}

registerEnumType(NextActionType, { name: 'NextActionType', description: 'What the customer must do before a payment can go on.' });

export enum MicrodepositType {
  AMOUNTS = 'AMOUNTS',
  DESCRIPTOR_CODE = 'DESCRIPTOR_CODE',
}

registerEnumType(MicrodepositType, {
  name: 'MicrodepositType',
  description:
    'What a bank account was sent to verify it: two small deposits (their amounts), or one deposit whose description holds a code.',
});

@ObjectType('PublicNextAction', { description: 'What the customer must do: the page runs it, then calls completeLinkPayment.' })
export class PublicNextActionType {
  @Field(() => NextActionType)
  type!: NextActionType;

  @Field(() => String, { nullable: true, description: "The sandbox's challenge or verification page (sandbox mode)." })
  url!: string | null;

  @Field(() => String, { nullable: true, description: 'For Stripe.js handleNextAction (Stripe mode).' })
  clientSecret!: string | null;

  @Field(() => MicrodepositType, { nullable: true, description: 'VERIFY_MICRODEPOSITS: which answer verifyMicrodeposits takes.' })
  microdepositType!: MicrodepositType | null;
}

@ObjectType('PublicPaymentResult', { description: 'What a payment attempt on the pay page came to.' })
export class PublicPaymentResultType {
  @Field(() => TransactionStatus, {
    description:
      'SUCCEEDED (cards), PROCESSING (ACH until it settles), REQUIRES_ACTION (the customer must act: see nextAction), FAILED (declined: try again).',
  })
  status!: TransactionStatus;

  @Field(() => ID, { nullable: true, description: 'The attempt, for completeLinkPayment once the customer acted.' })
  paymentId!: string | null;

  @Field(() => PublicNextActionType, { nullable: true, description: 'Set when the status is REQUIRES_ACTION.' })
  nextAction!: PublicNextActionType | null;

  @Field(() => String, { nullable: true, description: 'PAYMENT_DECLINED, INSUFFICIENT_FUNDS, CARD_EXPIRED, ...' })
  failureCode!: string | null;

  @Field(() => String, { nullable: true })
  failureMessage!: string | null;

  @Field(() => PublicReceiptType, { nullable: true, description: 'Set when the payment succeeded or is processing.' })
  receipt!: PublicReceiptType | null;

  @Field(() => PublicPaymentLinkType, { description: 'The link after the attempt.' })
  link!: PublicPaymentLinkType;

  /** The link paid through: the `link` field is read from it. */
  linkToken!: string;

  /** The result of an attempt on the link `linkToken`. */
  static of(transaction: LedgerTransaction, linkToken: string): PublicPaymentResultType {
    const action = transaction.status === TransactionStatus.REQUIRES_ACTION ? transaction.nextAction : null;
    return Object.assign(new PublicPaymentResultType(), {
      status: transaction.status,
      paymentId: transaction.id,
      nextAction:
        action &&
        Object.assign(new PublicNextActionType(), {
          type: action.type as NextActionType,
          url: action.url,
          clientSecret: action.clientSecret,
          microdepositType: (action.microdepositType as MicrodepositType | undefined) ?? null,
        }),
      failureCode: transaction.failureCode,
      failureMessage: transaction.failureMessage,
      receipt: PublicPaymentResultType.receiptOf(transaction),
      linkToken,
    });
  }

  static receiptOf(transaction: TransactionView): PublicReceiptType | null {
    if (transaction.status !== TransactionStatus.SUCCEEDED && transaction.status !== TransactionStatus.PROCESSING) return null;
    return Object.assign(new PublicReceiptType(), {
      amount: MoneyType.of(transaction.amount, transaction.currency),
      method: transaction.method,
      brand: transaction.cardBrand,
      last4: transaction.cardLast4,
      authorizationCode: transaction.authorizationCode,
      date: transaction.updatedAt,
    });
  }
}
