/**
 * `npm run bench:scaling`: S1 (the checkout's paymentLink reads) and S2 (payWithLink payments)
 * through nginx in front of 1, 2 and 3 API instances (scripts/cluster/cluster.mjs), on one database
 * per size. Prints the Markdown rows of docs/benchmarks.md's scaling table and writes
 * bench/results/scaling.json. `npm run bench:scaling -- --help` for the options.
 *
 * On one machine the instances share its cores with PostgreSQL, nginx and the load generator:
 * the table says how far adding instances helps *here*, where the next bottleneck is, not what
 * separate hosts would give.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from '../scripts/cluster/cluster.mjs';
import { checkNodeAndBuild } from './lib/build.mjs';
import { parseCommandLine, positiveNumber, runCommand, UsageError, wholeNumber } from './lib/cli.mjs';
import { runLoad } from './lib/load.mjs';
import {
  benchServer,
  createBenchDatabase,
  dropBenchDatabase,
  root,
  seedInvoicesWithLinks,
  seedMerchant,
  withClient,
} from './lib/postgres.mjs';

const COMMAND = 'npm run bench:scaling';
const OPTIONS = {
  instances: { type: 'string', default: '1,2,3' },
  seconds: { type: 'string', default: '20' },
  payments: { type: 'string', default: '3000' },
  connections: { type: 'string', default: '50' },
  out: { type: 'string', default: 'bench/results/scaling.json' },
  build: { type: 'boolean', default: true },
  help: { type: 'boolean', short: 'h', default: false },
};

const HELP = `Usage: ${COMMAND} -- [options]

For each number of API instances: a fresh database seeded in bulk, the cluster (nginx, that many API
instances in production mode, one checkout, the console) started on it, then through nginx:
  S1  paymentLink(token) over 10,000 tokens (+5% unknown), closed loop, for --seconds (after 3 s warm-up)
  S2  payWithLink on --payments distinct invoices (sandbox at 0 ms)
Prints one Markdown row per size and writes the figures to --out.

Options:
  --instances <list>   API instance counts (default 1,2,3)
  --seconds <n>        S1's timed window (default 20)
  --payments <n>       S2's payments per size (default 3000)
  --connections <n>    concurrent connections of the load generator (default 50)
  --out <file>         where the figures go (default bench/results/scaling.json)
  --no-build           do not build first
  -h, --help           this help

Environment: DATABASE_URL, a PostgreSQL server to use (default: an embedded one under .data/bench).`;

const TOKENS = 10_000;
const S1_QUERY = `query ($token: String!) { paymentLink(token: $token) {
  status merchantName invoiceNumber currency dueDate
  lines { description quantity unitAmount amount { amount formatted } }
  total { amount formatted } amountPaid { amount formatted } amountDue { amount formatted } } }`;
const S2_PAY = `mutation ($token: String!, $key: String!) { payWithLink(token: $token, paymentMethodToken: "pm_card_visa", idempotencyKey: $key) { status } }`;

async function measureSize({ adminUrl, instances, seconds, payments, connections, say }) {
  const name = `kometpay_scaling_${instances}`;
  const url = await createBenchDatabase(adminUrl, name);
  say(`${instances} instance(s): seeding ${TOKENS} links for S1 and ${payments} for S2`);
  await withClient(url, async (client) => {
    const merchant = await seedMerchant(client);
    await seedInvoicesWithLinks(client, { ...merchant, count: TOKENS, tokenPrefix: 'read-', numberPrefix: 'S1-' });
    await seedInvoicesWithLinks(client, { ...merchant, count: payments, tokenPrefix: 'pay-', numberPrefix: 'S2-' });
    await client.query('analyze');
  });
  const cluster = await startCluster({
    databaseUrl: url,
    dataDir: path.join(root, '.data/bench/scaling', String(instances)),
    apiInstances: instances,
    checkoutInstances: 1,
    env: { LOG_LEVEL: 'error', RUN_JOBS: 'false', TOKEN_LOOKUP_MAX_MISSES: '100000000', DB_POOL_SIZE: '20' },
    log: say,
  });
  try {
    const target = `${cluster.urls.api}/checkout/graphql`;
    const reads = [];
    for (let i = 1; i <= TOKENS; i++) {
      reads.push(JSON.stringify({ query: S1_QUERY, variables: { token: `read-${i}` } }));
      if (i % 20 === 0) reads.push(JSON.stringify({ query: S1_QUERY, variables: { token: `unknown-${i}` } }));
    }
    say(`${instances} instance(s): S1 warm-up, then ${seconds} s`);
    await runLoad({ mode: 'autocannon', url: target, connections, duration: 3, bodies: reads });
    const s1 = await runLoad({ mode: 'autocannon', url: target, connections, duration: seconds, bodies: reads });

    say(`${instances} instance(s): S2, ${payments} payments`);
    const pays = Array.from({ length: payments }, (_, i) =>
      JSON.stringify({ query: S2_PAY, variables: { token: `pay-${i + 1}`, key: randomUUID() } }),
    );
    const s2 = await runLoad({ mode: 'autocannon', url: target, connections, amount: payments, bodies: pays });
    const integrity = await withClient(url, async (client) => {
      const { rows } = await client.query(`
        select (select count(*) from "transaction" where status = 'SUCCEEDED')::int as succeeded,
               (select count(*) from (select a.invoice_id from transaction_allocation a join "transaction" t on t.id = a.transaction_id
                  where t.status = 'SUCCEEDED' group by a.invoice_id having count(*) > 1) d)::int as double_charged`);
      return rows[0];
    });
    return {
      instances,
      s1: { rps: s1.throughput, p50: s1.p50, p99: s1.p99, errors: s1.errors },
      s2: { rps: s2.requests / s2.durationSeconds, p50: s2.p50, p99: s2.p99, errors: s2.errors, ...integrity },
    };
  } finally {
    await cluster.stop();
    await dropBenchDatabase(adminUrl, name);
  }
}

function row(result, baseline) {
  const scale = (value, base) => (base ? ` (${(value / base).toFixed(2)}x)` : '');
  return (
    `| ${result.instances} | ${result.s1.rps.toFixed(0)}${scale(result.s1.rps, baseline?.s1.rps)} | ${result.s1.p99} ms | ${result.s1.errors} ` +
    `| ${result.s2.rps.toFixed(0)}${scale(result.s2.rps, baseline?.s2.rps)} | ${result.s2.p99} ms | ${result.s2.errors} | ${result.s2.succeeded} / ${result.s2.double_charged} |`
  );
}

async function main() {
  const values = parseCommandLine({ example: `${COMMAND} -- --instances 1,2`, options: OPTIONS });
  if (values.help) return console.log(HELP);
  const sizes = values.instances.split(',').map((n) => wholeNumber('instances', n.trim()));
  if (sizes.some((n) => n > 8)) throw new UsageError('--instances: at most 8 per size on one machine');
  const settings = {
    seconds: positiveNumber('seconds', values.seconds),
    payments: wholeNumber('payments', values.payments),
    connections: wholeNumber('connections', values.connections),
  };
  if (values.build) await checkNodeAndBuild();
  const say = (line) => console.error(`[scaling ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const server = await benchServer();
  const results = [];
  try {
    for (const instances of sizes) results.push(await measureSize({ adminUrl: server.adminUrl, instances, ...settings, say }));
  } finally {
    await server.stop();
  }
  const out = path.resolve(root, values.out);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    JSON.stringify(
      { measuredAt: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model }, settings, results },
      null,
      2,
    ),
  );
  console.log('| API instances | S1 req/s | S1 p99 | S1 errors | S2 payments/s | S2 p99 | S2 errors | S2 succeeded / double-charged |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const result of results) console.log(row(result, results[0]));
}

await runCommand(COMMAND, main);
