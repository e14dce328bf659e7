import path from 'node:path';
import { freePort, startApiProcess } from '../lib/api-process.mjs';
import { startBaseline } from '../lib/baseline-process.mjs';
import { runLoad, runLoadWithCpu } from '../lib/load.mjs';
import { createBenchDatabase, dropBenchDatabase, root, seedInvoicesWithLinks, seedMerchant, withClient } from '../lib/postgres.mjs';

const TOKENS = 10_000;
const QUERY = `query ($token: String!) { paymentLink(token: $token) {
  status merchantName invoiceNumber currency dueDate
  lines { description quantity unitAmount amount { amount formatted } }
  total { amount formatted } amountPaid { amount formatted } amountDue { amount formatted } } }`;

const DEFAULT_SECONDS = 10;
const FLOOR_SECONDS = 5;
const FLOOR_BODY = JSON.stringify({ query: '{ __typename }' });

/** S1: the checkout's paymentLink(token) over 10,000 tokens (+5% unknown), 50 connections. */
export async function measure({ adminUrl, progress, seconds = DEFAULT_SECONDS }) {
  const name = 'kometpay_bench_s1';
  const url = await createBenchDatabase(adminUrl, name);
  progress('S1: seeding 10,000 invoices with links');
  await withClient(url, async (client) => {
    const { merchantId, customerId } = await seedMerchant(client);
    await seedInvoicesWithLinks(client, { merchantId, customerId, count: TOKENS, tokenPrefix: 'bench-link-', numberPrefix: 'S1-' });
  });
  const bodies = [];
  for (let i = 1; i <= TOKENS; i++) {
    bodies.push(JSON.stringify({ query: QUERY, variables: { token: `bench-link-${i}` } }));
    if (i % 20 === 0) bodies.push(JSON.stringify({ query: QUERY, variables: { token: `unknown-${i}` } }));
  }
  const load = { mode: 'autocannon', connections: 50, duration: seconds, bodies };

  progress(`S1: baseline (bare node http + pg), ${seconds}s`);
  const basePort = await freePort();
  const baseline = await startBaseline(path.join(root, 'bench/baselines/payment-link-server.mjs'), [url, String(basePort)]);
  await runLoad({ ...load, url: `http://127.0.0.1:${basePort}/`, duration: 2 }); // warm-up
  const { load: base, cpu: baseCpu } = await runLoadWithCpu(baseline.pid, { ...load, url: `http://127.0.0.1:${basePort}/` });
  await baseline.stop();

  progress(`S1: KometPay API, ${seconds}s`);
  const api = await startApiProcess({ databaseUrl: url, port: await freePort() });
  await runLoad({ ...load, url: `${api.url}/checkout/graphql`, duration: 2 });
  const { load: ours, cpu: oursCpu } = await runLoadWithCpu(api.pid, { ...load, url: `${api.url}/checkout/graphql` });
  // The same endpoint asked for nothing but `__typename`: what the HTTP and GraphQL stack costs before any resolver or query runs.
  progress(`S1: the stack alone ({ __typename }), ${FLOOR_SECONDS}s`);
  const { load: floor, cpu: floorCpu } = await runLoadWithCpu(api.pid, {
    ...load,
    duration: FLOOR_SECONDS,
    bodies: [FLOOR_BODY],
    url: `${api.url}/checkout/graphql`,
  });
  await api.stop();
  await dropBenchDatabase(adminUrl, name);

  return {
    workload: `checkout paymentLink(token), 10,000 tokens + 5% unknown, 50 connections, ${seconds} s`,
    figures: {
      oursRps: ours.throughput,
      oursP50: ours.p50,
      oursP99: ours.p99,
      oursErrors: ours.errors,
      oursCpuMs: oursCpu.processMs,
      floorCpuMs: floorCpu.processMs,
      floorErrors: floor.errors,
      baseRps: base.throughput,
      baseP50: base.p50,
      baseP99: base.p99,
      baseErrors: base.errors,
      baseCpuMs: baseCpu.processMs,
    },
    raw: { ours, baseline: base, floor, cpu: { ours: oursCpu, baseline: baseCpu, floor: floorCpu } },
  };
}

export const worstOf = ['oursErrors', 'baseErrors', 'floorErrors'];

/** Results written before the server's CPU was measured have none. */
const cpuMs = (ms) => (ms === undefined ? 'n/a' : ms.toFixed(2));

/** Ratios are derived here, not stored: a median row's ratio is then the ratio of its medians. */
export function present(f) {
  const ratio = f.oursRps / f.baseRps;
  return {
    ours: `${f.oursRps.toFixed(0)} req/s, p50 ${f.oursP50} ms, p99 ${f.oursP99} ms, ${f.oursErrors} errors; server CPU ${cpuMs(f.oursCpuMs)} ms per request (${cpuMs(f.floorCpuMs)} ms for \`{ __typename }\`)`,
    baseline: `${f.baseRps.toFixed(0)} req/s, p50 ${f.baseP50} ms, p99 ${f.baseP99} ms${f.baseErrors ? `, ${f.baseErrors} errors` : ''}; server CPU ${cpuMs(f.baseCpuMs)} ms per request`,
    ratio: `${ratio.toFixed(2)}x throughput; p99 ${(f.oursP99 / Math.max(f.baseP99, 1)).toFixed(1)}x (${f.oursP99} vs ${f.baseP99} ms)`,
    met: ratio >= 0.5 && f.oursP99 <= 25 && f.oursErrors === 0,
  };
}
