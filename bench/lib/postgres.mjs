import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The benchmark's PostgreSQL server: DATABASE_URL's, else an embedded one under .data/bench. */
export async function benchServer() {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, stop: async () => {} };
  const { startEmbeddedPostgres, createLogger } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));
  const embedded = await startEmbeddedPostgres(path.join(root, '.data/bench'), 54349, 'postgres', createLogger('warn'));
  return { adminUrl: embedded.url, stop: () => embedded.stop() };
}

export function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A dedicated, migrated database for one scenario. */
export async function createBenchDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = databaseUrl(adminUrl, name);
  const { createOrm, migrate, installJobQueue, createLogger } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));
  const logger = createLogger('warn');
  const orm = await createOrm(url, 2, logger);
  await migrate(orm, logger);
  await orm.close();
  await installJobQueue(url);
  return url;
}

export async function dropBenchDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A merchant with a known API key and one customer, inserted directly (bulk seeding, not the API). */
export async function seedMerchant(client, apiKey = `kp_benchKey_${'x'.repeat(43)}`) {
  const { rows } = await client.query(
    `
    with m as (insert into merchant (id, name, supervisor_password_hash, created_at, updated_at)
               values (gen_random_uuid(), 'Bench Flowers', 'not-a-real-hash', now(), now()) returning id),
         k as (insert into api_key (id, merchant_id, prefix, token_hash, label, created_at)
               select gen_random_uuid(), m.id, 'kp_benchKey', encode(sha256(convert_to($1, 'UTF8')), 'hex'), 'bench', now() from m),
         c as (insert into customer (id, merchant_id, name, email, created_at, updated_at)
               select gen_random_uuid(), m.id, 'Bench Buyer', 'buyer@bench.example', now(), now() from m returning id)
    select m.id as merchant_id, c.id as customer_id from m, c`,
    [apiKey],
  );
  return { merchantId: rows[0].merchant_id, customerId: rows[0].customer_id, apiKey };
}

/**
 * `count` sent invoices (two lines each: $100.00 total) with an ACTIVE payment link whose token is
 * `${tokenPrefix}${i}`, in three INSERT ... SELECT statements.
 */
export async function seedInvoicesWithLinks(client, { merchantId, customerId, count, tokenPrefix, numberPrefix }) {
  await client.query(
    `
    insert into invoice (id, merchant_id, customer_id, number, status, currency, due_date, sent_at, version, created_at, updated_at)
    select md5($3 || i)::uuid, $1, $2, $3 || i, 'OPEN', 'USD', current_date + 30, now(), 1,
           now() - make_interval(secs => $4 - i), now()
    from generate_series(1, $4) i`,
    [merchantId, customerId, numberPrefix, count],
  );
  await client.query(
    `
    insert into invoice_line (id, invoice_id, position, description, quantity, unit_amount)
    select gen_random_uuid(), md5($1 || i)::uuid, p, case p when 0 then 'Red roses, 50 stems' else 'Delivery' end, case p when 0 then 3 else 1 end, case p when 0 then 3000 else 1000 end
    from generate_series(1, $2) i, generate_series(0, 1) p`,
    [numberPrefix, count],
  );
  await client.query(
    `
    insert into payment_link (id, merchant_id, invoice_id, token_hash, status, expires_at, created_at)
    select gen_random_uuid(), $1, md5($2 || i)::uuid, encode(sha256(convert_to($3 || i, 'UTF8')), 'hex'), 'ACTIVE', now() + interval '30 days', now()
    from generate_series(1, $4) i`,
    [merchantId, numberPrefix, tokenPrefix, count],
  );
  await settleAfterSeeding(client);
}

/**
 * After a bulk seed: vacuum (and analyze) now, then checkpoint, so that autovacuum's insert-triggered
 * pass and the checkpoint of the seed's WAL do not land in the middle of whichever run comes next,
 * the baseline's or ours (they did: a scenario's baseline moved by a third between runs).
 */
export async function settleAfterSeeding(client, tables = []) {
  await client.query(`vacuum (analyze) ${tables.map((table) => `"${table}"`).join(', ')}`);
  await client.query('checkpoint');
}
