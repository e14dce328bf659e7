/**
 * The soak test's S1 load generator, run as its own process (its config as JSON on stdin) so
 * that it shares neither the test's event loop nor the API's. It POSTs the S1 bodies in turn over
 * keep-alive connections (node:http, at most `connections` sockets) and prints one JSON line when
 * done. Two modes:
 *  - closed: `connections` clients each sending its next request when the last one is answered, for
 *    `warmupSeconds` (not counted) then `seconds`: the maximum throughput;
 *  - open: requests started at a fixed `rate` per second, evenly spaced, whatever the answers do
 *    (latency is counted from the time a request was due), for `seconds`.
 * Errors: non-2xx answers, 2xx answers carrying GraphQL `errors`, and transport failures (no answer
 * within `timeoutMs`, a socket error, or more than `maxBacklog` requests waiting for a socket).
 * Prints {"started": <epoch ms>} when the counted load starts.
 */
import http from 'node:http';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const config = JSON.parse(input);
const target = new URL(config.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: config.connections });
const timeoutMs = config.timeoutMs ?? 10_000;
/** S1's mix: the tokens in turn, and one unknown token every 20th request. */
const bodies = config.tokens.flatMap((token, i) => {
  const body = (t) => Buffer.from(JSON.stringify({ query: config.query, variables: { token: t } }));
  return (i + 1) % 20 === 0 ? [body(token), body(`unknown-${i}`)] : [body(token)];
});
let next = 0;

const tally = { requests: 0, ok: 0, non2xx: 0, graphqlErrors: 0, transport: 0, backlogged: 0, statuses: {}, transportCauses: {}, latencies: [] };
let counting = false;
let outstanding = 0;

function post(dueAt) {
  const body = bodies[next++ % bodies.length];
  outstanding++;
  return new Promise((resolve) => {
    let settled = false;
    const done = (kind, status, cause) => {
      if (settled) return;
      settled = true;
      outstanding--;
      if (counting && dueAt >= countFrom) {
        tally.requests++;
        tally[kind]++;
        if (status !== undefined && kind !== 'ok') tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
        if (cause !== undefined) tally.transportCauses[cause] = (tally.transportCauses[cause] ?? 0) + 1;
        tally.latencies.push(performance.now() - dueAt);
      }
      resolve();
    };
    const request = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) return done('non2xx', status);
          done(Buffer.concat(chunks).includes('"errors"') ? 'graphqlErrors' : 'ok', status);
        });
        response.on('error', (error) => done('transport', undefined, error.code ?? error.message));
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => done('transport', undefined, error.code ?? error.message));
    request.end(body);
  });
}

let countFrom = Infinity;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function closed() {
  const start = performance.now();
  countFrom = start + (config.warmupSeconds ?? 0) * 1000;
  const end = countFrom + config.seconds * 1000;
  counting = true;
  setTimeout(() => console.log(JSON.stringify({ started: Date.now() })), Math.max(0, countFrom - start));
  await Promise.all(
    Array.from({ length: config.connections }, async () => {
      while (performance.now() < end) await post(performance.now());
    }),
  );
}

async function open() {
  const start = performance.now();
  countFrom = start;
  counting = true;
  console.log(JSON.stringify({ started: Date.now() }));
  const total = Math.round(config.rate * config.seconds);
  const interval = 1000 / config.rate;
  const inFlight = new Set();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Every request due by now goes out, each stamped with the time it was due.
    while (sent < total && start + sent * interval <= now) {
      const dueAt = start + sent * interval;
      sent++;
      if (outstanding >= (config.maxBacklog ?? 5_000)) {
        tally.requests++;
        tally.backlogged++;
        continue;
      }
      const pending = post(dueAt);
      inFlight.add(pending);
      void pending.then(() => inFlight.delete(pending));
    }
    await sleep(Math.max(1, Math.min(5, start + sent * interval - performance.now())));
  }
  await Promise.all(inFlight);
}

const startedAt = performance.now();
await (config.mode === 'closed' ? closed() : open());
const seconds = config.mode === 'closed' ? config.seconds : (performance.now() - startedAt) / 1000;
const latencies = tally.latencies.sort((a, b) => a - b);
const percentile = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : NaN);
agent.destroy();
console.log(
  JSON.stringify({
    requests: tally.requests,
    ok: tally.ok,
    errors: tally.non2xx + tally.graphqlErrors + tally.transport + tally.backlogged,
    non2xx: tally.non2xx,
    graphqlErrors: tally.graphqlErrors,
    transport: tally.transport + tally.backlogged,
    statuses: tally.statuses,
    transportCauses: tally.transportCauses,
    seconds,
    throughput: tally.requests / seconds,
    p50: percentile(50),
    p99: percentile(99),
    max: latencies.at(-1) ?? NaN,
  }),
);
