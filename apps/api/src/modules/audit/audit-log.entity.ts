import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Who did what to what, and when: supervisor attempts and actions, vault changes, onboarding. */
@Entity({ tableName: 'audit_log' })
@Index({ properties: ['merchantId', 'createdAt'] })
export class AuditLog {
  [OptionalProps]?: 'id' | 'createdAt' | 'details' | 'actorId' | 'targetType' | 'targetId' | 'requestId' | 'ip';

  @PrimaryKey({ type: new BigIntType('bigint'), autoincrement: true })
  id!: bigint;

  @Property({ type: 'uuid' })
  merchantId!: string;

  /** 'api_key', 'supervisor_session' or 'operator' (the CLI). */
  @Property({ type: 'text' })
  actorType!: string;

  @Property({ type: 'text', nullable: true })
  actorId?: string | null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text', nullable: true })
  targetType?: string | null;

  @Property({ type: 'text', nullable: true })
  targetId?: string | null;

  @Property({ type: 'json' })
  details: Record<string, unknown> = {};

  @Property({ type: 'text', nullable: true })
  requestId?: string | null;

  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
