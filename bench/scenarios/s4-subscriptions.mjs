import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { databaseUrl, root } from '../lib/postgres.mjs';

/**
 * S4: 1,000 graphql-ws subscribers, 10 events/s for 30 s, next to a raw `ws` broadcast of the same
 * bytes (bench/subscriptions.bench.mjs, run as its own process on the same PostgreSQL server).
 */
export async function run({ adminUrl, progress }) {
  progress('S4: 1,000 subscribers, 10 events/s for 30 s, then the raw ws baseline');
  const resultFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'kometpay-s4-')), 'result.json');
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bench/subscriptions.bench.mjs')], {
      env: { ...process.env, DATABASE_URL: databaseUrl(adminUrl, new URL(adminUrl).pathname.slice(1)), BENCH_RESULT_FILE: resultFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', resolve);
  });
  const result = JSON.parse(await readFile(resultFile, 'utf8'));
  const figure = (r) => `p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.dropped} dropped of ${r.published * result.subscribers}`;
  return {
    id: 'S4',
    workload: `${result.subscribers} graphql-ws subscribers, 10 events/s for ${result.seconds} s (${result.bytes}-byte events)`,
    ours: figure(result.ours),
    baseline: `raw ws broadcast: ${figure(result.baseline)}`,
    ratio: `${(result.ours.p99 / Math.max(result.baseline.p99, 1)).toFixed(1)}x p99`,
    target: 'p99 <= 100 ms; 0 dropped',
    met: result.met && code === 0,
    raw: result,
  };
}
