import path from 'node:path';
import { BENCH_PRODUCTION_ENV, freePort, startApiProcess } from '../lib/api-process.mjs';
import { startBaseline } from '../lib/baseline-process.mjs';
import { runLoad } from '../lib/load.mjs';
import {
  createBenchDatabase,
  dropBenchDatabase,
  root,
  seedInvoicesWithLinks,
  seedMerchant,
  settleAfterSeeding,
  withClient,
} from '../lib/postgres.mjs';

const INVOICES = 5_000;
const REQUESTS = 300;
const query = (first) => `{ invoices(first: ${first}) { edges { node {
  id number status total { amount formatted } amountDue { amount formatted }
  customer { id name } paymentLink { id status expiresAt } transactions { id status amount { amount } } } } } }`;

/** Counts the SQL statements one request issues, with the API in-process and its ORM's query log on. */
async function statementsPerRequest(url, apiKey, first) {
  const dist = (file) => import(path.join(root, 'apps/api/dist', file));
  const { loadSettings, createLogger, createOrm, startApi } = await dist('app/test-kit.js');
  const settings = loadSettings({
    ...BENCH_PRODUCTION_ENV,
    DATABASE_URL: url,
    LOG_LEVEL: 'error',
    RUN_JOBS: 'false',
  });
  const logger = createLogger('error');
  const statements = [];
  const orm = await createOrm(url, 5, logger, (sql) => statements.push(sql));
  const api = await startApi({ settings, databaseUrl: url, orm, logger, port: 0 });
  const send = () =>
    fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: query(first) }),
    }).then((r) => r.json());
  await send(); // warm: schema, caches, the key's last-use stamp
  statements.length = 0;
  await send();
  const count = statements.length;
  await api.close();
  await orm.close();
  return count;
}

/** S3: invoices(first: 50) with customer, link and transactions, over 5,000 invoices x 3 transactions. */
export async function measure({ adminUrl, progress }) {
  const name = 'kometpay_bench_s3';
  const url = await createBenchDatabase(adminUrl, name);
  progress(`S3: seeding ${INVOICES} invoices x 3 transactions`);
  const { merchantId, apiKey } = await withClient(url, async (client) => {
    const merchant = await seedMerchant(client);
    await seedInvoicesWithLinks(client, { ...merchant, count: INVOICES, tokenPrefix: 's3-link-', numberPrefix: 'S3-' });
    await client.query(
      `
      with tx as (
        insert into "transaction" (id, merchant_id, customer_id, kind, status, channel, method, amount, currency, idempotency_key, requires_manual_reconciliation, settlement, fee, version, created_at, updated_at)
        select md5('S3-tx-' || i || '-' || k)::uuid, $1, $2, 'CHARGE', 'SUCCEEDED', 'OFFLINE', 'CHECK', 1000, 'USD', 'S3-' || i || '-' || k, false, 'SETTLED', 0, 1, now(), now()
        from generate_series(1, $3) i, generate_series(1, 3) k returning id, idempotency_key)
      insert into transaction_allocation (id, transaction_id, invoice_id, amount)
      select gen_random_uuid(), tx.id, md5('S3-' || split_part(tx.idempotency_key, '-', 2))::uuid, 1000 from tx`,
      [merchant.merchantId, merchant.customerId, INVOICES],
    );
    await client.query(`update invoice set status = 'PARTIALLY_PAID' where number like 'S3-%'`);
    await settleAfterSeeding(client);
    return merchant;
  });

  progress('S3: counting statements per request (pages of 10 and 50)');
  const [for10, for50] = [await statementsPerRequest(url, apiKey, 10), await statementsPerRequest(url, apiKey, 50)];

  progress(`S3: baseline (one SQL with json_agg), ${REQUESTS} requests`);
  const basePort = await freePort();
  const baseline = await startBaseline(path.join(root, 'bench/baselines/invoice-page-server.mjs'), [url, String(basePort), merchantId]);
  const body = JSON.stringify({ query: query(50) });
  await runLoad({ mode: 'sequential', url: `http://127.0.0.1:${basePort}/`, amount: 30, bodies: [body] });
  const base = await runLoad({ mode: 'sequential', url: `http://127.0.0.1:${basePort}/`, amount: REQUESTS, bodies: [body] });
  await baseline.stop();

  progress(`S3: KometPay invoices(first: 50), ${REQUESTS} requests`);
  const api = await startApiProcess({ databaseUrl: url, port: await freePort() });
  const headers = { authorization: `Bearer ${apiKey}` };
  await runLoad({ mode: 'sequential', url: `${api.url}/graphql`, amount: 30, bodies: [body], headers });
  const ours = await runLoad({ mode: 'sequential', url: `${api.url}/graphql`, amount: REQUESTS, bodies: [body], headers });
  await api.stop();
  await dropBenchDatabase(adminUrl, name);

  return {
    workload: 'invoices(first: 50) with customer, link, transactions; 5,000 invoices x 3 transactions',
    figures: {
      statements50: for50,
      statements10: for10,
      oursP95: ours.p95,
      oursP99: ours.p99,
      oursErrors: ours.errors,
      baseP95: base.p95,
      baseP99: base.p99,
    },
    raw: { ours, baseline: base, statements: { for10, for50 } },
  };
}

export const worstOf = ['statements50', 'statements10', 'oursErrors'];

export function present(f) {
  const ratio = f.oursP95 / f.baseP95;
  return {
    ours: `${f.statements50} statements/request (${f.statements10} for a page of 10); p95 ${f.oursP95.toFixed(1)} ms, p99 ${f.oursP99.toFixed(1)} ms, ${f.oursErrors} errors`,
    baseline: `p95 ${f.baseP95.toFixed(1)} ms, p99 ${f.baseP99.toFixed(1)} ms (1 statement)`,
    ratio: `${ratio.toFixed(2)}x p95; p99 ${(f.oursP99 / f.baseP99).toFixed(2)}x`,
    met: f.statements50 <= 5 && f.statements50 === f.statements10 && ratio <= 3 && f.oursErrors === 0,
  };
}
