import { startEmbeddedPostgres } from '../kit/db/embedded-postgres.js';
import type { Logger } from '../kit/logger.js';
import type { Settings } from '../kit/settings.js';
import { assertMigrated, migrateUnderLock } from './db/migrate.js';
import { createOrm, type Orm } from './db/orm.js';

export interface Database {
  url: string;
  orm: Orm;
  /** Closes the ORM's pool (waiting for connections in use), then stops the embedded server if this process started it. */
  close(): Promise<void>;
  /** Stops the embedded server now, whatever still uses it (a stuck shutdown's last step); nothing with DATABASE_URL. */
  stopServer(): Promise<void>;
}

/**
 * `apply`: migrate under the advisory lock (development, tests, `db migrate`). `check`: refuse when
 * migrations are pending (production, where migrating is its own release step).
 */
export type MigrationMode = 'apply' | 'check';

/**
 * Connects to `DATABASE_URL`, or starts the embedded PostgreSQL when it is unset, then migrates or
 * checks the schema (by default: checks in production, migrates elsewhere). Used by the API and the
 * operator CLI alike.
 */
export async function openDatabase(
  settings: Settings,
  logger: Logger,
  migrations: MigrationMode = settings.production ? 'check' : 'apply',
): Promise<Database> {
  const embedded = settings.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(settings.dataDir, settings.embeddedPostgresPort, 'kometpay', logger);
  const url = settings.databaseUrl ?? embedded!.url;
  const orm = await createOrm(url, settings.dbPoolSize, logger);
  try {
    if (migrations === 'apply') await migrateUnderLock(url, orm, logger);
    else await assertMigrated(orm);
  } catch (error) {
    await orm.close();
    await embedded?.stop();
    throw error;
  }
  return {
    url,
    orm,
    close: async () => {
      await orm.close();
      await embedded?.stop();
    },
    stopServer: async () => {
      await embedded?.stop();
    },
  };
}
