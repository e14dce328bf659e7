/**
 * The soak's rate: a share of S1's maximum throughput, measured there and then with the rest of the
 * mix running (subscribers connected, merchant cycles going), as the median of several short
 * closed-loop windows back to back, after a warm-up. One window alone is at the mercy of whatever
 * else the machine does in those seconds (one-shot maxima of 759 to 1,850 req/s were seen on the
 * same code); the median of five is not, and their spread is reported so that a noisy calibration
 * shows. The share leaves the API headroom for the collections, jobs and neighbours a long run
 * meets (80% of a one-shot maximum overloaded it once: 1.56% of requests timed out).
 */

import { runLoadGenerator } from './load-process.mjs';
import { addTallies, errorsOf } from './request-tally.mjs';

export const CALIBRATION_DEFAULTS = { windows: 5, windowSeconds: 5, warmupSeconds: 2, share: 0.7, connections: 50 };

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Measures S1's maximum on `urls` over `tokens` (closed loop, `connections` per URL) in `windows`
 * windows of `windowSeconds`; answers the windows, their median and spread, and the rate to soak at.
 */
export async function calibrate({ urls, tokens, windows, windowSeconds, warmupSeconds, share, connections }, say = () => undefined) {
  const measured = [];
  await runLoadGenerator({ urls, tokens, mode: 'closed', connections, warmupSeconds, windows, windowSeconds }, (message) => {
    if (message.type !== 'window') return;
    measured.push(message);
    say(
      `calibration window ${message.index}/${windows}: ${message.throughput.toFixed(0)} req/s, p99 ${message.p99.toFixed(1)} ms, ${errorsOf(message.tally)} errors`,
    );
  });
  const throughputs = measured.map((window) => window.throughput);
  const maximum = median(throughputs);
  return {
    windows: measured.map(({ index, throughput, p50, p99, requests }) => ({ index, throughput, p50, p99, requests })),
    maximum,
    spread: Math.max(...throughputs) / Math.min(...throughputs),
    share,
    rate: Math.floor(maximum * share),
    tally: addTallies(...measured.map((window) => window.tally)),
  };
}
