/**
 * Developer tool: writes a new migration for the difference between the entities and the committed
 * migrations, computed against a scratch database. Usage (from the repo root):
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run migration:create -- <Name>
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ormConfig } from '../db/orm.js';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error('DATABASE_URL (an admin connection) is required');
const name = process.argv[2] ?? 'Change';
const scratch = `kometpay_migration_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${scratch}`);
try {
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  const config = ormConfig(url.toString(), 2);
  const sourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/app/db/migrations');
  const orm = await MikroORM.init({
    ...config,
    migrations: { ...config.migrations, path: sourceDir, emit: 'ts', fileName: (ts: string) => `migration-${ts}-${name}` },
  });
  await orm.migrator.up();
  const result = await orm.migrator.create(undefined, false, false, name);
  console.log(result.fileName ? `wrote ${result.fileName}` : 'no changes');
  await orm.close();
} finally {
  await admin.query(`drop database ${scratch}`);
  await admin.end();
}
