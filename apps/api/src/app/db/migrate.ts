import pg from 'pg';
import { installJobQueue } from '../../kit/jobs/queue.js';
import type { Logger } from '../../kit/logger.js';
import { migrate, type Orm } from './orm.js';

/** One key for every KometPay process: `pg_advisory_lock` lets one migrate while the others wait. */
const MIGRATION_LOCK_KEY = 7_216_355_112_004n;

/**
 * Applies our migrations and graphile-worker's schema, holding a session advisory lock for the
 * whole step: instances starting together (or `db migrate` beside them) migrate one after another,
 * and whoever comes second finds nothing left to do.
 */
export async function migrateUnderLock(databaseUrl: string, orm: Orm, logger: Logger): Promise<string[]> {
  const lock = new pg.Client({ connectionString: databaseUrl, application_name: 'kometpay-migrate' });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    const applied = await migrate(orm, logger);
    await installJobQueue(databaseUrl);
    return applied;
  } finally {
    // Ending the session releases the lock whatever happened above.
    await lock.end();
  }
}

/** The committed migrations this database has not applied yet, by name. */
export async function pendingMigrations(orm: Orm): Promise<string[]> {
  return (await orm.migrator.getPending()).map((migration) => migration.name);
}

/**
 * Production does not migrate at start (an operator runs `db migrate` as its own release step): an
 * instance whose code expects migrations the database lacks refuses to serve, saying what to run.
 */
export async function assertMigrated(orm: Orm): Promise<void> {
  const pending = await pendingMigrations(orm);
  if (pending.length) {
    throw new Error(
      `The database schema is behind this release: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
        'Run `npm run kometpay -- db migrate` (or `node apps/api/dist/app/cli/main.js db migrate`) with the same DATABASE_URL, then start the API again.',
    );
  }
}
