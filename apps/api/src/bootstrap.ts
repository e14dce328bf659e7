import type { Settings } from './config.js';
import { startEmbeddedPostgres } from './db/embedded-postgres.js';
import { type Orm, createOrm, migrate } from './db/orm.js';
import { installJobQueue } from './jobs/queue.js';
import type { Logger } from './logger.js';

export interface Database {
  url: string;
  orm: Orm;
  /** Closes the ORM's pool (waiting for connections in use), then stops the embedded server if this process started it. */
  close(): Promise<void>;
  /** Stops the embedded server now, whatever still uses it (a stuck shutdown's last step); nothing with DATABASE_URL. */
  stopServer(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL`, or starts the embedded PostgreSQL when it is unset, then applies the
 * committed migrations. Used by the API, the operator CLI and the demo seed alike.
 */
export async function openDatabase(settings: Settings, logger: Logger): Promise<Database> {
  const embedded = settings.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(settings.dataDir, settings.embeddedPostgresPort, 'kometpay', logger);
  const url = settings.databaseUrl ?? embedded!.url;
  const orm = await createOrm(url, settings.dbPoolSize, logger);
  await migrate(orm, logger);
  await installJobQueue(url);
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
