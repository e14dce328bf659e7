import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Webhook events already handled, by the processor's event id: each is processed once. */
@Entity({ tableName: 'processor_event' })
export class ProcessorEventRecord {
  [OptionalProps]?: 'receivedAt';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'text', nullable: true })
  objectReference?: string | null;

  @Property({ type: 'datetime' })
  receivedAt: Date = new Date();
}
