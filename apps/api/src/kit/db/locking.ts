import { type EntityManager, type FilterQuery, LockMode } from '@mikro-orm/postgresql';

/**
 * SELECT ... FOR UPDATE of the entity's own rows only; the relations named are loaded afterwards,
 * unlocked. A populated (joined) FOR UPDATE would also lock the merchant and customer rows it
 * joins, and so serialise every payment of a merchant behind one another; and with the lock taken
 * on the entity's alias alone, the joined rows would be those of the statement's snapshot, as old
 * as the lock's wait (a refund's charge, read after the lock here, is current).
 */
export async function lockRows<T extends object>(
  tx: EntityManager,
  entity: new (...args: never[]) => T,
  where: FilterQuery<T>,
  options: { orderBy?: Record<string, 'asc' | 'desc'>; populate?: string[] } = {},
): Promise<T[]> {
  const rows = await tx.find(entity, where, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: options.orderBy as never });
  if (options.populate?.length && rows.length) await tx.populate(rows, options.populate as never);
  return rows;
}

export async function lockRow<T extends object>(
  tx: EntityManager,
  entity: new (...args: never[]) => T,
  where: FilterQuery<T>,
  populate: string[] = [],
): Promise<T | null> {
  const [row] = await lockRows(tx, entity, where, { populate });
  return row ?? null;
}
