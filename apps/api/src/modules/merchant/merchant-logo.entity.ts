import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { Merchant } from './merchant.entity.js';

/**
 * A merchant's logo bytes, apart from the merchant row (read on most requests) so that up to 200 KB
 * never travels with it. Served by GET /branding/<merchant>/logo-<digest>.<ext>.
 */
@Entity({ tableName: 'merchant_logo' })
export class MerchantLogo {
  [PrimaryKeyProp]?: 'merchant';

  @OneToOne(() => Merchant, { primary: true, deleteRule: 'cascade', owner: true })
  merchant!: Merchant;

  /** image/png, image/jpeg or image/svg+xml (sanitised). */
  @Property({ type: 'text' })
  contentType!: string;

  @Property({ type: 'blob' })
  data!: Buffer;
}
