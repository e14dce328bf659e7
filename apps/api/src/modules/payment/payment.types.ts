import { IsNotEmpty, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { PaymentMethodKind, TransactionStatus } from '../../domain/statuses.js';
import { MoneyType } from '../../graphql/money.type.js';
import { MinorUnitsScalar } from '../../graphql/scalars.js';
import { PublicPaymentLinkType } from '../payment-link/payment-link.types.js';
import type { TerminalReader } from '../terminal/terminal-reader.entity.js';
import type { Transaction } from '../transaction/transaction.entity.js';

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

  @Field(() => [InvoiceAllocationInput], { nullable: true, description: 'Optional explicit split; default: oldest invoice first, each paid in full.' })
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

@InputType()
export class RegisterTerminalReaderInput {
  @Field()
  @IsNotEmpty({ message: 'label must not be empty' })
  @MaxLength(100)
  label!: string;

  @Field({ description: "The reader's registration code (the sandbox accepts simulated-wpe)." })
  @IsNotEmpty({ message: 'registrationCode must not be empty' })
  @MaxLength(100)
  registrationCode!: string;
}

@ObjectType('TerminalReader')
export class TerminalReaderType {
  @Field(() => ID)
  id!: string;

  @Field()
  label!: string;

  @Field()
  status!: string;

  @Field()
  deviceType!: string;

  @Field({ description: "The processor's id for the reader (the sandbox's test helper presents cards to it)." })
  processorReference!: string;

  static from(reader: TerminalReader): TerminalReaderType {
    return Object.assign(new TerminalReaderType(), { id: reader.id, label: reader.label, status: reader.status, deviceType: reader.deviceType, processorReference: reader.processorReference });
  }
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

@ObjectType('PublicPaymentResult', { description: 'What a payment attempt on the pay page came to.' })
export class PublicPaymentResultType {
  @Field(() => TransactionStatus, { description: 'SUCCEEDED (cards), PROCESSING (ACH until it settles), FAILED (declined: try again).' })
  status!: TransactionStatus;

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

  static receiptOf(transaction: Transaction): PublicReceiptType | null {
    if (transaction.status !== TransactionStatus.SUCCEEDED && transaction.status !== TransactionStatus.PROCESSING) return null;
    return Object.assign(new PublicReceiptType(), {
      amount: MoneyType.of(transaction.amount, transaction.currency),
      method: transaction.method,
      brand: transaction.cardBrand ?? null,
      last4: transaction.cardLast4 ?? null,
      authorizationCode: transaction.authorizationCode ?? null,
      date: transaction.updatedAt,
    });
  }
}
