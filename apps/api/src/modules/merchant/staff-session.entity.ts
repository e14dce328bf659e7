import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Merchant } from './merchant.entity.js';
import { StaffMember } from './staff-member.entity.js';

/**
 * A console session: the bearer token (`kps_…`) a staff member got by signing in. Only its SHA-256 is
 * stored. It ends at the first of: idle too long, its absolute limit, sign-out, a password change
 * (the other sessions), the person's removal.
 */
@Entity({ tableName: 'staff_session' })
export class StaffSession {
  [OptionalProps]?: 'createdAt' | 'endedAt' | 'endReason' | 'ip' | 'userAgent';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => StaffMember, { deleteRule: 'cascade' })
  @Index()
  staffMember!: StaffMember;

  @Property({ type: 'text', unique: true, hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** Moved forward (at most once a minute) by each request: the idle limit counts from here. */
  @Property({ type: 'datetime' })
  lastSeenAt!: Date;

  /** The absolute limit: no activity extends a session past it. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  endedAt?: Date | null;

  /** signed_out, password_changed, removed. */
  @Property({ type: 'text', nullable: true })
  endReason?: string | null;

  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Property({ type: 'text', nullable: true })
  userAgent?: string | null;
}
