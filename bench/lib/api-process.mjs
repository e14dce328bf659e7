import { spawn } from 'node:child_process';
import path from 'node:path';
import { root } from './postgres.mjs';

export { freePort } from '../../scripts/lib/free-port.mjs';

/**
 * The API as it runs in production: its own process, NODE_ENV=production. BENCH_CPU_PROF=<dir>
 * writes a V8 CPU profile of each API process into <dir> when it stops (open it in Chrome DevTools).
 * Options: `execArgv`, node options before the script (a preloaded probe, say); `ipc`, an IPC
 * channel to the process (`child.send`, `child.on('message')`); `onLine`, called with each line the
 * process writes to stdout or stderr (without it, stdout is dropped and stderr passed through).
 */
/** The cursor secret of the API processes the bench and the soak start: they sign and read payment-event cursors with it too. */
export const BENCH_CURSOR_SECRET = 'bench-cursor-secret-not-for-production-0123456789';

/**
 * What production needs to start: the bench runs the sandbox on purpose, signs cursors with a key of
 * its own, and runs no jobs (the SMTP address takes no mail; the public addresses are never visited).
 */
export const BENCH_PRODUCTION_ENV = {
  NODE_ENV: 'production',
  ALLOW_SANDBOX_IN_PRODUCTION: 'true',
  CURSOR_SECRETS: BENCH_CURSOR_SECRET,
  SMTP_URL: 'smtp://127.0.0.1:2525',
  PUBLIC_API_URL: 'http://localhost:4000',
  CHECKOUT_URL: 'http://localhost:5173',
  CONSOLE_URL: 'http://localhost:5174',
};

export async function startApiProcess({ databaseUrl, port, env = {}, execArgv = [], ipc = false, onLine }) {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  const output = onLine ? ['pipe', 'pipe'] : ['ignore', 'inherit'];
  const child = spawn(process.execPath, [...profile, ...execArgv, path.join(root, 'apps/api/dist/app/main.js')], {
    env: {
      ...process.env,
      ...BENCH_PRODUCTION_ENV,
      DATABASE_URL: databaseUrl,
      API_PORT: String(port),
      LOG_LEVEL: 'error',
      RUN_JOBS: 'false',
      SANDBOX_LATENCY_MS: '0',
      // One load generator on one address is not an attacker: the per-IP lookup limit stays out of the way.
      TOKEN_LOOKUP_MAX_MISSES: '100000000',
      ...env,
    },
    stdio: ['ignore', ...output, ...(ipc ? ['ipc'] : [])],
  });
  if (onLine) for (const stream of [child.stdout, child.stderr]) readLines(stream, onLine);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForReady(url, 60_000),
    exited.then(({ code, signal }) => Promise.reject(new Error(`the API exited before it was ready (code ${code}, signal ${signal})`))),
  ]);
  return {
    url,
    pid: child.pid,
    child,
    /** Resolves when the process is gone, with its exit code and signal. */
    exited,
    /** SIGTERM (a clean shutdown), SIGKILL if it has not exited 15 s later; resolves once it is gone. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

function readLines(stream, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => pending && onLine(pending));
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
