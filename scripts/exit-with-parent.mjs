/**
 * Preloaded (`node --import`) into the processes `npm start` runs: when start.mjs goes away without
 * stopping them (killed with -9), their IPC channel closes, and they stop as on SIGTERM, in order.
 * The channel must not keep a process alive that has otherwise finished (the checkout exits when
 * its server closes).
 */
if (process.send) {
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
