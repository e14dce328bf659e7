import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Merchant } from './merchant.entity.js';

export enum StaffRole {
  STAFF = 'STAFF',
  SUPERVISOR = 'SUPERVISOR',
}

/**
 * A person who signs in to the merchant console. Invited by email (no password until the invitation
 * is accepted) or created by the operator CLI. Emails are stored lowercased, unique per merchant.
 */
@Entity({ tableName: 'staff_member' })
@Unique({ properties: ['merchant', 'email'] })
export class StaffMember {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'passwordHash'
    | 'lastSignInAt'
    | 'invitationTokenHash'
    | 'invitationExpiresAt'
    | 'passwordChangedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @Property({ type: 'text' })
  name!: string;

  /** Lowercased. Sign-in looks people up by it, across merchants (see StaffAuthService.signIn). */
  @Property({ type: 'text', index: true })
  email!: string;

  @Enum({ items: () => StaffRole, nativeEnumName: 'staff_role' })
  role!: StaffRole;

  /** argon2id; null while the invitation is pending. */
  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash?: string | null;

  @Property({ type: 'datetime', nullable: true })
  passwordChangedAt?: Date | null;

  /** SHA-256 of the single-use set-password link's token; cleared once used. */
  @Property({ type: 'text', nullable: true, unique: true, hidden: true })
  invitationTokenHash?: string | null;

  @Property({ type: 'datetime', nullable: true })
  invitationExpiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastSignInAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
