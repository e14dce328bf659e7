import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export enum IdempotencyState {
  IN_PROGRESS = 'IN_PROGRESS',
  COMPLETED = 'COMPLETED',
}

/**
 * One row per idempotency key and scope (a merchant, or a payment link for the public checkout).
 * Same key + same request hash replays `response`; a different hash is IDEMPOTENCY_KEY_REUSED.
 */
@Entity({ tableName: 'idempotency_key' })
@Unique({ properties: ['scope', 'key'] })
// The retention job prunes by age.
@Index({ name: 'idempotency_key_created_at_index', properties: ['createdAt'] })
export class IdempotencyKey {
  [OptionalProps]?: 'createdAt' | 'completedAt' | 'state' | 'response';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  scope!: string;

  @Property({ type: 'text' })
  key!: string;

  @Property({ type: 'text' })
  operation!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  @Enum({ items: () => IdempotencyState })
  state: IdempotencyState = IdempotencyState.IN_PROGRESS;

  @Property({ type: 'json', nullable: true })
  response?: unknown;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  completedAt?: Date | null;
}
