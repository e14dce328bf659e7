/**
 * Once per `npm test`: checks the runtime, finds a PostgreSQL server (DATABASE_URL, else an embedded
 * one under .data/test on a free port), and migrates a template database that every test file clones.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../scripts/lib/free-port.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default async function globalSetup() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`Tests must run on Node 24+ (the project's pinned node@24 package); this is ${process.version}`);

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const { startEmbeddedPostgres, createLogger } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));
    // A free port, not a fixed one: two checkouts testing at once must not stop each other's server.
    const embedded = await startEmbeddedPostgres(path.join(root, '.data/test'), await freePort(), 'postgres', createLogger('warn'));
    globalThis.__KOMETPAY_EMBEDDED__ = embedded;
    adminUrl = embedded.url;
  }

  const template = `kometpay_tmpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const { createOrm, migrate, createLogger } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));
  const logger = createLogger('warn');
  const orm = await createOrm(url.toString(), 2, logger);
  await migrate(orm, logger);
  await orm.close();
  const { installJobQueue } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));
  await installJobQueue(url.toString());

  process.env.KOMETPAY_TEST_ADMIN_URL = adminUrl;
  process.env.KOMETPAY_TEST_TEMPLATE_DB = template;
  process.env.NODE_ENV = 'test';
}
