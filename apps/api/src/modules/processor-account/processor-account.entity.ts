import { OptionalProps } from '@mikro-orm/core';
import { Check, Entity, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import type { ProcessorKind } from '../../processors/processor.port.js';
import type { ProcessorAccountStatus } from '../../processors/processor-account.port.js';
import { Merchant } from '../merchant/index.js';

/**
 * A merchant's own account at the processor, as we last read it there: customers' money goes into
 * it, and its payouts go to the merchant's bank. One per merchant; its reference never changes.
 */
@Entity({ tableName: 'processor_account' })
@Check({ name: 'processor_account_kind_check', expression: "kind in ('sandbox', 'stripe')" })
@Check({ name: 'processor_account_status_check', expression: "status in ('PENDING_ONBOARDING', 'RESTRICTED', 'ACTIVE', 'DISABLED')" })
export class ProcessorAccount {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @OneToOne(() => Merchant, { primary: true, mapToPk: true, fieldName: 'merchant_id', deleteRule: 'cascade', owner: true })
  merchantId!: string;

  @Property({ type: 'text' })
  kind!: ProcessorKind;

  /** The processor's id (Stripe: acct_...; the sandbox: acct_sbx_...). */
  @Property({ type: 'text', unique: true })
  reference!: string;

  @Property({ type: 'text' })
  status!: ProcessorAccountStatus;

  @Property({ type: 'boolean' })
  chargesEnabled!: boolean;

  @Property({ type: 'boolean' })
  payoutsEnabled!: boolean;

  @Property({ type: 'json', defaultRaw: "'[]'" })
  requirementsDue!: string[];

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
