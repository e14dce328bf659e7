import { spawn } from 'node:child_process';
import path from 'node:path';
import { root } from './postgres.mjs';

/**
 * The API as it runs in production: its own process, NODE_ENV=production. BENCH_CPU_PROF=<dir>
 * writes a V8 CPU profile of each API process into <dir> when it stops (open it in Chrome DevTools).
 */
export async function startApiProcess({ databaseUrl, port, env = {} }) {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(root, 'apps/api/dist/main.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      API_PORT: String(port),
      LOG_LEVEL: 'error',
      RUN_JOBS: 'false',
      SANDBOX_LATENCY_MS: '0',
      // One load generator on one address is not an attacker: the per-IP lookup limit stays out of the way.
      TOKEN_LOOKUP_MAX_MISSES: '100000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url, 60_000);
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

export async function waitForReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`);
}

// A random high base: a fixed one collided with ports other processes on the machine still held.
let nextPort = 20_000 + Math.floor(Math.random() * 20_000);
export const freePort = () => nextPort++;
