import { IsNotEmpty, IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfoType } from '../../kit/graphql/connection.js';
import { IsEmailAddress } from '../../kit/graphql/validators.js';
import type { Customer } from './customer.entity.js';

@ObjectType('Customer')
export class CustomerType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  email!: string;

  @Field(() => String, { nullable: true })
  externalRef!: string | null;

  @Field({ description: 'Archived: no new invoices; its history stays. restoreCustomer undoes it.' })
  archived!: boolean;

  static from(customer: Customer): CustomerType {
    return Object.assign(new CustomerType(), {
      id: customer.id,
      name: customer.name,
      email: customer.email,
      externalRef: customer.externalRef ?? null,
      archived: Boolean(customer.archivedAt),
    });
  }
}

@ObjectType('CustomerEdge', { simpleResolvers: true })
export class CustomerEdgeType {
  @Field()
  cursor!: string;

  @Field(() => CustomerType)
  node!: CustomerType;
}

@ObjectType('CustomerConnection', { simpleResolvers: true })
export class CustomerConnectionType {
  @Field(() => [CustomerEdgeType])
  edges!: CustomerEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@InputType()
export class CreateCustomerInput {
  @Field()
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(200)
  name!: string;

  @Field()
  @IsEmailAddress({ message: 'email must be a valid email address' })
  email!: string;

  @Field(() => String, { nullable: true, description: "The merchant's own id for this customer (e.g. its ERP account number)." })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(100)
  externalRef?: string | null;
}

@InputType({ description: 'Only the fields given change; externalRef: null clears it.' })
export class UpdateCustomerInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(200)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmailAddress({ message: 'email must be a valid email address' })
  @MaxLength(320)
  email?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  externalRef?: string | null;
}
