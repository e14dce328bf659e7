import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../kit/logger.js';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

export type Orm = MikroORM;

export function ormConfig(databaseUrl: string, poolSize: number, log?: (message: string) => void) {
  return defineConfig({
    logger: log ?? (() => undefined),
    colors: false,
    clientUrl: databaseUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: poolSize },
    // The API's named statements (PreparedStatement) are lookups by key, id or token hash: one generic
    // plan per connection fits each. Left to its heuristic, PostgreSQL kept planning the payment's
    // reads afresh on every call (1.5 ms of planning per payment in S2, pg_stat_statements). MikroORM
    // inlines its values, so its own statements have no parameters and are not affected.
    driverOptions: { options: '-c plan_cache_mode=force_generic_plan' },
    // Each request forks its own EntityManager; touching the global one is a bug.
    allowGlobalContext: false,
  });
}

/** `onQuery` sees every SQL statement (tests count them); without it, queries are not logged. */
export async function createOrm(databaseUrl: string, poolSize: number, logger: Logger, onQuery?: (sql: string) => void): Promise<Orm> {
  const config = ormConfig(databaseUrl, poolSize, (message) => logger.debug({ component: 'mikro-orm' }, message));
  if (!onQuery) return MikroORM.init(config);
  return MikroORM.init({
    ...config,
    debug: ['query'],
    logger: (message) => {
      if (message.startsWith('[query]')) onQuery(message);
    },
  });
}

/** Applies the committed migrations; they run in one transaction, all or nothing. Callers hold the lock (migrate.ts). */
export async function migrate(orm: Orm, logger: Logger): Promise<string[]> {
  const applied = (await orm.migrator.up()).map((m) => m.name);
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
  return applied;
}
