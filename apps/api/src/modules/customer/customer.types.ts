import { IsEmail, IsNotEmpty, IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
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

  static from(customer: Customer): CustomerType {
    return Object.assign(new CustomerType(), {
      id: customer.id,
      name: customer.name,
      email: customer.email,
      externalRef: customer.externalRef ?? null,
    });
  }
}

@InputType()
export class CreateCustomerInput {
  @Field()
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(200)
  name!: string;

  @Field()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email!: string;

  @Field(() => String, { nullable: true, description: "The merchant's own id for this customer (e.g. its ERP account number)." })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(100)
  externalRef?: string | null;
}
