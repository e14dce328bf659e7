/**
 * The soak's S1 load generator, run as its own process (its config as JSON on stdin) so that it
 * shares neither the soak's event loop nor the API's. It POSTs S1's document (paymentLink(token),
 * the tokens in turn and one unknown token every 20th request) over keep-alive connections
 * (node:http, at most `connections` sockets per target URL; the URLs in turn) and prints JSON lines.
 *
 * mode 'closed' (calibration): `connections` clients per URL, each sending its next request when the
 *   last one is answered: `warmupSeconds` not counted, then `windows` windows of `windowSeconds`;
 *   prints {type: 'window', index, requests, throughput, tally, p50, p99} after each.
 * mode 'open' (the soak): requests started at a fixed `rate` per second, evenly spaced, whatever the
 *   answers do, for `seconds`; latency is counted from the time each request was due, so a stall
 *   shows in it instead of silently lowering the rate. Prints {type: 'started', at} at once, then
 *   {type: 'report', elapsed, interval, total} every `reportSeconds` and {type: 'done', total} after
 *   the last answer (interval: what completed since the last report).
 * Requests are classified by request-tally.mjs (timeouts, transport, HTTP, GraphQL, backlog).
 */
import http from 'node:http';
import { createHistogram } from 'node:perf_hooks';
import { classifyAnswer, classifyException, copyTally, countFailure, countOk, newTally, tallySince } from './request-tally.mjs';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const config = JSON.parse(input);
const timeoutMs = config.timeoutMs ?? 10_000;
const targets = config.urls.map((url) => {
  const target = new URL(config.path, url);
  return {
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    agent: new http.Agent({ keepAlive: true, maxSockets: config.connections }),
  };
});
const bodies = config.tokens.flatMap((token, i) => {
  const body = (t) => Buffer.from(JSON.stringify({ query: config.query, variables: { token: t } }));
  return (i + 1) % 20 === 0 ? [body(token), body(`unknown-${i}`)] : [body(token)];
});
let next = 0;
const print = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Latencies in microseconds (an HDR histogram: constant memory however long the soak). */
const newLatencies = () => createHistogram({ lowest: 1, highest: 10 * 60 * 1e6, figures: 3 });
const figures = (latencies) =>
  latencies.count
    ? { p50: latencies.percentile(50) / 1000, p99: latencies.percentile(99) / 1000, max: latencies.max / 1000 }
    : { p50: NaN, p99: NaN, max: NaN };

const tally = newTally();
const total = newLatencies();
let interval = newLatencies();
/** Requests due before this instant are not counted (closed mode's warm-up). */
let countFrom = Infinity;
let outstanding = 0;

function record(dueAt, failure) {
  if (dueAt < countFrom) return;
  if (failure) countFailure(tally, failure);
  else countOk(tally);
  const micros = Math.max(1, Math.round((performance.now() - dueAt) * 1000));
  total.record(micros);
  interval.record(micros);
}

function post(dueAt) {
  const target = targets[next % targets.length];
  const body = bodies[next++ % bodies.length];
  outstanding++;
  return new Promise((resolve) => {
    let settled = false;
    const done = (failure) => {
      if (settled) return;
      settled = true;
      outstanding--;
      record(dueAt, failure);
      resolve();
    };
    const request = http.request(
      {
        agent: target.agent,
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => done(classifyAnswer(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        response.on('error', (error) => done(classifyException(error)));
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('timeout'), { code: 'SOAK_TIMEOUT' })));
    request.on('error', (error) => done(classifyException(error)));
    request.end(body);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function closed() {
  const clients = config.connections * targets.length;
  const start = performance.now();
  const windowMs = config.windowSeconds * 1000;
  const end = start + config.warmupSeconds * 1000 + config.windows * windowMs;
  const loops = Array.from({ length: clients }, async () => {
    while (performance.now() < end) await post(performance.now());
  });
  await sleep(config.warmupSeconds * 1000);
  // A window counts the requests answered within it (the loop never pauses between windows).
  countFrom = performance.now();
  for (let index = 1; index <= config.windows; index++) {
    const before = copyTally(tally);
    const windowStart = performance.now();
    interval = newLatencies();
    await sleep(Math.max(0, countFrom + index * windowMs - performance.now()));
    const seconds = (performance.now() - windowStart) / 1000;
    const window = tallySince(tally, before);
    print({
      type: 'window',
      index,
      seconds,
      requests: window.requests,
      throughput: window.requests / seconds,
      tally: window,
      ...figures(interval),
    });
  }
  await Promise.all(loops);
}

async function open() {
  const start = performance.now();
  countFrom = start;
  print({ type: 'started', at: Date.now() });
  const count = Math.round(config.rate * config.seconds);
  const spacing = 1000 / config.rate;
  const inFlight = new Set();
  let sent = 0;
  let lastReport = { at: start, tally: copyTally(tally) };
  const report = (type) => {
    const now = performance.now();
    const message = {
      type,
      elapsed: (now - start) / 1000,
      sent,
      outstanding,
      interval: { seconds: (now - lastReport.at) / 1000, tally: tallySince(tally, lastReport.tally), ...figures(interval) },
      total: { tally: copyTally(tally), ...figures(total) },
    };
    lastReport = { at: now, tally: copyTally(tally) };
    interval = newLatencies();
    print(message);
  };
  const reporter = setInterval(() => report('report'), config.reportSeconds * 1000);
  while (sent < count) {
    const now = performance.now();
    // Every request due by now goes out, each stamped with the time it was due.
    while (sent < count && start + sent * spacing <= now) {
      const dueAt = start + sent * spacing;
      sent++;
      if (outstanding >= (config.maxBacklog ?? 5_000)) {
        record(dueAt, { kind: 'backlog', detail: `more than ${config.maxBacklog ?? 5_000} requests waiting` });
        continue;
      }
      const pending = post(dueAt);
      inFlight.add(pending);
      void pending.then(() => inFlight.delete(pending));
    }
    await sleep(Math.max(1, Math.min(5, start + sent * spacing - performance.now())));
  }
  await Promise.all(inFlight);
  clearInterval(reporter);
  report('done');
}

await (config.mode === 'closed' ? closed() : open());
for (const target of targets) target.agent.destroy();
