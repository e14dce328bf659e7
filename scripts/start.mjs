/**
 * `npm start`: the whole product on embedded defaults. Starts the API (which starts the embedded
 * PostgreSQL, migrates and seeds the demo merchant), then the checkout and the merchant console, and
 * stops them all together.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const apiPort = process.env.API_PORT || '4000';
const checkoutPort = process.env.CHECKOUT_PORT || '5173';
const consolePort = process.env.CONSOLE_PORT || '5174';
const apiUrl = process.env.PUBLIC_API_URL || `http://localhost:${apiPort}`;
const checkoutUrl = process.env.CHECKOUT_URL || `http://localhost:${checkoutPort}`;
const consoleUrl = process.env.CONSOLE_URL || `http://localhost:${consolePort}`;

const children = [];
let stopping = false;

/**
 * `ownGroup`: a process group of its own, out of reach of the terminal's Ctrl-C. The API is started
 * so: the embedded PostgreSQL it spawns would otherwise get the SIGINT too and shut down under the
 * API while it drains. Each child stops when told (SIGTERM, below) or when this process goes away
 * (its IPC channel closes: exit-with-parent.mjs).
 */
function start(name, args, env, { ownGroup = false } = {}) {
  const child = spawn(process.execPath, ['--import', './scripts/exit-with-parent.mjs', ...args], {
    cwd: root,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: ownGroup,
    env: { ...process.env, ...env },
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped (${signal ?? `exit ${code}`}); stopping the rest`);
      stop(code || 1);
    }
  });
  children.push(child);
  return child;
}

/** Stops every child; exits with `exitCode`, or 1 if a child's own shutdown failed. */
function stop(exitCode = 0) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  // The API gives up its own shutdown at SHUTDOWN_TIMEOUT_MS (15 s by default), then takes up to
  // 5 s more to stop its PostgreSQL: wait past that.
  setTimeout(() => process.exit(1), Number(process.env.SHUTDOWN_TIMEOUT_MS || 15_000) + 15_000).unref();
  Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() =>
    process.exit(children.some((c) => c.exitCode !== null && c.exitCode !== 0) ? exitCode || 1 : exitCode),
  );
}

async function waitFor(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

start('API', ['apps/api/dist/app/main.js'], { API_PORT: apiPort, CHECKOUT_URL: checkoutUrl, CONSOLE_URL: consoleUrl }, { ownGroup: true });
await waitFor(`http://127.0.0.1:${apiPort}/readyz`, 120_000);
start('checkout', ['apps/checkout/build/index.js'], {
  PORT: checkoutPort,
  HOST: process.env.CHECKOUT_HOST || '127.0.0.1',
  ORIGIN: checkoutUrl,
  KOMETPAY_API_URL: `http://127.0.0.1:${apiPort}`,
});
start('console', ['apps/console/build/index.js'], {
  PORT: consolePort,
  HOST: process.env.CONSOLE_HOST || '127.0.0.1',
  ORIGIN: consoleUrl,
  KOMETPAY_API_URL: `http://127.0.0.1:${apiPort}`,
});
await Promise.all([
  waitFor(`http://127.0.0.1:${checkoutPort}/healthz`, 30_000),
  waitFor(`http://127.0.0.1:${consolePort}/healthz`, 30_000),
]);
console.log(
  `\nKometPay is up: API ${apiUrl}/graphql · checkout ${checkoutUrl} · console ${consoleUrl} (sign in with the demo staff account above) · Ctrl+C stops them all\n`,
);
