import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, waitForReady } from '../lib/api-process.mjs';
import { root } from '../lib/postgres.mjs';

const TARGET_SECONDS = 15;

/**
 * Seconds from spawning `args` (node) until http://127.0.0.1:<port>/readyz answers 200; then a SIGTERM
 * to it (with `group`, to its whole process group: npm start's API and checkout).
 */
async function secondsUntilReady(args, env, port, { group = false } = {}) {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore', detached: group });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([
      waitForReady(`http://127.0.0.1:${port}`, 120_000),
      exited.then((code) => Promise.reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`))),
    ]);
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    if (child.exitCode === null) process.kill(group ? -child.pid : child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
}

/** An empty folder under the repository's .data (a private temp folder would keep PostgreSQL's own user out). */
const emptyDataDir = (label) => path.join(root, '.data', `bench-${label}-${randomBytes(4).toString('hex')}`);

/**
 * S7: `npm start` on an empty data folder, until the API answers /readyz: the embedded PostgreSQL
 * is initialised and started, migrated, the demo merchant seeded, the API listening. The build step
 * of `npm start` is left out (turbo's cache makes it a no-op when nothing changed). Beside it, the
 * floor: the same embedded PostgreSQL initialised and started, and a bare http /readyz.
 */
export async function measure({ progress }) {
  progress('S7: the floor (embedded PostgreSQL on an empty folder + bare http), then npm start on an empty data folder');
  const floorOnce = async () => {
    const floorDir = emptyDataDir('floor');
    const floorPort = await freePort();
    try {
      return await secondsUntilReady(
        [path.join(root, 'bench/baselines/cold-start-floor.mjs'), floorDir, String(56000 + (floorPort % 1000)), String(floorPort)],
        {},
        floorPort,
      );
    } finally {
      await rm(floorDir, { recursive: true, force: true });
    }
  };
  // Once unmeasured first: PostgreSQL's binaries come into the page cache for both sides alike.
  await floorOnce();
  const floor = await floorOnce();

  const dataDir = emptyDataDir('cold');
  const apiPort = await freePort();
  let ours;
  try {
    ours = await secondsUntilReady(
      [path.join(root, 'scripts/start.mjs')],
      {
        DATABASE_URL: '',
        KOMETPAY_DATA_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(55000 + (apiPort % 1000)),
        API_PORT: String(apiPort),
        CHECKOUT_PORT: String(await freePort()),
        LOG_LEVEL: 'error',
      },
      apiPort,
      { group: true },
    );
    // npm start's children (the API stops its embedded PostgreSQL) need a moment after the signal.
    await new Promise((resolve) => setTimeout(resolve, 3000));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return {
    workload: '`npm start` on an empty .data until the API answers /readyz',
    figures: { seconds: ours, floorSeconds: floor },
    raw: { seconds: ours, floorSeconds: floor },
  };
}

export function present(f) {
  return {
    ours: `${f.seconds.toFixed(1)} s`,
    baseline: `embedded PostgreSQL initialised and started on an empty folder + bare http: ${f.floorSeconds.toFixed(1)} s`,
    ratio: `${(f.seconds / f.floorSeconds).toFixed(2)}x`,
    met: f.seconds <= TARGET_SECONDS,
  };
}
