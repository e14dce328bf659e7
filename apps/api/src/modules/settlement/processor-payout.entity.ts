import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A payout of the processor as we last reconciled it: which status we applied, when, and how many of
 * our transactions it settled. A payout is applied again only when its status changes.
 */
@Entity({ tableName: 'processor_payout' })
export class ProcessorPayoutRecord {
  [OptionalProps]?: 'settledCount' | 'unmatchedEntries';

  /** The processor's id (Stripe: po_...). */
  @PrimaryKey({ type: 'text' })
  reference!: string;

  /** The processor payout status last applied: PAID, FAILED or CANCELED. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'datetime' })
  arrivalDate!: Date;

  /** Payments and refunds the processor listed in the payout. */
  @Property({ type: 'integer' })
  entryCount!: number;

  /** Of those, ours that it moved from PENDING to SETTLED. */
  @Property({ type: 'integer' })
  settledCount: number = 0;

  /**
   * Payments and refunds a PAID payout listed that matched none of our transactions waiting for
   * settlement when it was applied: money that is not ours, or a payment whose success we had not
   * recorded yet (its outcome lost, then recovered). The sweep settles the latter once they succeed.
   */
  @Property({ type: 'json', default: '[]' })
  unmatchedEntries: UnmatchedPayoutEntry[] = [];

  @Property({ type: 'datetime' })
  reconciledAt!: Date;
}

export interface UnmatchedPayoutEntry {
  kind: 'payment' | 'refund';
  reference: string;
  /** The processor's fee, minor units as text (JSON has no bigint). */
  fee: string;
}
