import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from '../../kit/logger.js';
import { OUTBOX_WRITER_LOCK } from './outbox-event.entity.js';

/** The channel the outbox's `notify` trigger speaks on: "<position>,<merchant id>", a hint only. */
export const OUTBOX_CHANNEL = 'kometpay_outbox';

export interface OutboxRow {
  position: bigint;
  merchantId: string | null;
  aggregateType: string;
  aggregateId: string;
  type: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
}

/** The invoices an event is about: transaction events list them, invoice events are one, link events name one. */
export function touchesInvoice(row: OutboxRow, invoiceId: string): boolean {
  if (row.aggregateType === 'invoice') return row.aggregateId === invoiceId;
  return invoiceIdsOf(row).includes(invoiceId) || row.payload.invoiceId === invoiceId;
}

export function invoiceIdsOf(row: OutboxRow): string[] {
  const ids = row.payload.invoiceIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

export interface WatchOptions<T> {
  merchantId: string;
  /** Deliver the events after this position. */
  after: bigint;
  /** Values handed out before any event (e.g. a view read just now). */
  initial?: T[];
  /**
   * Turns an event of the merchant into the value to hand out, or undefined to skip it. It sees every
   * event in position order, once; throwing ends the stream with that error.
   */
  project(row: OutboxRow): T | undefined | Promise<T | undefined>;
}

export interface OutboxFeedOptions {
  databaseUrl: string;
  logger: Logger;
  /** An EntityManager fork for the catch-up reads of subscribers (the API's pool, not the listening connection). */
  em: () => EntityManager;
}

/** The listening connection and the ORM's pool parse timestamps differently: both read the same ISO text. */
const ROW_COLUMNS = `position::text as position, merchant_id, aggregate_type, aggregate_id, type, payload,
  to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at`;

interface RawRow {
  position: string;
  merchant_id: string | null;
  aggregate_type: string;
  aggregate_id: string;
  type: string;
  payload: Record<string, unknown>;
  occurred_at: string;
}

/** What one poll saw: everything up to `upTo` is final once every writer it found in flight has ended. */
interface Horizon {
  upTo: bigint;
  /** Transaction ids of the outbox writers in flight when it was read. */
  waitFor: string[];
  since: number;
}

/**
 * Whether the 32-bit transaction id `xid` is at or past the snapshot's xmax (xids in use lie within
 * 2^31 of each other, so the comparison is modulo 2^32). Such a transaction is running as far as the
 * snapshot goes, yet not in its xip list: xmax is one past the newest *completed* transaction, so a
 * writer that took its id after another writer that has since committed is above it.
 */
const atOrPastXmax = (xid: string) => `((${xid}::text::bigint - (select xmax from snapshot) + 4294967296) % 4294967296 < 2147483648)`;

/**
 * The outbox writers in flight (holding OUTBOX_WRITER_LOCK, and running in this statement's
 * snapshot: in its xip list or at or past its xmax; one that holds its lock a moment past its commit
 * is done), as transaction ids; and which of the writers earlier polls waited for ($1) are still
 * running in this snapshot.
 */
const WRITERS_SQL = `
  snapshot as (select pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296 as xmax),
  running as (select xid(xid8) as xid from pg_snapshot_xip(pg_current_snapshot()) xid8),
  writers as (
    select coalesce(array_agg(held.transactionid::text), '{}') as xids
    from pg_locks writer
    join pg_locks held on held.virtualtransaction = writer.virtualtransaction and held.locktype = 'transactionid'
    where writer.locktype = 'advisory' and writer.granted and writer.objsubid = 2
      and writer.classid = ${OUTBOX_WRITER_LOCK[0]} and writer.objid = ${OUTBOX_WRITER_LOCK[1]}
      and writer.database = (select oid from pg_database where datname = current_database())
      and (held.transactionid in (select xid from running) or ${atOrPastXmax('held.transactionid')})
  ),
  still_running as (
    select coalesce(array_agg(waited::text), '{}') as xids
    from unnest($1::xid[]) waited
    where waited in (select xid from running) or ${atOrPastXmax('waited')}
  )`;

const POLL_PAGE = 1000;
export const CATCH_UP_PAGE = 200;
/** A subscriber this far behind on live events drops them and reads them back from the table instead. */
export const LIVE_BUFFER_LIMIT = 1000;
const MAX_HORIZONS = 64;
const STALL_WARNING_MS = 10_000;
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;
/** How often to look again while a writer found in flight has not ended (its commit notifies; an abort does not). */
const SETTLE_INTERVAL_MS = 20;
/** A poll when nothing was heard: it also proves the listening connection alive. */
const HEARTBEAT_MS = 2000;

const toRow = (raw: RawRow): OutboxRow => ({
  position: BigInt(raw.position),
  merchantId: raw.merchant_id,
  aggregateType: raw.aggregate_type,
  aggregateId: raw.aggregate_id,
  type: raw.type,
  payload: raw.payload,
  occurredAt: new Date(raw.occurred_at),
});

const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);
const minOf = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * The outbox, followed live by this API instance: one LISTEN connection of its own (reconnecting),
 * fanned out in process to this instance's subscribers. Every instance runs one; nothing here is
 * state that another instance would need, since everything handed out is read from outbox_event.
 *
 * The seam between what a subscriber reads back and what it receives live, and positions that
 * commit out of order (a transaction takes position 10, another takes 11 and commits first), are
 * both handled by one number, the watermark: a position at or below which every row is final, i.e.
 * either committed and visible, or never going to be. Only rows at or below it are ever handed out,
 * to live subscribers and catch-up reads alike, so a later commit can never land behind a cursor
 * already given to a client. No timeout guesses when a gap is final; the database says so:
 * - The outbox's `assign_position` trigger makes every writer take a shared advisory lock (held to
 *   the end of its transaction), then its transaction id, then its position.
 * - Each poll reads, in one statement, the rows past the watermark (highest visible: V) and the
 *   writers then in flight: lock holders in pg_locks that the snapshot counts as running (listed in
 *   its xip, or at or past its xmax). A position
 *   at or below V that this snapshot cannot see belongs to a writer that had its lock and its id
 *   before the snapshot: either it is among the writers read (pg_locks is read after the snapshot
 *   is taken), or it ended in between.
 * - So at any later poll whose snapshot no longer lists those writers as running, every position up
 *   to V is final: the watermark rises to V. That later poll follows at once when no writer was in
 *   flight (the usual case: two short queries per event), or when a writer's commit notifies.
 * Only outbox writers of this database are waited for, never other transactions; a writer that
 * keeps its transaction open delays deliveries (it never loses one), and a warning is logged. The
 * position sequence keeps its default CACHE 1, so that positions follow the order they are taken in.
 *
 * Subscribers (see OutboxWatch) register for live rows first, then read back (after, watermark]
 * from the table, then take the live rows past what they read: de-duplicated by position.
 */
export class OutboxFeed {
  private client: pg.Client | null = null;
  private watermark: bigint | null = null;
  private settled: bigint | null = null;
  private horizons: Horizon[] = [];
  private polling = false;
  private pollAgain = false;
  private settleTimer: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private stallWarned: Horizon | null = null;
  /** Grows while connecting or polling keeps failing; back to the minimum after a good poll. */
  private retryDelayMs = MIN_RETRY_MS;
  private readonly watchers = new Map<string, Set<OutboxWatch<unknown>>>();
  private readonly readyWaiters: (() => void)[] = [];
  /** Runs of pollUntilQuiet finished so far, and who waits for a given one. */
  private pollRuns = 0;
  private runWaiters: { after: number; resolve: () => void }[] = [];

  private constructor(private readonly options: OutboxFeedOptions) {
    this.heartbeat = setInterval(() => this.requestPoll(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Starts listening; subscribers may watch at once (they wait for the first watermark). */
  static start(options: OutboxFeedOptions): OutboxFeed {
    const feed = new OutboxFeed(options);
    void feed.connect();
    return feed;
  }

  /** A position every later event of any merchant is above: where a live-only subscription starts. */
  async currentPosition(): Promise<bigint> {
    if (this.watermark === null) await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    // With no subscriber, the watermark follows only the heartbeat: catch up with the table first.
    else if (!this.watchers.size) await this.nextPollRun();
    return this.watermark!;
  }

  /** The merchant's events after `options.after`, in position order, each once, then live ones as they become final. */
  watch<T>(options: WatchOptions<T>): AsyncIterableIterator<T> {
    const watch: OutboxWatch<T> = new OutboxWatch(this, options, () => this.unregister(options.merchantId, watch));
    let forMerchant = this.watchers.get(options.merchantId);
    if (!forMerchant) this.watchers.set(options.merchantId, (forMerchant = new Set()));
    forMerchant.add(watch as OutboxWatch<unknown>);
    // With no subscriber, notifications are not followed (see notified): catch up with the table now.
    this.requestPoll();
    return watch;
  }

  /** Rows of one merchant in (after, upTo], for a subscriber catching up. */
  async readMerchantRows(merchantId: string, after: bigint, upTo: bigint, limit: number): Promise<OutboxRow[]> {
    const rows = await this.options
      .em()
      .execute<RawRow[]>(
        `select ${ROW_COLUMNS} from outbox_event where merchant_id = ? and position > ? and position <= ? order by outbox_event.position limit ?`,
        [merchantId, after.toString(), upTo.toString(), limit],
      );
    return rows.map(toRow);
  }

  private resolveRunWaiters(): void {
    const due = this.runWaiters.filter((waiter) => this.closed || waiter.after <= this.pollRuns);
    this.runWaiters = this.runWaiters.filter((waiter) => !due.includes(waiter));
    for (const waiter of due) waiter.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.resolveRunWaiters();
    clearInterval(this.heartbeat);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    for (const watches of [...this.watchers.values()]) for (const watch of [...watches]) await watch.return();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private unregister(merchantId: string, watch: OutboxWatch<unknown>): void {
    const forMerchant = this.watchers.get(merchantId);
    forMerchant?.delete(watch);
    if (forMerchant?.size === 0) this.watchers.delete(merchantId);
  }

  private async connect(): Promise<void> {
    const { logger } = this.options;
    while (!this.closed) {
      const client = new pg.Client({
        connectionString: this.options.databaseUrl,
        application_name: 'kometpay-outbox-feed',
        keepAlive: true,
        query_timeout: 10_000,
      });
      client.on('error', (err) => this.disconnected(client, err));
      client.on('end', () => this.disconnected(client));
      client.on('notification', (message) => this.notified(message.payload));
      try {
        await client.connect();
        await client.query(`listen ${OUTBOX_CHANNEL}`);
        if (this.closed) {
          await client.end();
          return;
        }
        this.client = client;
        logger.debug('outbox feed listening');
        // Whatever was missed while disconnected is in the table: read it.
        this.requestPoll();
        return;
      } catch (err) {
        logger.warn({ err, retryInMs: this.retryDelayMs }, 'outbox feed cannot connect');
        await client.end().catch(() => undefined);
        await this.backOff();
      }
    }
  }

  /** A failed poll drops the connection too: a fresh one is the cure for a half-open socket, and the backoff bounds the rest. */
  private disconnected(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.closed) return;
    this.options.logger.warn({ err, retryInMs: this.retryDelayMs }, 'outbox feed lost its connection; reconnecting');
    void client.end().catch(() => undefined);
    void this.backOff().then(() => this.connect());
  }

  private async backOff(): Promise<void> {
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, MAX_RETRY_MS);
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
  }

  private notified(payload: string | undefined): void {
    // With no subscriber on this instance nothing waits for the watermark: the heartbeat keeps it
    // near the table's end, and a new subscriber's arrival polls at once. Under a payment load that
    // saves two statements per event, on the API and on PostgreSQL alike.
    if (!this.watchers.size) return;
    const position = /^(\d+),/.exec(payload ?? '')?.[1];
    if (position && this.watermark !== null && BigInt(position) <= this.watermark) return;
    this.requestPoll();
  }

  /** Resolves once a poll that started after this call has finished (or the feed closed). */
  private nextPollRun(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const promise = new Promise<void>((resolve) => this.runWaiters.push({ after: this.pollRuns + 1, resolve }));
    this.requestPoll();
    return promise;
  }

  private requestPoll(): void {
    if (this.closed) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    void this.pollUntilQuiet();
  }

  private async pollUntilQuiet(): Promise<void> {
    this.polling = true;
    let client: pg.Client | null = null;
    try {
      do {
        this.pollAgain = false;
        client = this.client;
        // Disconnected: the reconnection polls once it listens again.
        if (!client) return;
        await this.poll(client);
        this.retryDelayMs = MIN_RETRY_MS;
      } while (this.pollAgain && !this.closed);
    } catch (err) {
      if (client) this.disconnected(client, err as Error);
    } finally {
      this.polling = false;
      this.pollRuns++;
      this.resolveRunWaiters();
    }
    if (this.horizons.length && !this.settleTimer && !this.closed) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = null;
        this.requestPoll();
      }, SETTLE_INTERVAL_MS);
    }
  }

  private async poll(client: pg.Client): Promise<void> {
    const waitedFor = [...new Set(this.horizons.flatMap((horizon) => horizon.waitFor))];
    if (this.watermark === null || !this.watchers.size) {
      // The first watermark, or one no subscriber waits for: the end of the table as it stands, once
      // it is final, without reading the rows (nobody is handed them).
      const { rows } = await client.query<{ writers: string[]; still_running: string[]; visible_max: string }>(
        `with ${WRITERS_SQL}
         select writers.xids as writers, still_running.xids as still_running, coalesce((select max(position) from outbox_event), 0)::text as visible_max
         from writers, still_running`,
        [waitedFor],
      );
      const [{ writers, still_running, visible_max }] = rows;
      this.settle(still_running);
      this.addHorizon(BigInt(visible_max), writers);
      if (this.settled === null) return;
      if (this.watermark === null) {
        this.watermark = this.settled;
        for (const resolve of this.readyWaiters.splice(0)) resolve();
      } else if (!this.watchers.size) {
        this.watermark = maxOf(this.watermark, this.settled);
      } else {
        // A subscriber registered while this poll ran: the rows past the watermark must reach it
        // live, so the watermark moves only with a poll that reads and hands them out.
        this.pollAgain = true;
      }
      return;
    }

    const { rows } = await client.query<RawRow & { writers: string[]; still_running: string[] }>(
      `with ${WRITERS_SQL}
       select writers.xids as writers, still_running.xids as still_running, e.*
       from writers cross join still_running
       left join lateral (select ${ROW_COLUMNS} from outbox_event where position > $2 order by outbox_event.position limit $3) e on true
       order by e.position::bigint`,
      [waitedFor, this.watermark.toString(), POLL_PAGE],
    );
    const [{ writers, still_running }] = rows;
    const visible = rows.filter((row) => row.position !== null).map(toRow);
    const visibleMax = visible.at(-1)?.position ?? this.watermark;
    // Earlier polls' horizons settle against this snapshot; this poll's own needs a later one.
    this.settle(still_running);
    this.addHorizon(visibleMax, writers);
    const watermark = minOf(this.settled ?? this.watermark, visibleMax);
    if (visible.length === POLL_PAGE) this.pollAgain = true;
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    for (const row of visible) {
      if (row.position > watermark) break;
      if (!row.merchantId) continue;
      for (const watch of this.watchers.get(row.merchantId) ?? []) watch.offer(row);
    }
  }

  private addHorizon(upTo: bigint, waitFor: string[]): void {
    if (this.settled !== null && upTo <= this.settled) return;
    // With no writer in flight, the next snapshot settles it: take it at once.
    if (!waitFor.length) this.pollAgain = true;
    const last = this.horizons.at(-1);
    if (last && last.waitFor.length === waitFor.length && waitFor.every((xid) => last.waitFor.includes(xid))) {
      last.upTo = maxOf(last.upTo, upTo);
      return;
    }
    this.horizons.push({ upTo, waitFor, since: Date.now() });
    if (this.horizons.length > MAX_HORIZONS) {
      // Merging the two newest is conservative: the merged one settles when both would have.
      const newest = this.horizons.pop()!;
      const previous = this.horizons.at(-1)!;
      previous.upTo = maxOf(previous.upTo, newest.upTo);
      previous.waitFor = [...new Set([...previous.waitFor, ...newest.waitFor])];
    }
  }

  /** Settles the horizons none of whose writers is still running, in the order they were read. */
  private settle(stillRunning: string[]): void {
    while (this.horizons.length && !this.horizons[0].waitFor.some((xid) => stillRunning.includes(xid))) {
      const { upTo } = this.horizons.shift()!;
      this.settled = this.settled === null ? upTo : maxOf(this.settled, upTo);
    }
    const oldest = this.horizons[0];
    if (oldest && oldest !== this.stallWarned && Date.now() - oldest.since > STALL_WARNING_MS) {
      this.stallWarned = oldest;
      this.options.logger.warn(
        { waitingMs: Date.now() - oldest.since, writers: oldest.waitFor },
        'outbox deliveries wait for a writer transaction that stays open',
      );
    }
  }
}

/**
 * One subscriber's stream. It is registered for live rows from the moment it exists; it first reads
 * back from the table what lies between its cursor and the watermark, then takes the live rows,
 * skipping any it has already passed. Falling too far behind on live rows sends it back to the table.
 * `return()` ends it at once, even while it waits (an async generator could only stop at a yield).
 */
export class OutboxWatch<T> implements AsyncIterableIterator<T> {
  private scanned: bigint;
  private catchingUp = true;
  /** Live rows dropped so far (the buffer overflowed): a catch-up that saw one must read the table again. */
  private overflows = 0;
  private readonly live: OutboxRow[] = [];
  private readonly ready: T[];
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly feed: Pick<OutboxFeed, 'currentPosition' | 'readMerchantRows'>,
    private readonly options: WatchOptions<T>,
    private readonly unregister: () => void,
  ) {
    this.scanned = options.after;
    this.ready = [...(options.initial ?? [])];
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  offer(row: OutboxRow): void {
    if (this.closed) return;
    if (this.live.length >= LIVE_BUFFER_LIMIT) {
      this.live.length = 0;
      this.catchingUp = true;
      this.overflows++;
    } else {
      this.live.push(row);
    }
    this.wake?.();
  }

  async next(): Promise<IteratorResult<T>> {
    try {
      while (!this.closed) {
        if (this.ready.length) return { value: this.ready.shift()!, done: false };
        if (this.catchingUp) {
          await this.catchUp();
          continue;
        }
        const row = this.live.shift();
        if (row) {
          await this.admit(row);
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    } catch (error) {
      this.close();
      throw error;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<T>> {
    this.close();
    return { value: undefined, done: true };
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.live.length = 0;
    this.ready.length = 0;
    this.unregister();
    this.wake?.();
  }

  private async catchUp(): Promise<void> {
    const overflowsBefore = this.overflows;
    const upTo = await this.feed.currentPosition();
    const rows = await this.feed.readMerchantRows(this.options.merchantId, this.scanned, upTo, CATCH_UP_PAGE);
    for (const row of rows) await this.admit(row);
    if (rows.length < CATCH_UP_PAGE) {
      this.scanned = maxOf(this.scanned, upTo);
      // Rows dropped while this catch-up ran may lie past `upTo`: only the table still has them.
      if (this.overflows === overflowsBefore) this.catchingUp = false;
    }
  }

  private async admit(row: OutboxRow): Promise<void> {
    if (row.position <= this.scanned || this.closed) return;
    this.scanned = row.position;
    const value = await this.options.project(row);
    if (value !== undefined && !this.closed) this.ready.push(value);
  }
}
