import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Who did what to what, and when: supervisor attempts and actions, vault changes, onboarding. */
@Entity({ tableName: 'audit_log' })
@Index({ properties: ['merchantId', 'createdAt'] })
// The audit log's pages: newest first, all actions or one.
@Index({ properties: ['merchantId', 'id'] })
@Index({ properties: ['merchantId', 'action', 'id'] })
export class AuditLog {
  [OptionalProps]?: 'id' | 'createdAt' | 'details' | 'actorId' | 'actorName' | 'targetType' | 'targetId' | 'requestId' | 'ip';

  @PrimaryKey({ type: new BigIntType('bigint'), autoincrement: true })
  id!: bigint;

  @Property({ type: 'uuid' })
  merchantId!: string;

  /** 'api_key', 'staff_member', 'operator' (the CLI), 'customer' (a link's holder) or 'anonymous' (sign-in attempts). */
  @Property({ type: 'text' })
  actorType!: string;

  @Property({ type: 'text', nullable: true })
  actorId?: string | null;

  /** How the actor was named when the row was written ("Jane Doe <jane@…>", "API key kp_…"): it outlives a removed person or key. */
  @Property({ type: 'text', nullable: true })
  actorName?: string | null;

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
