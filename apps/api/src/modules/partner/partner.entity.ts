import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A third party (an ERP integrator, an accounting tool) that follows the payments of the merchants that granted it access. */
@Entity({ tableName: 'partner' })
export class Partner {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
