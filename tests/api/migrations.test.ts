import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { freePort, repoRoot, startChildApi } from '../reliability/support/child-api.js';
import { PRODUCTION_ENV } from '../support/production-env.js';

/** An empty database (no template): what a first deployment migrates. */
async function emptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.KOMETPAY_TEST_ADMIN_URL!;
  const name = `kometpay_empty_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`create database "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists "${name}" with (force)`) };
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'apps/api/dist/app/cli/main.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // 'close', not 'exit': the exit can be seen before the last of the output has been read.
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('migrations as a release step', () => {
  it('lets several instances migrate a fresh database at once: each migration applied exactly once', async () => {
    const db = await emptyDatabase();
    try {
      const runs = await Promise.all(Array.from({ length: 4 }, () => cli(['db', 'migrate', '--json'], { DATABASE_URL: db.url })));
      for (const run of runs) expect(run).toMatchObject({ code: 0 });
      // One process applied them all; the others, waiting on the lock, found nothing left.
      const applied = runs.map((run) => (JSON.parse(run.output) as { applied: string[] }).applied);
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
      const rows = await query<{ name: string; times: number }>(
        db.url,
        'select name, count(*)::int as times from mikro_orm_migrations group by name',
      );
      expect(rows.length).toBe(applied.flat().length);
      expect(rows.every((row) => row.times === 1)).toBe(true);
      const [{ jobs }] = await query<{ jobs: number }>(
        db.url,
        "select count(*)::int as jobs from information_schema.schemata where schema_name = 'graphile_worker'",
      );
      expect(jobs).toBe(1);
      const status = await cli(['db', 'status', '--json'], { DATABASE_URL: db.url });
      expect(JSON.parse(status.output)).toEqual({ pending: [] });
    } finally {
      await db.drop();
    }
  }, 90_000);

  it('starts several development instances on a fresh database together, migrating under the same lock', async () => {
    const db = await emptyDatabase();
    const logs: string[] = [];
    try {
      const apis = await Promise.all(
        Array.from({ length: 3 }, async () =>
          startChildApi({ DATABASE_URL: db.url, API_PORT: String(await freePort()), RUN_JOBS: 'false' }, logs),
        ),
      );
      for (const api of apis) expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      await Promise.all(apis.map((api) => api.stop()));
      const rows = await query<{ times: number }>(db.url, 'select count(*)::int as times from mikro_orm_migrations group by name');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((row) => row.times === 1)).toBe(true);
    } finally {
      await db.drop();
    }
  }, 90_000);

  it('in production, refuses to serve on pending migrations, naming the command to run', async () => {
    const db = await emptyDatabase();
    const logs: string[] = [];
    try {
      const env = { ...PRODUCTION_ENV, DATABASE_URL: db.url, API_PORT: String(await freePort()), LOG_LEVEL: 'info' };
      await expect(startChildApi(env, logs)).rejects.toThrow(/exited before it was ready/);
      const fatal = logs.map((line) => (line.startsWith('{') ? JSON.parse(line) : null)).find((entry) => entry?.level === 60);
      expect(fatal.msg).toMatch(/migration\(s\) pending.*npm run kometpay -- db migrate/s);
      // Production did not migrate on its own (reading the version creates only the bookkeeping table).
      const [{ tables }] = await query<{ tables: number }>(
        db.url,
        "select count(*)::int as tables from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations'",
      );
      expect(tables).toBe(0);

      expect(await cli(['db', 'migrate'], { DATABASE_URL: db.url })).toMatchObject({ code: 0 });
      const api = await startChildApi(env, logs);
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      await api.stop();
    } finally {
      await db.drop();
    }
  }, 90_000);
});
