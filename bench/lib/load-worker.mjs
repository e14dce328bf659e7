import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';

const config = JSON.parse(await readFile(process.argv[2], 'utf8'));
const headers = { 'content-type': 'application/json', ...(config.headers ?? {}) };

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function sequential() {
  const latencies = [];
  let errors = 0;
  for (let i = 0; i < config.amount; i++) {
    const body = config.bodies[i % config.bodies.length];
    const started = process.hrtime.bigint();
    const response = await fetch(config.url, { method: 'POST', headers, body });
    const text = await response.text();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (!response.ok || text.includes('"errors"')) errors++;
  }
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
}

async function cannon() {
  let next = 0;
  const result = await autocannon({
    url: config.url,
    connections: config.connections,
    ...(config.amount ? { amount: config.amount } : { duration: config.duration }),
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (request) => ({ ...request, body: config.bodies[next++ % config.bodies.length] }),
      },
    ],
  });
  return {
    requests: result.requests.total,
    throughput: result.requests.average,
    errors: result.errors + result.non2xx + result.timeouts,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    durationSeconds: result.duration,
  };
}

process.stdout.write(JSON.stringify(config.mode === 'sequential' ? await sequential() : await cannon()));
