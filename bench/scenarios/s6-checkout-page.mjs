import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { freePort, startApiProcess } from '../lib/api-process.mjs';
import { percentile } from '../lib/load.mjs';
import { createBenchDatabase, dropBenchDatabase, root, seedInvoicesWithLinks, seedMerchant, withClient } from '../lib/postgres.mjs';

const RENDERS = 300;
const run_ = promisify(execFile);

function startNodeServer(entry, env) {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

async function waitFor(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer`);
}

/** Every script the page loads (script src and modulepreload), gzipped at level 9, summed. */
async function javascriptWeight(pageUrl) {
  const html = await (await fetch(pageUrl)).text();
  const sources = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map(
    (m) => m[1] ?? m[2],
  );
  const imports = [...html.matchAll(/import\(["']([^"']+\.js)["']\)/g)].map((m) => m[1]);
  const seen = new Set();
  let bytes = 0;
  for (const source of [...sources, ...imports]) {
    const url = new URL(source, pageUrl).toString();
    if (seen.has(url)) continue;
    seen.add(url);
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    bytes += gzipSync(body, { level: 9 }).length;
    // Static imports inside a chunk load too.
    for (const nested of body.toString('utf8').matchAll(/from\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      const nestedUrl = new URL(nested[1], url).toString();
      if (!seen.has(nestedUrl)) {
        seen.add(nestedUrl);
        bytes += gzipSync(Buffer.from(await (await fetch(nestedUrl)).arrayBuffer()), { level: 9 }).length;
      }
    }
  }
  return { kilobytes: bytes / 1024, files: seen.size };
}

/** Server render latency of a page (ms): p95 and p99 of RENDERS sequential fetches after 30 warm-up ones. */
async function renderLatency(pageUrl) {
  for (let i = 0; i < 30; i++) await (await fetch(pageUrl)).text();
  const latencies = [];
  for (let i = 0; i < RENDERS; i++) {
    const started = process.hrtime.bigint();
    await (await fetch(pageUrl)).text();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  return { p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
}

/** S6: the pay page's gzipped JavaScript (sandbox mode) and its server render p95 (the API call included). */
export async function measure({ adminUrl, progress }) {
  progress('S6: building the bare SvelteKit baseline');
  const bareDir = path.join(root, 'bench/fixtures/bare-kit');
  await run_(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: bareDir });
  const barePort = await freePort();
  const bare = startNodeServer(path.join(bareDir, 'build/index.js'), { PORT: String(barePort), ORIGIN: `http://127.0.0.1:${barePort}` });
  const bareUrl = `http://127.0.0.1:${barePort}/`;
  await waitFor(bareUrl);
  const bareWeight = await javascriptWeight(bareUrl);
  const bareRender = await renderLatency(bareUrl);
  await bare.stop();

  progress('S6: the pay page against the API (sandbox mode)');
  const name = 'kometpay_bench_s6';
  const url = await createBenchDatabase(adminUrl, name);
  await withClient(url, async (client) =>
    seedInvoicesWithLinks(client, {
      ...(await seedMerchant(client)),
      count: 1,
      tokenPrefix: 's6-bench-pay-page-link-token-',
      numberPrefix: 'S6-',
    }),
  );
  const checkoutPort = await freePort();
  const checkoutUrl = `http://127.0.0.1:${checkoutPort}`;
  const api = await startApiProcess({ databaseUrl: url, port: await freePort(), env: { CHECKOUT_URL: checkoutUrl } });
  const checkout = startNodeServer(path.join(root, 'apps/checkout/build/index.js'), {
    PORT: String(checkoutPort),
    ORIGIN: checkoutUrl,
    KOMETPAY_API_URL: api.url,
  });
  await waitFor(`${checkoutUrl}/healthz`);
  const payUrl = `${checkoutUrl}/pay/s6-bench-pay-page-link-token-1`;
  const page = await (await fetch(payUrl)).text();
  if (!page.includes('Pay')) throw new Error('the pay page did not render a payable invoice');
  const weight = await javascriptWeight(payUrl);
  const render = await renderLatency(payUrl);
  await checkout.stop();
  await api.stop();
  await dropBenchDatabase(adminUrl, name);

  return {
    workload: 'checkout /pay/[token] (sandbox): gzipped JS the page loads; server render (API call included)',
    figures: {
      kilobytes: weight.kilobytes,
      files: weight.files,
      renderP95: render.p95,
      renderP99: render.p99,
      bareKilobytes: bareWeight.kilobytes,
      bareFiles: bareWeight.files,
      bareRenderP95: bareRender.p95,
      bareRenderP99: bareRender.p99,
    },
    raw: { weight, render, bareWeight, bareRender },
  };
}

export function present(f) {
  return {
    ours: `${f.kilobytes.toFixed(1)} KB gz JS (${f.files} files); render p95 ${f.renderP95.toFixed(1)} ms, p99 ${f.renderP99.toFixed(1)} ms`,
    baseline: `bare SvelteKit page with one form: ${f.bareKilobytes.toFixed(1)} KB gz JS (${f.bareFiles} files); render p95 ${f.bareRenderP95.toFixed(1)} ms, p99 ${f.bareRenderP99.toFixed(1)} ms`,
    ratio: `${(f.kilobytes / f.bareKilobytes).toFixed(2)}x JS; render p95 ${(f.renderP95 / f.bareRenderP95).toFixed(1)}x, p99 ${(f.renderP99 / f.bareRenderP99).toFixed(1)}x`,
    met: f.kilobytes <= 30 && f.renderP95 <= 30,
  };
}
