import { randomUUID } from 'node:crypto';
import { payAll } from '../baselines/pay-with-link-sql.mjs';
import { freePort, startApiProcess } from '../lib/api-process.mjs';
import { cpuPerUnit, cpuSnapshot } from '../lib/cpu.mjs';
import { runLoadWithCpu } from '../lib/load.mjs';
import { createBenchDatabase, dropBenchDatabase, seedInvoicesWithLinks, seedMerchant, withClient } from '../lib/postgres.mjs';

const PAYMENTS = 3_000;
const PAY = `mutation ($token: String!, $key: String!) { payWithLink(token: $token, paymentMethodToken: "pm_card_visa", idempotencyKey: $key) { status receipt { authorizationCode } } }`;

/** S2: payWithLink on distinct invoices, sandbox processor at 0 ms, 50 connections. */
export async function measure({ adminUrl, progress }) {
  const name = 'kometpay_bench_s2';
  const url = await createBenchDatabase(adminUrl, name);
  progress(`S2: seeding ${2 * PAYMENTS} invoices with links`);
  const { merchantId } = await withClient(url, async (client) => {
    const merchant = await seedMerchant(client);
    await seedInvoicesWithLinks(client, { ...merchant, count: PAYMENTS, tokenPrefix: 'api-pay-', numberPrefix: 'S2A-' });
    await seedInvoicesWithLinks(client, { ...merchant, count: PAYMENTS, tokenPrefix: 'base-pay-', numberPrefix: 'S2B-' });
    return merchant;
  });

  progress(`S2: baseline (one pg transaction per payment), ${PAYMENTS} payments`);
  const baseCpuBefore = cpuSnapshot();
  const base = await payAll({
    databaseUrl: url,
    merchantId,
    tokens: Array.from({ length: PAYMENTS }, (_, i) => `base-pay-${i + 1}`),
    concurrency: 50,
  });

  const baseCpu = cpuPerUnit(baseCpuBefore, cpuSnapshot(), PAYMENTS);

  progress(`S2: KometPay payWithLink, ${PAYMENTS} payments`);
  const api = await startApiProcess({ databaseUrl: url, port: await freePort() });
  const bodies = Array.from({ length: PAYMENTS }, (_, i) =>
    JSON.stringify({ query: PAY, variables: { token: `api-pay-${i + 1}`, key: randomUUID() } }),
  );
  const { load: ours, cpu: oursCpu } = await runLoadWithCpu(
    api.pid,
    { mode: 'autocannon', url: `${api.url}/checkout/graphql`, connections: 50, amount: PAYMENTS, bodies },
    PAYMENTS,
  );
  await api.stop();

  const integrity = await withClient(url, async (client) => {
    const {
      rows: [row],
    } = await client.query(`
      select (select count(*) from "transaction" t join invoice i on i.id in (select invoice_id from transaction_allocation a where a.transaction_id = t.id)
                where t.status = 'SUCCEEDED' and i.number like 'S2A-%')::int as succeeded,
             (select count(*) from sandbox_payment where id not like 'pi_base_%')::int as charges,
             (select count(*) from (select a.invoice_id from transaction_allocation a join "transaction" t on t.id = a.transaction_id
                where t.status = 'SUCCEEDED' group by a.invoice_id having count(*) > 1) d)::int as double_charged`);
    return row;
  });
  await dropBenchDatabase(adminUrl, name);

  const throughput = ours.requests / ours.durationSeconds;
  return {
    workload: `payWithLink, ${PAYMENTS} distinct invoices, sandbox at 0 ms, 50 connections`,
    figures: {
      payments: PAYMENTS,
      oursRps: throughput,
      oursP99: ours.p99,
      oursErrors: ours.errors,
      succeeded: integrity.succeeded,
      charges: integrity.charges,
      doubleCharged: integrity.double_charged,
      cpuMs: oursCpu.machineMs,
      apiCpuMs: oursCpu.processMs,
      kernelShare: oursCpu.kernelShare,
      baseRps: base.throughput,
      baseP99: base.p99,
      baseCpuMs: baseCpu.machineMs,
      baseKernelShare: baseCpu.kernelShare,
    },
    raw: { ours, baseline: base, integrity, cpu: { ours: oursCpu, baseline: baseCpu } },
  };
}

/** The API's own CPU time per payment (issue 15's target). */
const API_CPU_MS_TARGET = 4;

export const worstOf = ['oursErrors', 'doubleCharged'];

export function present(f) {
  const ratio = f.oursRps / f.baseRps;
  return {
    ours:
      `${f.oursRps.toFixed(0)} payments/s, p99 ${f.oursP99.toFixed(0)} ms, ${f.oursErrors} errors; ${f.succeeded} succeeded, ${f.charges} processor charges, ${f.doubleCharged} double charges; ` +
      `CPU ${f.cpuMs.toFixed(1)} ms per payment (API process ${f.apiCpuMs.toFixed(1)} ms, kernel ${(f.kernelShare * 100).toFixed(0)}%)`,
    baseline: `${f.baseRps.toFixed(0)} payments/s, p99 ${f.baseP99.toFixed(0)} ms; CPU ${f.baseCpuMs.toFixed(1)} ms per payment (kernel ${(f.baseKernelShare * 100).toFixed(0)}%)`,
    ratio: `${ratio.toFixed(2)}x throughput; p99 ${(f.oursP99 / f.baseP99).toFixed(1)}x (${f.oursP99.toFixed(0)} vs ${f.baseP99.toFixed(0)} ms)`,
    met:
      ratio >= 0.5 &&
      f.apiCpuMs <= API_CPU_MS_TARGET &&
      f.doubleCharged === 0 &&
      f.succeeded === f.charges &&
      f.succeeded === f.payments &&
      f.oursErrors === 0,
  };
}
