/**
 * Subscription fan-out: 1,000 partner subscribers of one merchant on paymentStatusChanged (graphql-ws),
 * 10 payment events a second for 30 s, written as outbox rows by another connection (as any writer
 * would). Measures publish-to-receive latency (p50, p99) and dropped events, next to a baseline run
 * in the same process: a bare `ws` server broadcasting the same bytes to 1,000 bare `ws` clients.
 *
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/subscriptions.bench.mjs
 *
 * `npm run bench` runs it as scenario S4 (bench/scenarios/s4-subscriptions.mjs), which reads the
 * figures from BENCH_RESULT_FILE.
 *
 * Without DATABASE_URL it uses an embedded PostgreSQL under .data/bench. It works in its own
 * database, dropped at the end, against the built API (apps/api/dist) started as a real process.
 * BENCH_SUBSCRIBERS and BENCH_SECONDS shrink the run for a quick look.
 */
import { execFile, fork, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { freePort } from '../scripts/lib/free-port.mjs';
import { BENCH_PRODUCTION_ENV } from './lib/api-process.mjs';
import { createBenchDatabase } from './lib/postgres.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'apps/api/dist');
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS_PER_SECOND = 10;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const TARGET_P99_MS = 100;
const CONNECT_BATCH = 100;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (!existsSync(path.join(dist, 'app/main.js'))) {
  console.error('apps/api/dist is missing: run `npm run build` first');
  process.exit(1);
}
const CURSOR_SECRET = 'bench-cursor-secret-not-for-production-0123456789';
const { PaymentEventCursors, CursorSigner } = await import(path.join(dist, 'app/test-kit.js'));
const cursors = new PaymentEventCursors(new CursorSigner([CURSOR_SECRET]));

async function benchDatabase() {
  let adminUrl = process.env.DATABASE_URL;
  let embedded;
  if (!adminUrl) {
    const { startEmbeddedPostgres, createLogger } = await import(path.join(dist, 'app/test-kit.js'));
    embedded = await startEmbeddedPostgres(path.join(root, '.data/bench'), 54349, 'postgres', createLogger('warn'));
    adminUrl = embedded.url;
  }
  const name = `kometpay_bench_${randomBytes(4).toString('hex')}`;
  // Migrated here, as a release does (npm run kometpay -- db migrate): the API runs as in production, which never migrates at start.
  const url = await createBenchDatabase(adminUrl, name);
  return {
    url,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      await embedded?.stop();
    },
  };
}

async function startApi(databaseUrl) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(dist, 'app/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      API_PORT: String(port),
      SEED_DEMO_DATA: 'false',
      RUN_JOBS: 'false',
      ...BENCH_PRODUCTION_ENV,
      CURSOR_SECRETS: CURSOR_SECRET,
      WS_MAX_CONNECTIONS_PER_ADDRESS: String(SUBSCRIBERS + 10),
      LOG_LEVEL: 'warn',
      KOMETPAY_DATA_DIR: path.join(root, '.data/bench/api'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (
    let waited = 0;
    !(await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    ));
    waited += 100
  ) {
    if (waited > 30_000) throw new Error('the API did not start');
    await sleep(100);
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

const kometpay = async (databaseUrl, ...args) =>
  JSON.parse(
    (
      await promisify(execFile)(process.execPath, [path.join(dist, 'app/cli/main.js'), ...args, '--json'], {
        env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' },
      })
    ).stdout,
  );

async function graphql(apiUrl, key, query, variables) {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** A merchant with one paid invoice, a partner it granted, and the transaction the benchmark's events are about. */
async function setUp(databaseUrl, apiUrl) {
  const merchant = await kometpay(databaseUrl, 'merchant', 'create', '--name', 'Bench Flowers', '--generate-supervisor-password');
  const { key: merchantKey } = await kometpay(databaseUrl, 'merchant', 'api-key', 'create', '--merchant', merchant.id);
  const partner = await kometpay(databaseUrl, 'partner', 'create', '--name', 'Bench Partner');
  const { key: partnerKey } = await kometpay(databaseUrl, 'partner', 'api-key', 'create', '--partner', partner.id);
  await graphql(apiUrl, merchantKey, 'mutation ($id: ID!) { grantPartnerAccess(partnerId: $id) }', { id: partner.id });
  const { createCustomer } = await graphql(
    apiUrl,
    merchantKey,
    'mutation { createCustomer(input: { name: "Bench Buyer", email: "bench@example.com" }) { id } }',
  );
  const input = {
    customerId: createCustomer.id,
    number: 'BENCH-1',
    currency: 'USD',
    lines: [{ description: 'Roses', quantity: 1, unitAmount: '100000000' }],
  };
  const { createInvoice } = await graphql(
    apiUrl,
    merchantKey,
    'mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }',
    { input },
  );
  await graphql(apiUrl, merchantKey, 'mutation ($id: ID!) { sendInvoice(id: $id) { id } }', { id: createInvoice.id });
  const { recordOfflinePayment } = await graphql(
    apiUrl,
    merchantKey,
    'mutation ($id: ID!, $key: String!) { recordOfflinePayment(invoiceId: $id, amount: "100", method: CHECK, idempotencyKey: $key) { id } }',
    { id: createInvoice.id, key: randomUUID() },
  );
  return { merchantId: merchant.id, partnerKey, invoiceId: createInvoice.id, transactionId: recordOfflinePayment.id };
}

/** Latencies and losses of one scenario, keyed by the event's occurredAt (unique per published event). */
function tally(subscribers) {
  const received = Array.from({ length: subscribers }, () => new Map());
  return {
    received,
    record(subscriber, occurredAt) {
      received[subscriber].set(occurredAt, Date.now() - Date.parse(occurredAt));
    },
    async allHave(occurredAt, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received.some((events) => !events.has(occurredAt))) {
        if (Date.now() > deadline)
          throw new Error(
            `only ${received.filter((events) => events.has(occurredAt)).length} of ${subscribers} subscribers received the warm-up event`,
          );
        await sleep(20);
      }
    },
    summary(published) {
      const latencies = [];
      let dropped = 0;
      for (const events of received) {
        for (const occurredAt of published) {
          const latency = events.get(occurredAt);
          if (latency === undefined) dropped++;
          else latencies.push(latency);
        }
      }
      latencies.sort((a, b) => a - b);
      const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
      return { p50: at(0.5), p99: at(0.99), dropped, delivered: latencies.length };
    },
  };
}

/** Publishes one event every 1/EVENTS_PER_SECOND s for SECONDS, on schedule (not drifting), then lets stragglers arrive. */
async function publishFor(publish) {
  const published = [];
  const started = Date.now();
  const count = EVENTS_PER_SECOND * SECONDS;
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, started + (i * 1000) / EVENTS_PER_SECOND - Date.now()));
    const occurredAt = new Date().toISOString();
    published.push(occurredAt);
    await publish(occurredAt);
  }
  await sleep(2000);
  return published;
}

async function connectInBatches(count, connect) {
  const connections = [];
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    connections.push(...(await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, (_, j) => connect(i + j)))));
  }
  return connections;
}

async function runOurs(databaseUrl) {
  const api = await startApi(databaseUrl);
  const clients = [];
  const writer = new pg.Client({ connectionString: databaseUrl });
  await writer.connect();
  try {
    const { merchantId, partnerKey, invoiceId, transactionId } = await setUp(databaseUrl, api.url);
    const {
      rows: [{ max }],
    } = await writer.query('select max(position)::text as max from outbox_event');
    const after = cursors.issue(merchantId, BigInt(max));
    const query = `subscription ($merchantId: ID!, $after: String) { paymentStatusChanged(merchantId: $merchantId, after: $after) {
      cursor type occurredAt transaction { id status amount { amount currency } settlement } invoices { id number status amountDue { amount formatted } } } }`;
    const results = tally(SUBSCRIBERS);
    let sample;
    await connectInBatches(SUBSCRIBERS, (index) => {
      const client = createClient({
        url: `${api.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${partnerKey}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe(
        { query, variables: { merchantId, after } },
        {
          next: ({ data, errors }) => {
            if (errors) throw new Error(JSON.stringify(errors));
            sample ??= data;
            results.record(index, data.paymentStatusChanged.occurredAt);
          },
          error: (error) => console.error(`subscriber ${index} failed`, error),
          complete: () => undefined,
        },
      );
      return client;
    });
    const publish = (occurredAt) =>
      writer.query(
        `insert into outbox_event (merchant_id, aggregate_type, aggregate_id, type, payload, occurred_at) values ($1, 'transaction', $2, 'transaction.succeeded', $3, $4)`,
        [merchantId, transactionId, JSON.stringify({ invoiceIds: [invoiceId], amount: '100', channel: 'OFFLINE' }), occurredAt],
      );
    const warmUp = new Date().toISOString();
    await publish(warmUp);
    await results.allHave(warmUp, 60_000);
    const published = await publishFor(publish);
    return {
      ...results.summary(published),
      published: published.length,
      bytes: JSON.stringify({ id: '1', type: 'next', payload: { data: sample } }),
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await writer.end();
    await api.stop();
  }
}

async function runBaseline(template) {
  const server = fork(path.join(root, 'bench/support/raw-broadcast-server.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => server.once('message', resolve));
  const results = tally(SUBSCRIBERS);
  const sockets = await connectInBatches(
    SUBSCRIBERS,
    (index) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}`);
        socket.on('message', (bytes) => results.record(index, JSON.parse(bytes.toString()).payload.data.paymentStatusChanged.occurredAt));
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      }),
  );
  try {
    const publish = (occurredAt) => server.send(template.replace(/"occurredAt":"[^"]*"/, `"occurredAt":"${occurredAt}"`));
    const warmUp = new Date().toISOString();
    publish(warmUp);
    await results.allHave(warmUp, 30_000);
    const published = await publishFor(publish);
    return { ...results.summary(published), published: published.length };
  } finally {
    for (const socket of sockets) socket.close();
    server.disconnect();
  }
}

const database = await benchDatabase();
try {
  const started = Date.now();
  const ours = await runOurs(database.url);
  const baseline = await runBaseline(ours.bytes);
  const met = ours.p99 <= TARGET_P99_MS && ours.dropped === 0;
  const figure = (r) => `p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.dropped} dropped of ${r.published * SUBSCRIBERS}`;
  console.log(
    `\n${SUBSCRIBERS} subscribers, ${EVENTS_PER_SECOND} events/s for ${SECONDS} s, ${ours.bytes.length} bytes a message (${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
  const ratio = (q) => `${(ours[q] / Math.max(baseline[q], 1)).toFixed(1)}x`;
  console.log('| scenario | ours | baseline (raw ws broadcast) | ratio (ours / baseline) | target |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| paymentStatusChanged fan-out, publish to receive | ${figure(ours)} | ${figure(baseline)} | p50 ${ratio('p50')}, p99 ${ratio('p99')} | p99 <= ${TARGET_P99_MS} ms, 0 dropped: ${met ? 'met' : 'NOT met'} |`,
  );
  if (process.env.BENCH_RESULT_FILE) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      process.env.BENCH_RESULT_FILE,
      JSON.stringify({ subscribers: SUBSCRIBERS, seconds: SECONDS, bytes: ours.bytes.length, ours, baseline, met }),
    );
  }
  process.exitCode = met ? 0 : 1;
} finally {
  await database.drop();
}
