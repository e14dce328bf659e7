import { ArrayMaxSize, ArrayNotEmpty, IsNotEmpty, IsOptional, Length, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { InvoiceStatus } from '../../domain/statuses.js';
import { PageInfoType } from '../../kit/graphql/connection.js';
import { MoneyType } from '../../kit/graphql/money.type.js';
import { DateScalar, MinorUnitsScalar } from '../../kit/graphql/scalars.js';
import type { Invoice, InvoiceLine } from './invoice.entity.js';

@ObjectType('Invoice')
export class InvoiceType {
  @Field(() => ID)
  id!: string;

  @Field()
  number!: string;

  @Field(() => InvoiceStatus)
  status!: InvoiceStatus;

  @Field()
  currency!: string;

  @Field(() => DateScalar, { nullable: true })
  dueDate!: string | null;

  @Field(() => Date, { nullable: true })
  sentAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  customerId!: string;
  /** The URL of a link this very request created (sendInvoice / resendInvoice): shown only then. */
  issuedLinkUrl?: string;

  static from(invoice: Invoice, issuedLinkUrl?: string): InvoiceType {
    return Object.assign(new InvoiceType(), {
      id: invoice.id,
      number: invoice.number,
      status: invoice.status,
      currency: invoice.currency,
      dueDate: invoice.dueDate ?? null,
      sentAt: invoice.sentAt ?? null,
      createdAt: invoice.createdAt,
      customerId: invoice.customer.id,
      issuedLinkUrl,
    });
  }
}

@ObjectType('InvoiceLine', { simpleResolvers: true })
export class InvoiceLineType {
  @Field()
  description!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => MinorUnitsScalar)
  unitAmount!: bigint;

  @Field(() => MoneyType, { description: 'quantity x unitAmount' })
  amount!: MoneyType;

  static from(line: Pick<InvoiceLine, 'description' | 'quantity' | 'unitAmount'>, currency: string): InvoiceLineType {
    return Object.assign(new InvoiceLineType(), {
      description: line.description,
      quantity: line.quantity,
      unitAmount: line.unitAmount,
      amount: MoneyType.of(BigInt(line.quantity) * line.unitAmount, currency),
    });
  }
}

@ObjectType('InvoiceEdge', { simpleResolvers: true })
export class InvoiceEdgeType {
  @Field()
  cursor!: string;

  @Field(() => InvoiceType)
  node!: InvoiceType;
}

@ObjectType('InvoiceConnection', { simpleResolvers: true })
export class InvoiceConnectionType {
  @Field(() => [InvoiceEdgeType])
  edges!: InvoiceEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@InputType()
export class InvoiceLineInput {
  @Field()
  @IsNotEmpty({ message: 'description must not be empty' })
  @MaxLength(500)
  description!: string;

  @Field(() => Int)
  @Min(1, { message: 'quantity must be at least 1' })
  quantity!: number;

  @Field(() => MinorUnitsScalar, { description: 'Price of one unit, in minor units; not negative.' })
  unitAmount!: bigint;
}

@InputType()
export class CreateInvoiceInput {
  @Field(() => ID)
  customerId!: string;

  @Field({ description: "The merchant's invoice number; unique per merchant." })
  @IsNotEmpty({ message: 'number must not be empty' })
  @MaxLength(64)
  number!: string;

  @Field({ description: 'ISO 4217 code, e.g. USD.' })
  @Length(3, 3, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency!: string;

  @Field(() => DateScalar, { nullable: true })
  dueDate?: Date | null;

  @Field(() => [InvoiceLineInput])
  @ArrayNotEmpty({ message: 'lines must not be empty' })
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  lines!: InvoiceLineInput[];
}

@InputType()
export class UpdateInvoiceInput {
  @Field(() => [InvoiceLineInput], { nullable: true, description: 'Replaces every line.' })
  @IsOptional()
  @ArrayNotEmpty({ message: 'lines must not be empty' })
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  lines?: InvoiceLineInput[] | null;

  @Field(() => DateScalar, { nullable: true })
  dueDate?: Date | null;
}
