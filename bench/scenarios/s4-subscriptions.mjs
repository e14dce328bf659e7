import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { databaseUrl, root } from '../lib/postgres.mjs';

/**
 * S4: 1,000 graphql-ws subscribers, 10 events/s for 30 s (or --seconds), next to a raw `ws` broadcast
 * of the same bytes (bench/subscriptions.bench.mjs, run as its own process on the same PostgreSQL server).
 */
export async function measure({ adminUrl, progress, seconds }) {
  progress(`S4: 1,000 subscribers, 10 events/s for ${seconds ?? 30} s, then the raw ws baseline`);
  const resultFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'kometpay-s4-')), 'result.json');
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bench/subscriptions.bench.mjs')], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl(adminUrl, new URL(adminUrl).pathname.slice(1)),
        BENCH_RESULT_FILE: resultFile,
        ...(seconds === undefined ? {} : { BENCH_SECONDS: String(seconds) }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', resolve);
  });
  const result = JSON.parse(await readFile(resultFile, 'utf8'));
  const { ours, baseline } = result;
  return {
    workload: `${result.subscribers} graphql-ws subscribers, 10 events/s for ${result.seconds} s (${result.bytes}-byte events)`,
    figures: {
      subscribers: result.subscribers,
      oursP50: ours.p50,
      oursP99: ours.p99,
      oursDropped: ours.dropped,
      oursExpected: ours.published * result.subscribers,
      baseP50: baseline.p50,
      baseP99: baseline.p99,
      baseDropped: baseline.dropped,
      baseExpected: baseline.published * result.subscribers,
      benchExitCode: code,
    },
    raw: result,
  };
}

export const worstOf = ['oursDropped', 'baseDropped', 'benchExitCode'];

export function present(f) {
  const figure = (p50, p99, dropped, expected) => `p50 ${p50} ms, p99 ${p99} ms, ${dropped} dropped of ${expected}`;
  return {
    ours: figure(f.oursP50, f.oursP99, f.oursDropped, f.oursExpected),
    baseline: `raw ws broadcast: ${figure(f.baseP50, f.baseP99, f.baseDropped, f.baseExpected)}`,
    ratio: `${(f.oursP99 / Math.max(f.baseP99, 1)).toFixed(1)}x p99, ${(f.oursP50 / Math.max(f.baseP50, 1)).toFixed(1)}x p50`,
    // The bench script exits non-zero when its own target is missed (p99 > 100 ms or a drop).
    met: f.oursP99 <= 100 && f.oursDropped === 0 && f.benchExitCode === 0,
  };
}
