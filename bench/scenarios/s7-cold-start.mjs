import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, waitForReady } from '../lib/api-process.mjs';
import { root } from '../lib/postgres.mjs';

/**
 * S7: `npm start` on an empty data folder, until the API answers /readyz: the embedded PostgreSQL
 * is initialised and started, migrated, the demo merchant seeded, the API listening. The build step
 * of `npm start` is left out (turbo's cache makes it a no-op when nothing changed).
 */
export async function run({ progress }) {
  // Under the repository like npm start's own .data (a private temp folder would keep PostgreSQL's own user out).
  const dataDir = path.join(root, '.data', `bench-cold-${randomBytes(4).toString('hex')}`);
  const apiPort = freePort();
  progress('S7: npm start on an empty data folder');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [path.join(root, 'scripts/start.mjs')], {
    env: { ...process.env, DATABASE_URL: '', KOMETPAY_DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(55000 + (apiPort % 1000)), API_PORT: String(apiPort), CHECKOUT_PORT: String(freePort()), LOG_LEVEL: 'error' },
    stdio: 'ignore',
    detached: true,
  });
  try {
    await waitForReady(`http://127.0.0.1:${apiPort}`, 120_000);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      id: 'S7',
      workload: '`npm start` on an empty .data until the API answers /readyz',
      ours: `${seconds.toFixed(1)} s`,
      baseline: '-',
      ratio: '-',
      target: '<= 15 s',
      met: seconds <= 15,
      raw: { seconds },
    };
  } finally {
    if (child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await rm(dataDir, { recursive: true, force: true });
  }
}
