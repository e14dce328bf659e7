import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, startApiProcess } from '../lib/api-process.mjs';
import { percentile, runLoad } from '../lib/load.mjs';
import { createBenchDatabase, dropBenchDatabase, seedMerchant, settleAfterSeeding, withClient } from '../lib/postgres.mjs';

const ROWS = 1_000_000;
const CHUNK = 100_000;
const REQUESTS = 300;
const PAGE_SIZE = 50;
const run_ = promisify(execFile);
const query = `query ($after: String) { transactions(first: ${PAGE_SIZE}, after: $after) {
  edges { cursor node { id kind status channel method amount { amount } createdAt } } pageInfo { hasNextPage endCursor } } }`;

const cursorOf = (row) => Buffer.from(JSON.stringify([new Date(row.created_at).toISOString(), row.id])).toString('base64url');

/** The same keyset SQL through pgbench (one connection): p95 and p99 (ms) from its per-transaction log. */
async function pgbenchLatency(url, merchantId, after) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kometpay-pgbench-'));
  const keyset = after ? `and (created_at, id) < ('${new Date(after.created_at).toISOString()}'::timestamptz, '${after.id}'::uuid)` : '';
  const script = path.join(dir, 'page.sql');
  await writeFile(
    script,
    `select * from "transaction" where merchant_id = '${merchantId}' ${keyset} order by created_at desc, id desc limit ${PAGE_SIZE + 1};\n`,
  );
  const target = new URL(url);
  await run_(
    'pgbench',
    [
      '-n',
      '-c',
      '1',
      '-t',
      String(REQUESTS),
      '-f',
      script,
      '-l',
      '--log-prefix',
      path.join(dir, 'log'),
      '-h',
      target.hostname,
      '-p',
      target.port || '5432',
      '-U',
      decodeURIComponent(target.username),
      target.pathname.slice(1),
    ],
    {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) },
      cwd: dir,
    },
  );
  const logs = (await readdir(dir)).filter((file) => file.startsWith('log'));
  const micros = (await Promise.all(logs.map((file) => readFile(path.join(dir, file), 'utf8'))))
    .flatMap((text) => text.trim().split('\n'))
    .map((line) => Number(line.split(' ')[2]))
    .sort((a, b) => a - b);
  return { p95: percentile(micros, 95) / 1000, p99: percentile(micros, 99) / 1000 };
}

/** S5: the transaction log over 1,000,000 rows, pages 1 and 1,000 (keyset). */
export async function measure({ adminUrl, progress }) {
  const name = 'kometpay_bench_s5';
  const url = await createBenchDatabase(adminUrl, name);
  const { merchantId, customerId, apiKey } = await withClient(url, (client) => seedMerchant(client));
  await withClient(url, async (client) => {
    for (let start = 1; start <= ROWS; start += CHUNK) {
      progress(`S5: seeding transactions ${start}-${start + CHUNK - 1} of ${ROWS}`);
      await client.query(
        `
        insert into "transaction" (id, merchant_id, customer_id, kind, status, channel, method, amount, currency, fee, idempotency_key, requires_manual_reconciliation, settlement, version, created_at, updated_at)
        select gen_random_uuid(), $1, $2, 'CHARGE', case when i % 20 = 0 then 'FAILED' else 'SUCCEEDED' end, 'MANUAL_ENTRY',
               case when i % 3 = 0 then 'DEBIT_CARD' else 'CREDIT_CARD' end, 1000 + i % 90000, 'USD', 59, 'bulk-' || i, false, 'SETTLED', 1,
               now() - make_interval(secs => i * 30), now()
        from generate_series($3::int, $4::int) i`,
        [merchantId, customerId, start, start + CHUNK - 1],
      );
    }
    await settleAfterSeeding(client, ['transaction']);
  });
  const page1000After = await withClient(
    url,
    async (client) =>
      (
        await client.query(
          `select created_at, id from "transaction" where merchant_id = $1 order by created_at desc, id desc offset $2 limit 1`,
          [merchantId, 999 * PAGE_SIZE - 1],
        )
      ).rows[0],
  );

  progress('S5: baseline (the keyset SQL through pgbench), pages 1 and 1,000');
  const base1 = await pgbenchLatency(url, merchantId, null);
  const base1000 = await pgbenchLatency(url, merchantId, page1000After);

  progress(`S5: KometPay transactions(first: 50), pages 1 and 1,000, ${REQUESTS} requests each`);
  const api = await startApiProcess({ databaseUrl: url, port: await freePort() });
  const headers = { authorization: `Bearer ${apiKey}` };
  const page = (after) => JSON.stringify({ query, variables: { after } });
  await runLoad({
    mode: 'sequential',
    url: `${api.url}/graphql`,
    amount: 30,
    bodies: [page(null), page(cursorOf(page1000After))],
    headers,
  });
  const ours1 = await runLoad({ mode: 'sequential', url: `${api.url}/graphql`, amount: REQUESTS, bodies: [page(null)], headers });
  const ours1000 = await runLoad({
    mode: 'sequential',
    url: `${api.url}/graphql`,
    amount: REQUESTS,
    bodies: [page(cursorOf(page1000After))],
    headers,
  });
  await api.stop();
  await dropBenchDatabase(adminUrl, name);

  return {
    workload: 'transaction log over 1,000,000 rows, pages 1 and 1,000 (keyset), one connection',
    figures: {
      oursP95Page1: ours1.p95,
      oursP99Page1: ours1.p99,
      oursP95Page1000: ours1000.p95,
      oursP99Page1000: ours1000.p99,
      oursErrors: ours1.errors + ours1000.errors,
      baseP95Page1: base1.p95,
      baseP99Page1: base1.p99,
      baseP95Page1000: base1000.p95,
      baseP99Page1000: base1000.p99,
    },
    raw: { ours1, ours1000, base1, base1000 },
  };
}

export const worstOf = ['oursErrors'];

export function present(f) {
  const ms = (value) => value.toFixed(1);
  const spread = Math.max(f.oursP95Page1, f.oursP95Page1000) / Math.min(f.oursP95Page1, f.oursP95Page1000);
  return {
    ours: `page 1: p95 ${ms(f.oursP95Page1)} ms, p99 ${ms(f.oursP99Page1)} ms; page 1,000: p95 ${ms(f.oursP95Page1000)} ms, p99 ${ms(f.oursP99Page1000)} ms (p95s ${spread.toFixed(2)}x apart); ${f.oursErrors} errors`,
    baseline: `pgbench page 1: p95 ${ms(f.baseP95Page1)} ms, p99 ${ms(f.baseP99Page1)} ms; page 1,000: p95 ${ms(f.baseP95Page1000)} ms, p99 ${ms(f.baseP99Page1000)} ms`,
    ratio: `p95 ${(f.oursP95Page1 / f.baseP95Page1).toFixed(1)}x / ${(f.oursP95Page1000 / f.baseP95Page1000).toFixed(1)}x; p99 ${(f.oursP99Page1 / f.baseP99Page1).toFixed(1)}x / ${(f.oursP99Page1000 / f.baseP99Page1000).toFixed(1)}x (page 1 / page 1,000)`,
    met: f.oursP95Page1 <= 20 && f.oursP95Page1000 <= 20 && spread <= 1.5 && f.oursErrors === 0,
  };
}
