import type pg from 'pg';

/**
 * Ends a pg pool and waits until each of its connections has closed. `pool.end()` resolves once it
 * has asked them to close, not once they have: a database stopped right after (the embedded one, at
 * shutdown) would cut them off mid-goodbye, and its "terminating connection" (57P01) would reach
 * their error handlers.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    pool.on('remove', () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}
