import pg from 'pg';
import { endPool } from '../end-pool.js';

/** The test run's PostgreSQL server (tests/support/global-setup.mjs). */
const serverUrl = () => process.env.KOMETPAY_TEST_ADMIN_URL!;

describe('endPool', () => {
  it('resolves only once every connection of the pool has closed, idle or still in use when asked', async () => {
    const pool = new pg.Pool({ connectionString: serverUrl(), max: 3 });
    const [idle, busy] = await Promise.all([pool.connect(), pool.connect()]);
    let closed = 0;
    for (const client of [idle, busy]) client.on('end', () => closed++);
    idle.release();

    const ended = endPool(pool);
    await busy.query('select pg_sleep(0.2)');
    busy.release();
    await ended;
    expect(closed).toBe(2);
  });

  it('resolves at once for a pool that never connected', async () => {
    await endPool(new pg.Pool({ connectionString: serverUrl() }));
  });

  it('is needed: pool.end() alone resolves while its connections are still closing', async () => {
    const pool = new pg.Pool({ connectionString: serverUrl(), max: 2 });
    const client = await pool.connect();
    let closed = false;
    client.on('end', () => (closed = true));
    client.release();
    await pool.end();
    expect(closed).toBe(false);
    await new Promise((resolve) => client.once('end', resolve));
  });
});
