import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'merchant' })
export class Merchant {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'supportEmail' | 'accentColor' | 'logoDigest' | 'logoContentType';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The name customers see (the checkout, emails); the console's settings call it the display name. */
  @Property({ type: 'text' })
  name!: string;

  /** Reply-To of every email to the merchant's customers, and the support address the emails show. */
  @Property({ type: 'text', nullable: true })
  supportEmail?: string | null;

  /** #rrggbb, lowercase. */
  @Property({ type: 'text', nullable: true })
  accentColor?: string | null;

  /** SHA-256 (hex) of the logo's bytes, in its URL so that a new logo is a new URL; null: no logo. */
  @Property({ type: 'text', nullable: true })
  logoDigest?: string | null;

  @Property({ type: 'text', nullable: true })
  logoContentType?: string | null;

  /** argon2id hash of the supervisor password; the password itself is never stored. */
  @Property({ type: 'text', hidden: true })
  supervisorPasswordHash!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
