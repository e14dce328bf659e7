import { Field, ID, ObjectType } from 'type-graphql';
import { PageInfoType } from '../../kit/graphql/connection.js';

@ObjectType('AuditEntry', { simpleResolvers: true })
export class AuditEntryType {
  @Field(() => ID)
  id!: string;

  @Field()
  at!: Date;

  @Field({
    description: 'Who: a person ("Jane Doe <jane@…>"), an API key ("API key kp_…"), the operator, or for sign-in attempts the email tried.',
  })
  actor!: string;

  @Field()
  action!: string;

  @Field(() => ID, { nullable: true, description: 'What it was done to: a customer, a staff member, a field (for supervisor.access)…' })
  subjectId!: string | null;

  @Field(() => String, { nullable: true, description: 'Details as JSON.' })
  detail!: string | null;
}

@ObjectType('AuditEntryEdge', { simpleResolvers: true })
export class AuditEntryEdgeType {
  @Field()
  cursor!: string;

  @Field(() => AuditEntryType)
  node!: AuditEntryType;
}

@ObjectType('AuditEntryConnection', { simpleResolvers: true })
export class AuditEntryConnectionType {
  @Field(() => [AuditEntryEdgeType])
  edges!: AuditEntryEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
