import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort, startApiProcess } from '../lib/api-process.mjs';
import { percentile } from '../lib/load.mjs';
import { createBenchDatabase, dropBenchDatabase, root, seedMerchant, settleAfterSeeding, withClient } from '../lib/postgres.mjs';

const TRANSACTIONS = 10_000;
const PAGE_SIZE = 50;
const REQUESTS = 200;
const SESSION = `kps_bench${'s'.repeat(38)}`;
/** JavaScript per page, gzipped: see docs/console.md (SvelteKit's client is most of it, shared and cached). */
export const JS_BUDGET_KB = 64;

const TRANSACTION_ROW = `id kind status channel method createdAt amount { amount currency formatted } fee { formatted } refundedAmount { amount formatted }
  authorizationCode failureMessage requiresManualReconciliation reconciledAt reconciledBy settlement customer { id name } invoices { id number } refundOf { id }`;
const TRANSACTIONS_QUERY = `query ($after: String) { transactions(first: ${PAGE_SIZE}, after: $after, filter: {}) { edges { node { ${TRANSACTION_ROW} } }
  pageInfo { hasNextPage endCursor } totals { count currency charged { formatted } refunded { formatted } fees { formatted } } } }`;
const TOTALS =
  'count settled { amount formatted } pending { amount formatted } failed { amount formatted } refunded { amount formatted } fees { amount formatted } net { amount formatted }';
const SETTLEMENT_QUERY = `query ($from: Date!, $to: Date!) { settlementReport(from: $from, to: $to, currency: "USD") { from to currency totals { ${TOTALS} }
  days { date totals { ${TOTALS} } transactions { id kind settlement settlementReference amount { amount } fee { amount } } } } }`;

/** p95 and p99 (ms) of `REQUESTS` sequential requests after 20 warm-up ones, each read to its end. */
async function latency(request) {
  for (let i = 0; i < 20; i++) await (await request()).text();
  const times = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = process.hrtime.bigint();
    const response = await request();
    await response.text();
    if (!response.ok) throw new Error(`answered ${response.status}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p95: percentile(times, 95), p99: percentile(times, 99) };
}

/** A module's static imports (`import … from "…"`, `export … from "…"`, `import "…"`), not its `import()` calls. */
const STATIC_IMPORT = /(?:\bfrom\s*|\bimport\s*)["']([^"']+\.js)["']/g;
/** SvelteKit's app entry loads route node <id> with `import("…/nodes/<id>.<hash>.js")`. */
const NODE_IMPORT = /import\(\s*["']([^"']*\/nodes\/(\d+)\.[^"'/]+\.js)["']\s*\)/g;

/**
 * Every script a first visit to the page loads, gzipped at level 9: the scripts its HTML names
 * (script src, modulepreload, SvelteKit's `import()` of its start and app entries), the route's nodes
 * SvelteKit starts with (`node_ids`), and every module they import statically, followed to the end.
 * This is what the browser fetches (tests/console/accessibility.test.ts weighs it in Chromium).
 */
async function javascriptKilobytes(url, headers) {
  const html = await (await fetch(url, { headers })).text();
  // Attributes in any order: SvelteKit writes <link href="..." rel="modulepreload">.
  const preloads = [...html.matchAll(/<link\b[^>]*>/g)]
    .map(([tag]) => (/\brel="modulepreload"/.test(tag) ? /\bhref="([^"]+)"/.exec(tag)?.[1] : undefined))
    .filter((href) => href !== undefined);
  const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"|import\("([^"]+\.js)"\)/g)].map((m) => m[1] ?? m[2]);
  const entries = [...preloads, ...scripts].map((source) => new URL(source, url).toString());
  // The route's nodes are named in the app entry's import() list, `nodes/<id>.<hash>.js`.
  const startingNodes = /node_ids:\s*\[([\d,\s]+)\]/.exec(html)?.[1] ?? '';
  const nodeIds = new Set(startingNodes.split(',').map((id) => id.trim()));

  const seen = new Set();
  const queue = [...entries];
  let bytes = 0;
  while (queue.length) {
    const source = queue.shift();
    if (seen.has(source)) continue;
    seen.add(source);
    const response = await fetch(source);
    if (!response.ok) throw new Error(`${source} answered ${response.status}`);
    const code = Buffer.from(await response.arrayBuffer());
    bytes += gzipSync(code, { level: 9 }).length;
    const text = code.toString('utf8');
    for (const [, specifier] of text.matchAll(STATIC_IMPORT)) queue.push(new URL(specifier, source).toString());
    for (const [, specifier, id] of text.matchAll(NODE_IMPORT)) if (nodeIds.has(id)) queue.push(new URL(specifier, source).toString());
  }
  return bytes / 1024;
}

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer`);
}

/** S8: the console's server render of the transaction log (pages 1 and 100 of 10,000) and of 90 days of settlement, each against the API query it renders. */
export async function measure({ adminUrl, progress }) {
  const name = 'kometpay_bench_s8';
  const url = await createBenchDatabase(adminUrl, name);
  const { merchantId, customerId } = await withClient(url, (client) => seedMerchant(client));
  progress(`S8: seeding ${TRANSACTIONS} transactions over 90 days and a staff session`);
  await withClient(url, async (client) => {
    await client.query(
      `insert into "transaction" (id, merchant_id, customer_id, kind, status, channel, method, amount, currency, fee, idempotency_key,
         requires_manual_reconciliation, settlement, settled_at, settlement_reference, version, created_at, updated_at)
       select gen_random_uuid(), $1, $2, 'CHARGE', case when i % 20 = 0 then 'FAILED' else 'SUCCEEDED' end, 'MANUAL_ENTRY', 'CREDIT_CARD',
              1000 + i % 90000, 'USD', 59, 's8-' || i, false, case when i % 20 = 0 then 'FAILED' when i % 7 = 0 then 'PENDING' else 'SETTLED' end,
              case when i % 7 = 0 or i % 20 = 0 then null else now() - make_interval(secs => i * 770) end,
              'po_sbx_' || (i / 111), 1, now() - make_interval(secs => i * 770), now()
       from generate_series(1, $3::int) i`,
      [merchantId, customerId, TRANSACTIONS],
    );
    const { rows } = await client.query(
      `insert into staff_member (id, merchant_id, name, email, role, created_at, updated_at)
       values (gen_random_uuid(), $1, 'Bench Staff', 'staff@bench.example', 'SUPERVISOR', now(), now()) returning id`,
      [merchantId],
    );
    await client.query(
      `insert into staff_session (id, merchant_id, staff_member_id, token_hash, created_at, last_seen_at, expires_at)
       values (gen_random_uuid(), $1, $2, $3, now(), now(), now() + interval '12 hours')`,
      [merchantId, rows[0].id, createHash('sha256').update(SESSION).digest('hex')],
    );
    await settleAfterSeeding(client, ['transaction']);
  });
  const page100After = await withClient(url, async (client) => {
    const { rows } = await client.query(
      `select created_at, id from "transaction" where merchant_id = $1 order by created_at desc, id desc offset $2 limit 1`,
      [merchantId, 99 * PAGE_SIZE - 1],
    );
    return Buffer.from(JSON.stringify([new Date(rows[0].created_at).toISOString(), rows[0].id])).toString('base64url');
  });

  const consolePort = await freePort();
  const consoleUrl = `http://127.0.0.1:${consolePort}`;
  const api = await startApiProcess({ databaseUrl: url, port: await freePort(), env: { CONSOLE_URL: consoleUrl } });
  const consoleServer = spawn(process.execPath, [path.join(root, 'apps/console/build/index.js')], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(consolePort),
      ORIGIN: consoleUrl,
      KOMETPAY_API_URL: api.url,
      SHUTDOWN_TIMEOUT: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitFor(`${consoleUrl}/healthz`);
    const cookie = { cookie: `kometpay_session=${SESSION}` };
    const graphql = (query, variables) => () =>
      fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SESSION}` },
        body: JSON.stringify({ query, variables }),
      });
    const page = (route) => () => fetch(`${consoleUrl}${route}`, { headers: cookie, redirect: 'manual' });
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
    const firstPage = await (await page('/transactions')()).text();
    if (!firstPage.includes('Charges and refunds')) throw new Error('the transaction log did not render');

    progress('S8: the transaction log, page 1 (API query, then the console page)');
    const api1 = await latency(graphql(TRANSACTIONS_QUERY, { after: null }));
    const page1 = await latency(page('/transactions'));
    progress('S8: the transaction log, page 100');
    const api100 = await latency(graphql(TRANSACTIONS_QUERY, { after: page100After }));
    const page100 = await latency(page(`/transactions?after=${page100After}`));
    progress('S8: the settlement report, 90 days');
    const apiSettlement = await latency(graphql(SETTLEMENT_QUERY, { from, to }));
    const pageSettlement = await latency(page(`/settlement?from=${from}&to=${to}`));
    const routes = ['/', '/transactions', '/settlement', '/payments/invoices', '/customers'];
    const javascript = {};
    for (const route of routes) javascript[route] = await javascriptKilobytes(`${consoleUrl}${route}`, cookie);
    return {
      workload: `console server render (its API call included) vs the API query alone: transaction log over ${TRANSACTIONS.toLocaleString('en-US')} rows, pages 1 and 100; settlement report, 90 days; JS per page`,
      figures: {
        page1P95: page1.p95,
        api1P95: api1.p95,
        page100P95: page100.p95,
        api100P95: api100.p95,
        settlementP95: pageSettlement.p95,
        apiSettlementP95: apiSettlement.p95,
        maxJsKilobytes: Math.max(...Object.values(javascript)),
      },
      raw: { page1, api1, page100, api100, pageSettlement, apiSettlement, javascript },
    };
  } finally {
    consoleServer.kill('SIGTERM');
    await api.stop();
    await dropBenchDatabase(adminUrl, name);
  }
}

export function present(f) {
  const ms = (value) => `${value.toFixed(1)} ms`;
  const ratio = (ours, base) => `${(ours / base).toFixed(2)}x`;
  return {
    ours: `render p95: log page 1 ${ms(f.page1P95)}, page 100 ${ms(f.page100P95)}; settlement 90 days ${ms(f.settlementP95)}; JS at most ${f.maxJsKilobytes.toFixed(1)} KB gz per page`,
    baseline: `API query p95: ${ms(f.api1P95)}, ${ms(f.api100P95)}; ${ms(f.apiSettlementP95)}; JS budget ${JS_BUDGET_KB} KB gz`,
    ratio: `${ratio(f.page1P95, f.api1P95)} / ${ratio(f.page100P95, f.api100P95)} / ${ratio(f.settlementP95, f.apiSettlementP95)}`,
    met:
      f.page1P95 <= 2 * f.api1P95 &&
      f.page100P95 <= 2 * f.api100P95 &&
      f.settlementP95 <= 2 * f.apiSettlementP95 &&
      f.maxJsKilobytes <= JS_BUDGET_KB,
  };
}
