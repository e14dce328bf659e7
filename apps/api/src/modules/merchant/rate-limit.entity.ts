import { BigIntType } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * rate-limiter-flexible's PostgreSQL store (supervisor password attempts), declared here so that
 * migrations own its table. Only the limiter reads and writes it.
 */
@Entity({ tableName: 'rate_limit' })
export class RateLimitRow {
  @PrimaryKey({ type: 'string', length: 255 })
  key!: string;

  @Property({ type: 'integer', default: 0 })
  points!: number;

  @Property({ type: new BigIntType('bigint'), nullable: true })
  expire?: bigint | null;
}
