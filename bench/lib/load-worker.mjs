import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';

const config = JSON.parse(await readFile(process.argv[2], 'utf8'));
const headers = { 'content-type': 'application/json', ...(config.headers ?? {}) };

/**
 * A GraphQL answer carrying `errors` (HTTP 200 or not). The key can appear unescaped only at the
 * top level or as a field named `errors`, which no benchmark document selects; cheaper than parsing
 * every body in a generator that shares the machine's two cores with the server under test.
 */
const hasGraphqlErrors = (body) => typeof body === 'string' && body.includes('"errors":[');

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function sequential() {
  const latencies = [];
  let errors = 0;
  let graphqlErrors = 0;
  for (let i = 0; i < config.amount; i++) {
    const body = config.bodies[i % config.bodies.length];
    const started = process.hrtime.bigint();
    const response = await fetch(config.url, { method: 'POST', headers, body });
    const text = await response.text();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (!response.ok) errors++;
    else if (hasGraphqlErrors(text)) {
      errors++;
      graphqlErrors++;
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    graphqlErrors,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

async function cannon() {
  let next = 0;
  let graphqlErrors = 0;
  const result = await autocannon({
    url: config.url,
    connections: config.connections,
    ...(config.amount ? { amount: config.amount } : { duration: config.duration }),
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (request) => ({ ...request, body: config.bodies[next++ % config.bodies.length] }),
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && hasGraphqlErrors(body)) graphqlErrors++;
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    throughput: result.requests.average,
    // autocannon's `errors` already include its `timeouts`.
    errors: result.errors + result.non2xx + graphqlErrors,
    transportErrors: result.errors - result.timeouts,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
    graphqlErrors,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    durationSeconds: result.duration,
  };
}

process.stdout.write(JSON.stringify(config.mode === 'sequential' ? await sequential() : await cannon()));
