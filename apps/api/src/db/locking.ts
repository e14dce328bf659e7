import { LoadStrategy, LockMode, type EntityManager, type FilterQuery } from '@mikro-orm/postgresql';

/**
 * SELECT ... FOR UPDATE OF the entity's own rows, with the to-one relations named joined into the
 * same statement. Only the entity's rows are locked: a lock on the merchant and customer rows it
 * joins would serialise every payment of a merchant behind one another. (Left to itself, MikroORM
 * locks every inner-joined table, the merchant among them.)
 */
export async function lockRows<T extends object>(
  tx: EntityManager,
  entity: new (...args: never[]) => T,
  where: FilterQuery<T>,
  options: { orderBy?: Record<string, 'asc' | 'desc'>; populate?: string[] } = {},
): Promise<T[]> {
  // The alias MikroORM gives the root entity of a find: its first query-builder alias.
  const ownAlias = tx.config.getNamingStrategy().aliasName(entity.name, 0);
  return tx.find(entity, where, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    lockTableAliases: [ownAlias],
    orderBy: options.orderBy as never,
    populate: (options.populate ?? []) as never,
    strategy: LoadStrategy.JOINED,
  });
}

export async function lockRow<T extends object>(tx: EntityManager, entity: new (...args: never[]) => T, where: FilterQuery<T>, populate: string[] = []): Promise<T | null> {
  const [row] = await lockRows(tx, entity, where, { populate });
  return row ?? null;
}
