import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ApiKey } from './api-key.entity.js';
import { Merchant } from './merchant.entity.js';
import { StaffSession } from './staff-session.entity.js';

/**
 * A short-lived supervisor elevation, granted by the supervisor password. Stored hashed, and bound to
 * the one credential (an API key or a staff session) that obtained it: it works only with that
 * credential, and ends with it (revocation, sign-out) or with a supervisor password change.
 */
@Entity({ tableName: 'supervisor_session' })
@Check({ name: 'supervisor_session_one_credential', expression: '(api_key_id is null) <> (staff_session_id is null)' })
export class SupervisorSession {
  [OptionalProps]?: 'createdAt' | 'apiKey' | 'staffSession' | 'endedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  @Index()
  merchant!: Merchant;

  @ManyToOne(() => ApiKey, { deleteRule: 'cascade', nullable: true })
  @Index()
  apiKey?: ApiKey | null;

  @ManyToOne(() => StaffSession, { deleteRule: 'cascade', nullable: true })
  @Index()
  staffSession?: StaffSession | null;

  @Property({ type: 'text', unique: true, hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Set when it ends before `expiresAt`: its credential was revoked or ended, or the password changed. */
  @Property({ type: 'datetime', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
