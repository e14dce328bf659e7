import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export enum EmailStatus {
  QUEUED = 'QUEUED',
  SENT = 'SENT',
  FAILED = 'FAILED',
}

/**
 * The email outbox: a message is written in the same DB transaction as the state change that causes
 * it and delivered by a job with retries. Bodies can hold a link token (the only place one exists
 * in clear), so they are erased once the message is handed to the mail server.
 */
@Entity({ tableName: 'email_message' })
@Index({ properties: ['relatedType', 'relatedId'] })
export class EmailMessage {
  [OptionalProps]?:
    | 'createdAt'
    | 'status'
    | 'attempts'
    | 'lastError'
    | 'sentAt'
    | 'merchantId'
    | 'relatedType'
    | 'relatedId'
    | 'transportMessageId'
    | 'replyTo';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', nullable: true })
  @Index()
  merchantId?: string | null;

  @Property({ type: 'text' })
  template!: string;

  @Property({ type: 'text' })
  toAddress!: string;

  /** The merchant's support address on emails to its customers: their replies reach the merchant, not us. */
  @Property({ type: 'text', nullable: true })
  replyTo?: string | null;

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'text', nullable: true })
  htmlBody!: string | null;

  @Property({ type: 'text', nullable: true })
  textBody!: string | null;

  @Enum({ items: () => EmailStatus })
  status: EmailStatus = EmailStatus.QUEUED;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** What the message is about, e.g. ('invoice', id). */
  @Property({ type: 'text', nullable: true })
  relatedType?: string | null;

  @Property({ type: 'uuid', nullable: true })
  relatedId?: string | null;

  @Property({ type: 'text', nullable: true })
  transportMessageId?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;
}
