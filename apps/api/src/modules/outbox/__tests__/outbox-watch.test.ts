import { LIVE_BUFFER_LIMIT, type OutboxRow, OutboxWatch } from '../outbox-feed.js';

const MERCHANT = '00000000-0000-4000-8000-000000000001';

const row = (position: number): OutboxRow => ({
  position: BigInt(position),
  merchantId: MERCHANT,
  aggregateType: 'transaction',
  aggregateId: `t${position}`,
  type: 'transaction.succeeded',
  payload: {},
  occurredAt: new Date(0),
});

/** The outbox table as the watch reads it, with a read that waits until the test lets it answer. */
class TableStandIn {
  readonly rows: OutboxRow[] = [];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  readonly reads: Array<[bigint, bigint]> = [];

  write(position: number): OutboxRow {
    const written = row(position);
    this.rows.push(written);
    return written;
  }

  holdReads(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  releaseReads(): void {
    this.open?.();
    this.gate = null;
  }

  async currentPosition(): Promise<bigint> {
    return this.rows.at(-1)?.position ?? 0n;
  }

  async readMerchantRows(_merchantId: string, after: bigint, upTo: bigint, limit: number): Promise<OutboxRow[]> {
    this.reads.push([after, upTo]);
    await this.gate;
    return this.rows.filter((r) => r.position > after && r.position <= upTo).slice(0, limit);
  }
}

/**
 * The watch's next value, or 'stalled' after `ms`. The timer is cleared either way: one left behind
 * per value (a thousand here) kept the jest worker that ran this file alive past the end of the run,
 * and jest force-exited it.
 */
async function nextWithin(watch: OutboxWatch<bigint>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => {
    timer = setTimeout(() => resolve('stalled'), ms);
  });
  try {
    return await Promise.race([watch.next(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

async function take(watch: OutboxWatch<bigint>, count: number): Promise<bigint[]> {
  const seen: bigint[] = [];
  while (seen.length < count) {
    const next = await nextWithin(watch, 1000);
    if (next === 'stalled' || next.done) break;
    seen.push(next.value);
  }
  return seen;
}

describe('OutboxWatch', () => {
  it('loses nothing when its live buffer overflows while a catch-up read is in flight', async () => {
    const table = new TableStandIn();
    for (let p = 1; p <= 5; p++) table.write(p);
    const watch = new OutboxWatch<bigint>(table, { merchantId: MERCHANT, after: 0n, project: (r) => r.position }, () => undefined);

    table.holdReads();
    const first = watch.next(); // starts catching up: the watermark is 5, the read waits
    await new Promise((resolve) => setImmediate(resolve));
    // Meanwhile more rows commit than the live buffer holds: it overflows and drops them.
    const total = 5 + LIVE_BUFFER_LIMIT + 10;
    for (let p = 6; p <= total; p++) watch.offer(table.write(p));
    table.releaseReads();

    const seen = [(await first).value as bigint, ...(await take(watch, total - 1))];
    expect(seen).toHaveLength(total);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => BigInt(i + 1)));
    // The rows past the first watermark came back from the table, not the (dropped) live buffer.
    expect(table.reads.length).toBeGreaterThan(1);
    await watch.return();
  });

  it('hands out live rows once, in order, after catching up', async () => {
    const table = new TableStandIn();
    for (let p = 1; p <= 3; p++) table.write(p);
    const watch = new OutboxWatch<bigint>(table, { merchantId: MERCHANT, after: 1n, project: (r) => r.position }, () => undefined);
    watch.offer(table.rows[2]); // a live copy of a row the catch-up also reads
    for (let p = 4; p <= 6; p++) watch.offer(table.write(p));
    expect(await take(watch, 5)).toEqual([2n, 3n, 4n, 5n, 6n]);
    await watch.return();
  });
});
