/**
 * One soak, start to verdict, against a target (soak-target.mjs):
 *  1. the world: merchants, partners, customers, the links S1 reads (soak-world.mjs);
 *  2. `subscribers` partner subscriptions from the outbox's end (event-followers.mjs);
 *  3. the merchants' cycles, one a second each, from here to the end (merchant-cycles.mjs);
 *  4. the rate: given, or calibrated with all of the above running (calibration.mjs);
 *  5. S1 reads open-loop at that rate for the soak's length, from a generator process, with a
 *     progress line every `progressSeconds`: elapsed, requests, errors by kind, S1 p99, RSS,
 *     event-loop lag, events delivered of those the outbox holds, payments;
 *  6. the verdict: each pass criterion, measured or said not to be.
 * Memory is compared right after full collections at the end of the warm-up and 2 s before the
 * end, both under load; the lag window lies between the two, so the collections' pauses are not in it.
 */
import pg from 'pg';
import { calibrate } from './calibration.mjs';
import { followEvents } from './event-followers.mjs';
import { runLoadGenerator } from './load-process.mjs';
import { startMerchantCycles } from './merchant-cycles.mjs';
import { addTallies, copyTally, describeFailures, errorsOf, newTally, tallySince } from './request-tally.mjs';
import { THRESHOLDS } from './soak-criteria.mjs';
import { openWorld } from './soak-world.mjs';

const CYCLE_MS = 1_000;
const CONNECTIONS = 50;
/** How long the events still in flight at the end may take to arrive before they count as lost. */
const DELIVERY_GRACE_MS = 30_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
const percent = (ratio, digits = 1) => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(digits)}%`;
const count = (n) => n.toLocaleString('en-US');

/**
 * options: { target, databaseUrl, seconds, warmupSeconds, progressSeconds, rate (or null),
 * calibration: { windows, windowSeconds, warmupSeconds, share }, subscribers, links, keepsDatabase }.
 * `say` prints one line. Answers the result (see run-soak.mjs for how it is shown and kept).
 */
export async function runSoak(options, say) {
  const { target, seconds, warmupSeconds } = options;
  const db = new pg.Client({ connectionString: options.databaseUrl });
  await db.connect();
  const sql = async (text, params) => (await db.query(text, params)).rows;
  let events;
  try {
    const world = await openWorld({ databaseUrl: options.databaseUrl, urls: target.urls, links: options.links, say });

    const [{ position }] = await sql('select coalesce(max(position), 0)::text as position from outbox_event');
    const startPosition = Number(position);
    events = followEvents({ urls: target.urls, partners: world.partners, count: options.subscribers, fromPosition: startPosition });
    await events.connected(30_000);
    say(`${options.subscribers} partner subscribers connected from outbox position ${startPosition}; merchant cycles started`);
    /** The outbox's transaction events per merchant since the start: what every subscriber of that merchant must receive, in order. */
    const expectedEvents = async () => {
      // Ordered by the bigint column: `order by position` would sort the text of the select list (999 after 1000).
      const rows = await sql(
        `select merchant_id, position::text as at from outbox_event where aggregate_type = 'transaction' and position > $1 order by outbox_event.position`,
        [startPosition],
      );
      const expected = new Map(world.shops.map((shop) => [shop.merchantId, []]));
      for (const row of rows) expected.get(row.merchant_id)?.push(Number(row.at));
      return expected;
    };
    const expectedCount = (expected) =>
      events.followers.reduce((sum, follower) => sum + (expected.get(follower.merchantId)?.length ?? 0), 0);

    const merchantTally = newTally();
    const cycles = startMerchantCycles({ urls: target.urls, shops: world.shops, cycleMs: CYCLE_MS, tally: merchantTally });
    let calibration = null;
    let soak;
    try {
      if (options.rate === null) {
        const c = options.calibration;
        say(
          `calibrating: S1's maximum with the mix running, median of ${c.windows} closed-loop windows of ${c.windowSeconds} s (${CONNECTIONS} connections per URL, ${c.warmupSeconds} s warm-up)`,
        );
        const merchantBefore = copyTally(merchantTally);
        calibration = { ...(await calibrate({ urls: target.urls, tokens: world.readTokens, connections: CONNECTIONS, ...c }, say)) };
        calibration.merchantTally = tallySince(merchantTally, merchantBefore);
        say(
          `calibrated: maximum ${calibration.maximum.toFixed(0)} req/s (median; windows ${calibration.windows.map((w) => w.throughput.toFixed(0)).join(', ')}, ` +
            `spread ${calibration.spread.toFixed(2)}x), soaking at ${(c.share * 100).toFixed(0)}% of it: ${calibration.rate} req/s`,
        );
        if (calibration.spread > 1.5)
          say(
            `warning: the calibration's windows are ${calibration.spread.toFixed(2)}x apart: something else is loading the machine; the median holds, but consider --rate`,
          );
        if (calibration.rate < 1) throw new Error(`the calibration measured ${calibration.maximum} req/s: nothing to soak at`);
      }
      const rate = options.rate ?? calibration.rate;
      say(
        `soaking for ${clock(seconds)} at ${rate} req/s of S1 reads, open loop (warm-up ${warmupSeconds} s), progress every ${options.progressSeconds} s`,
      );
      soak = await soakAt(rate, { options, target, world, events, cycles, merchantTally, expectedEvents, expectedCount, say });
    } finally {
      await cycles.stop();
    }

    // Events still in flight get a moment; then each subscriber is held to its merchant's events.
    let expected = await expectedEvents();
    for (const deadline = Date.now() + DELIVERY_GRACE_MS; events.delivered() < expectedCount(expected) && Date.now() < deadline; ) {
      await sleep(250);
      expected = await expectedEvents();
    }
    const delivery = events.check(expected);
    const succeeded = await sql(
      `select merchant_id, jsonb_array_elements_text(payload->'invoiceIds') as invoice_id from outbox_event
       where aggregate_type = 'transaction' and type = 'transaction.succeeded' and position > $1`,
      [startPosition],
    );
    const announced = new Set(succeeded.map((row) => `${row.merchant_id}/${row.invoice_id}`));
    const unannounced = cycles.payments.filter((payment) => !announced.has(`${payment.merchantId}/${payment.invoiceId}`));
    return verdict({
      options,
      target,
      world,
      calibration,
      soak,
      delivery,
      payments: { made: cycles.payments.length, unannounced: unannounced.length },
    });
  } finally {
    await events?.dispose();
    await db.end();
  }
}

/** The open-loop soak at `rate`: progress lines while it runs; its load, memory, lag and samples. */
async function soakAt(rate, { options, target, world, events, cycles, merchantTally, expectedEvents, expectedCount, say }) {
  const { seconds, warmupSeconds } = options;
  const samples = [];
  let startedAt = 0;
  const since = () => (Date.now() - startedAt) / 1000;
  let merchantAtStart;
  let merchantAtLastProgress;
  let rssAtWarmup = null;
  let sampler;
  const timers = [];
  let memoryStart = Promise.resolve(null);
  let lagWindow = Promise.resolve(null);
  let memoryEnd = Promise.resolve(null);
  let progress = Promise.resolve();
  let final;

  const onStart = () => {
    startedAt = Date.now();
    merchantAtStart = copyTally(merchantTally);
    merchantAtLastProgress = merchantAtStart;
    sampler = setInterval(() => {
      try {
        samples.push({ at: since(), ...target.sample() });
      } catch {
        // The API is gone: the verdict says so (its exit); nothing to sample.
      }
    }, 1_000);
    timers.push(
      setTimeout(() => {
        rssAtWarmup = samples.at(-1)?.rss ?? null;
        // A probe that cannot answer (the API died) leaves the figure unmeasured; the verdict says why.
        memoryStart = target
          .settledMemory()
          .then((memory) => {
            target.markLagWindow();
            return memory;
          })
          .catch(() => null);
      }, warmupSeconds * 1_000),
      setTimeout(
        () => {
          lagWindow = target.lagWindow().catch(() => null);
          memoryEnd = lagWindow.then(() => target.settledMemory()).catch(() => null);
        },
        (seconds - 2) * 1_000,
      ),
    );
  };

  const printProgress = async (report) => {
    const merchantNow = copyTally(merchantTally);
    const merchantInterval = tallySince(merchantNow, merchantAtLastProgress);
    merchantAtLastProgress = merchantNow;
    const all = addTallies(report.total.tally, tallySince(merchantNow, merchantAtStart));
    const expected = expectedCount(await expectedEvents());
    const lag = await target.lagSinceLastAsked().catch(() => null);
    const { rss, instanceRss } = samples.at(-1) ?? {};
    const errors = errorsOf(all);
    const parts = [
      `${count(all.requests)} requests (S1 ${count(report.total.tally.requests)}, ${(report.interval.tally.requests / report.interval.seconds).toFixed(0)}/s lately; merchant ${count(all.requests - report.total.tally.requests)})`,
      `errors ${((errors / Math.max(all.requests, 1)) * 100).toFixed(3)}%${errors ? ` (${describeFailures(all, { details: 2, brief: true })})` : ''}`,
      `S1 p99 ${report.interval.p99.toFixed(1)} ms lately, ${report.total.p99.toFixed(1)} ms overall`,
      rss === undefined
        ? 'RSS not measured'
        : `RSS ${mb(rss)} MB${instanceRss ? ` (${instanceRss.map(mb).join(' + ')})` : ''}${rssAtWarmup ? ` (${percent(rss / rssAtWarmup - 1)} since warm-up)` : ' (warming up)'}`,
      lag ? `event-loop lag p99 ${lag.p99.toFixed(1)} ms` : 'event-loop lag not measured',
      `events ${count(events.delivered())}/${count(expected)} delivered`,
      `${count(cycles.payments.length)} payments`,
    ];
    if (merchantInterval.requests === 0) parts.push('NO merchant requests completed lately');
    if (report.outstanding > CONNECTIONS * target.urls.length) parts.push(`${count(report.outstanding)} S1 requests waiting`);
    say(`[${clock(report.elapsed)}/${clock(seconds)}] ${parts.join('; ')}`);
  };

  try {
    await runLoadGenerator(
      {
        urls: target.urls,
        tokens: world.readTokens,
        mode: 'open',
        rate,
        seconds,
        connections: CONNECTIONS,
        reportSeconds: options.progressSeconds,
        timeoutMs: 10_000,
        maxBacklog: 5_000,
      },
      (message) => {
        if (message.type === 'started') onStart();
        // The last answers' own line only when they span a good part of a period (not a second's tail after the last line).
        const printable = message.type === 'report' || (message.type === 'done' && message.interval.seconds >= options.progressSeconds / 2);
        if (printable)
          progress = progress.then(() => printProgress(message)).catch((error) => say(`progress line failed: ${error.message}`));
        if (message.type === 'done') final = message;
      },
    );
  } finally {
    clearInterval(sampler);
    for (const timer of timers) clearTimeout(timer);
  }
  await progress;
  const merchant = tallySince(copyTally(merchantTally), merchantAtStart);
  return {
    rate,
    s1: final.total,
    merchant,
    samples,
    rssAtWarmup,
    memoryStart: await memoryStart,
    lag: await lagWindow,
    memoryEnd: await memoryEnd,
  };
}

/** Each pass criterion with its figure; `pass: null` when this target does not let it be measured. */
function verdict({ options, target, world, calibration, soak, delivery, payments }) {
  const { s1, merchant, memoryStart, memoryEnd, lag, samples } = soak;
  const all = addTallies(s1.tally, merchant);
  const errors = errorsOf(all);
  const errorRate = errors / Math.max(all.requests, 1);
  const memory = memoryGrowth(memoryStart, memoryEnd);
  const rssGrowth = memory?.growth ?? null;
  const logs = target.logs();
  const exit = target.exit();
  const measured = samples.filter((sample) => sample.at >= options.warmupSeconds);
  const [first, last] = [measured[0], measured.at(-1)];
  const cpu =
    first && last && last.at > first.at
      ? {
          apiCores: first.apiCpu === undefined ? null : (last.apiCpu - first.apiCpu) / (last.at - first.at),
          machineBusy: (last.busy - first.busy) / (last.total - first.total),
        }
      : null;

  const criteria = [
    {
      name: `errors < ${THRESHOLDS.errorRate * 100}%`,
      pass: errorRate < THRESHOLDS.errorRate,
      figure: `${(errorRate * 100).toFixed(3)}% of ${count(all.requests)} requests; S1: ${describeFailures(s1.tally)}; merchant cycles: ${describeFailures(merchant)}`,
    },
    {
      name: `RSS growth < ${THRESHOLDS.rssGrowth * 100}%`,
      pass: rssGrowth === null ? (target.inside ? false : null) : rssGrowth < THRESHOLDS.rssGrowth,
      figure:
        rssGrowth === null
          ? target.inside
            ? 'not measured: the probe in the API did not answer'
            : "not measured (the API is not this process's child)"
          : memory.figure,
    },
    {
      name: `event-loop lag p99 < ${THRESHOLDS.lagP99Ms} ms`,
      pass: lag === null ? (target.inside ? false : null) : lag.p99 < THRESHOLDS.lagP99Ms,
      figure:
        lag === null
          ? target.inside
            ? 'not measured: the probe in the API did not answer'
            : 'not measured (no probe in the API)'
          : `${lag.instance ? `worst instance ${lag.instance}: ` : ''}p99 ${lag.p99.toFixed(1)} ms, p50 ${lag.p50.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms${lag.instances ? ` (p99 ${lag.instances.map((each) => `${each.name} ${each.p99.toFixed(1)}`).join(', ')})` : ''}${cpu?.apiCores != null ? ` (API ${(cpu.apiCores * 100).toFixed(0)}% of a core, the machine ${(cpu.machineBusy * 100).toFixed(0)}% busy)` : ''}`,
    },
    {
      name: 'every event delivered once, in order',
      pass:
        delivery.lossy.length === 0 &&
        delivery.lost === 0 &&
        delivery.repeated === 0 &&
        delivery.outOfOrder === 0 &&
        delivery.disconnected.length === 0 &&
        delivery.errorCount === 0,
      figure:
        `${count(delivery.delivered)} of ${count(delivery.expected)} to ${delivery.subscribers} subscribers: ${delivery.lost} lost, ${delivery.repeated} repeated, ${delivery.outOfOrder} out of order, ` +
        `${delivery.disconnected.length} disconnected, ${delivery.errorCount} subscription errors${delivery.missedPositions.length ? `; missed positions ${delivery.missedPositions.join(', ')}` : ''}${delivery.errors.length ? `; ${delivery.errors.join('; ')}` : ''}`,
    },
    {
      name: 'no error log lines',
      pass: logs.checked ? logs.errorLines.length === 0 : null,
      figure: logs.checked
        ? `${logs.errorLines.length} error and ${logs.warnLines.length} warning lines${logs.warnLines.length + logs.errorLines.length ? ` (${[...new Set([...logs.errorLines, ...logs.warnLines].map(messageOf))].slice(0, 3).join('; ')})` : ''}`
        : 'not checked (name the API log files with --api-log)',
    },
    {
      name: 'every payment announced',
      pass: payments.made > 0 && payments.unannounced === 0,
      figure: `${count(payments.made)} payments in merchant cycles, ${payments.unannounced} without their transaction.succeeded event`,
    },
  ];
  if (target.kind !== 'external')
    criteria.push({
      name: 'the API stayed up',
      pass: exit === null,
      figure: exit === null ? 'yes' : `${exit.instance ?? 'it'} exited (code ${exit.code}, signal ${exit.signal})`,
    });
  if (calibration)
    criteria.push({
      name: 'no errors while calibrating',
      pass: errorsOf(calibration.tally) + errorsOf(calibration.merchantTally) === 0,
      figure: `S1: ${describeFailures(calibration.tally, { brief: true })}; merchant cycles: ${describeFailures(calibration.merchantTally, { brief: true })}`,
    });

  return {
    passed: criteria.every((criterion) => criterion.pass !== false),
    unmeasured: criteria.filter((criterion) => criterion.pass === null).map((criterion) => criterion.name),
    criteria,
    target: target.describe,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    subscribers: options.subscribers,
    rate: soak.rate,
    calibration,
    load: { requests: all.requests, errors, errorRate, s1: { ...s1, throughput: s1.tally.requests / options.seconds }, merchant },
    memory: { start: memoryStart, end: memoryEnd, growth: rssGrowth },
    lag,
    cpu,
    delivery,
    payments,
    logs: { errorLines: logs.errorLines.slice(0, 20), warnLines: logs.warnLines.length },
    // Their API keys only when the database outlives the soak (the caller's, to check it afterwards).
    merchants: world.shops.map((shop) => ({
      id: shop.merchantId,
      ...(options.keepsDatabase ? { authorization: shop.authorization } : {}),
    })),
    samples,
  };
}

/**
 * RSS growth between two settled measurements: of one process, or the worst of several instances'
 * (a leak in one would hide in their sum).
 */
function memoryGrowth(start, end) {
  if (!start || !end) return null;
  const growthOf = (a, b) => (b.rss - a.rss) / a.rss;
  const heap = (a, b) => `heap used ${mb(a.heapUsed)} -> ${mb(b.heapUsed)} MB`;
  if (!start.instances) {
    return {
      growth: growthOf(start, end),
      figure: `${percent(growthOf(start, end))}: ${mb(start.rss)} -> ${mb(end.rss)} MB right after full collections (${heap(start, end)})`,
    };
  }
  const each = start.instances.map((first, i) => ({
    name: first.name,
    first,
    last: end.instances[i],
    growth: growthOf(first, end.instances[i]),
  }));
  const worst = each.reduce((a, b) => (b.growth > a.growth ? b : a));
  return {
    growth: worst.growth,
    figure:
      `worst instance ${worst.name} ${percent(worst.growth)}, right after full collections: ` +
      each
        .map(({ name, first, last, growth }) => `${name} ${mb(first.rss)} -> ${mb(last.rss)} MB (${percent(growth)}, ${heap(first, last)})`)
        .join('; '),
  };
}

function messageOf(line) {
  try {
    return JSON.parse(line).msg ?? line;
  } catch {
    return line.slice(0, 120);
  }
}
