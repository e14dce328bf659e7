import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.KOMETPAY_TEST_ADMIN_URL;
  if (!url) throw new Error('KOMETPAY_TEST_ADMIN_URL is unset: run tests through `npm test` (jest globalSetup)');
  return url;
}

/** A fresh, migrated database for one test file, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.KOMETPAY_TEST_TEMPLATE_DB!;
  const name = `${template}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    // Two files cloning the template at the same moment can collide (55006: source database in use).
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        // Connections still closing (a pool's last client, the job worker's listener) get a moment first.
        for (let waited = 0; waited < 3000; waited += 100) {
          const { rows } = await client.query('select application_name, state from pg_stat_activity where datname = $1', [name]);
          if (!rows.length) break;
          if (waited >= 2900) console.warn(`connections left open on ${name}: ${JSON.stringify(rows)}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
