import { IsNotEmpty, MaxLength } from 'class-validator';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { TerminalReader } from './terminal-reader.entity.js';

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
    return Object.assign(new TerminalReaderType(), {
      id: reader.id,
      label: reader.label,
      status: reader.status,
      deviceType: reader.deviceType,
      processorReference: reader.processorReference,
    });
  }
}
