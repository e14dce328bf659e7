/**
 * `npm run soak`: the product under a steady mixed load for a set time, watched as it goes, judged at
 * the end. `npm run soak -- --help` for the options; docs/testing.md for what it checks and why.
 * The short soak in `npm test` (tests/reliability/soak.test.ts) runs this same script.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkNodeAndBuild } from '../../../bench/lib/build.mjs';
import { parseCommandLine, positiveNumber, runCommand, UsageError, wholeNumber } from '../../../bench/lib/cli.mjs';
import { benchServer, createBenchDatabase, dropBenchDatabase, root } from '../../../bench/lib/postgres.mjs';
import { CALIBRATION_DEFAULTS } from './calibration.mjs';
import { interruptLoad } from './load-process.mjs';
import { THRESHOLDS } from './soak-criteria.mjs';

const COMMAND = 'npm run soak';
const OPTIONS = {
  minutes: { type: 'string', default: '30' },
  rate: { type: 'string' },
  'load-share': { type: 'string', default: String(CALIBRATION_DEFAULTS.share) },
  windows: { type: 'string', default: String(CALIBRATION_DEFAULTS.windows) },
  'window-seconds': { type: 'string', default: String(CALIBRATION_DEFAULTS.windowSeconds) },
  'warmup-seconds': { type: 'string' },
  'progress-seconds': { type: 'string', default: '60' },
  subscribers: { type: 'string', default: '200' },
  links: { type: 'string', default: '2000' },
  url: { type: 'string', multiple: true },
  cluster: { type: 'boolean', default: false },
  'database-url': { type: 'string' },
  'api-log': { type: 'string', multiple: true },
  out: { type: 'string' },
  'keep-database': { type: 'boolean', default: false },
  build: { type: 'boolean', default: true },
  help: { type: 'boolean', short: 'h', default: false },
};

const HELP = `Usage: ${COMMAND} -- [options]

A steady mixed load for a set time: S1 reads (the checkout's paymentLink(token)) open-loop at a
fixed rate, two merchants each running a cycle a second (create and send an invoice, pay its link
with a sandbox card, read the transaction log), and partner subscribers following every payment
event. A progress line every minute; at the end, a verdict on each criterion:
  errors < ${THRESHOLDS.errorRate * 100}% (timeouts, transport, HTTP, GraphQL, failed payments and backlog counted apart),
  RSS growth < ${THRESHOLDS.rssGrowth * 100}% (after full collections), event-loop lag p99 < ${THRESHOLDS.lagP99Ms} ms,
  every payment event delivered to every subscriber once and in order, no error log lines,
  every payment announced, the API up throughout, no errors while calibrating.
Exit code 0 when every measured criterion passed, 1 when one failed, 2 for a bad command line.

Length and rate:
  --minutes <n>            how long the load runs (default 30; decimals allowed)
  --rate <n>               S1 requests a second; without it, the rate is calibrated:
  --windows <n>            ... the median of n closed-loop windows of S1's maximum, measured with
  --window-seconds <n>     ... the mix running (default ${CALIBRATION_DEFAULTS.windows} windows of ${CALIBRATION_DEFAULTS.windowSeconds} s),
  --load-share <f>         ... times this share (default ${CALIBRATION_DEFAULTS.share})
  --warmup-seconds <n>     left out of the memory and lag figures (default 120, or 10 under 10 minutes)
  --progress-seconds <n>   one progress line every n seconds (default 60)
  --subscribers <n>        partner subscriptions (default 200)
  --links <n>              sent invoices whose links S1 reads (default 2000)

Target (default: starts its own API, the built one, in production mode, with a probe inside it):
  --url <url>              an API already running: a load balancer's URL, or repeat --url for each
                           instance (load, subscribers and merchants spread over them). Memory and
                           lag are then not measured; it needs the API's database (--database-url or
                           DATABASE_URL) to onboard with the operator CLI and read the outbox, and the
                           API must allow many unknown-token lookups from one address
                           (TOKEN_LOOKUP_MAX_MISSES), as the soak's own API does
  --cluster                start the cluster (npm run cluster: nginx, three API instances, two
                           checkouts, the console) on the soak's database and load it through nginx;
                           each instance runs the probe: memory growth is the worst instance's,
                           lag the worst instance's p99; their logs are searched for error lines
  --api-log <file>         with --url: an API's log file to search for error lines written during the
                           soak (repeatable)
  --database-url <url>     with its own API: a migrated database to run on (kept); default: a new
                           database on DATABASE_URL's server (or an embedded one under .data/bench),
                           dropped at the end
  --keep-database          keep that new database

Output:
  --out <dir>              where result.json (every figure, per-second samples) and, with its own API,
                           api.log and the API's data folder go (default .data/soak/<start time>)
  --no-build               do not build first
  -h, --help               this help

Environment: SOAK_API_ARGS, node options for its own API (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof').

Examples:
  ${COMMAND}                                     # 30 minutes, calibrated rate
  ${COMMAND} -- --minutes 2 --rate 300
  ${COMMAND} -- --cluster --minutes 30
  ${COMMAND} -- --url http://127.0.0.1:8080 --database-url postgres://postgres@127.0.0.1:5432/kometpay`;

function settingsFrom(values) {
  const minutes = positiveNumber('minutes', values.minutes);
  const seconds = Math.round(minutes * 60);
  const warmupSeconds =
    values['warmup-seconds'] === undefined ? (minutes >= 10 ? 120 : 10) : wholeNumber('warmup-seconds', values['warmup-seconds'], 0);
  if (seconds < warmupSeconds + 10) throw new UsageError(`--minutes ${minutes} leaves less than 10 s after the ${warmupSeconds} s warm-up`);
  const share = positiveNumber('load-share', values['load-share']);
  if (share > 1) throw new UsageError(`--load-share is a share of the measured maximum, at most 1, not ${share}`);
  const urls = (values.url ?? []).map((url) => {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--url '${url}' is not a URL`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new UsageError(`--url '${url}' must be http(s)`);
    return parsed.origin + parsed.pathname.replace(/\/+$/, '');
  });
  if (values.cluster && urls.length) throw new UsageError('--cluster starts its own target: no --url with it');
  if (values['api-log'] && !urls.length) throw new UsageError("--api-log goes with --url (its own API's log is read anyway)");
  for (const file of values['api-log'] ?? []) if (!existsSync(file)) throw new UsageError(`--api-log '${file}': no such file`);
  const databaseUrl = values['database-url'] ?? (urls.length ? process.env.DATABASE_URL : undefined);
  if (urls.length && !databaseUrl) throw new UsageError("--url needs the API's database: --database-url or DATABASE_URL");
  if (values['keep-database'] && (urls.length || values['database-url']))
    throw new UsageError('--keep-database is for the database the soak creates; a given one is never dropped');
  return {
    seconds,
    warmupSeconds,
    rate: values.rate === undefined ? null : positiveNumber('rate', values.rate),
    calibration: {
      windows: wholeNumber('windows', values.windows),
      windowSeconds: positiveNumber('window-seconds', values['window-seconds']),
      warmupSeconds: CALIBRATION_DEFAULTS.warmupSeconds,
      share,
    },
    progressSeconds: positiveNumber('progress-seconds', values['progress-seconds']),
    subscribers: wholeNumber('subscribers', values.subscribers),
    links: wholeNumber('links', values.links),
    urls,
    cluster: values.cluster,
    databaseUrl,
    apiLogs: values['api-log'] ?? [],
    out: path.resolve(root, values.out ?? path.join('.data/soak', new Date().toISOString().replace(/[:.]/g, '-'))),
    keepDatabase: values['keep-database'],
  };
}

/**
 * The cluster (scripts/cluster/cluster.mjs) on the soak's database, loaded through nginx, its API
 * instances started with the probe; each process's output in <out>/cluster/<name>.log.
 */
async function clusterTarget(databaseUrl, out, { clusterInstances, PROBE_NODE_ARGS }, say) {
  const { startCluster } = await import('../../../scripts/cluster/cluster.mjs');
  const { BENCH_CURSOR_SECRET } = await import('../../../bench/lib/api-process.mjs');
  const dir = path.join(out, 'cluster');
  mkdirSync(dir, { recursive: true });
  const names = ['api-1', 'api-2', 'api-3'];
  for (const name of names) writeFileSync(path.join(dir, `${name}.log`), '');
  const cluster = await startCluster({
    databaseUrl,
    dataDir: dir,
    // One load generator on one address is not an attacker; the subscribers are many connections from it.
    // The soak signs its subscribers' starting cursors with the bench's secret, as its own API does.
    env: {
      TOKEN_LOOKUP_MAX_MISSES: '100000000',
      WS_MAX_CONNECTIONS_PER_ADDRESS: '5000',
      CURSOR_SECRETS: process.env.CURSOR_SECRETS || BENCH_CURSOR_SECRET,
    },
    apiNodeArgs: PROBE_NODE_ARGS,
    log: say,
    onOutput: (name, line) => appendFileSync(path.join(dir, `${name}.log`), `${line}\n`),
  });
  const target = clusterInstances({
    url: cluster.urls.api,
    members: cluster.apis,
    logFiles: names.map((name) => path.join(dir, `${name}.log`)),
  });
  return {
    ...target,
    describe: `the cluster through nginx (${cluster.urls.api}): ${cluster.apis.map((api) => `${api.name} pid ${api.child.pid}`).join(', ')}`,
    stop: () => cluster.stop(),
  };
}

async function main() {
  const values = parseCommandLine({ example: `${COMMAND} -- --minutes 2`, options: OPTIONS });
  if (values.help) return console.log(HELP);
  const settings = settingsFrom(values);
  if (values.build) await checkNodeAndBuild();
  // Loaded after the build: they read the built API.
  const { runSoak } = await import('./soak-session.mjs');
  const targets = await import('./soak-target.mjs');

  const started = Date.now();
  const say = (line) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);
  process.once('SIGINT', () => {
    say('interrupted: stopping the load, then cleaning up (Ctrl-C again to quit at once)');
    interruptLoad();
    process.once('SIGINT', () => process.exit(130));
  });
  mkdirSync(settings.out, { recursive: true });

  // The database: the given one (kept), or a new one (dropped unless --keep-database).
  let databaseUrl = settings.databaseUrl;
  let dropDatabase = async () => undefined;
  if (!databaseUrl) {
    const server = await benchServer();
    const name = `kometpay_soak_${randomBytes(4).toString('hex')}`;
    say(`creating and migrating database ${name}`);
    databaseUrl = await createBenchDatabase(server.adminUrl, name);
    dropDatabase = async () => {
      if (!settings.keepDatabase) await dropBenchDatabase(server.adminUrl, name);
      else say(`kept database ${name}: ${databaseUrl}`);
      await server.stop();
    };
  }
  let result;
  try {
    const target = settings.cluster
      ? await clusterTarget(databaseUrl, settings.out, targets, say)
      : settings.urls.length
        ? targets.externalApi({ urls: settings.urls, logFiles: settings.apiLogs })
        : await targets.startOwnApi({
            databaseUrl,
            out: settings.out,
            nodeArgs: process.env.SOAK_API_ARGS?.split(' ').filter(Boolean) ?? [],
          });
    say(`target: ${target.describe}`);
    try {
      result = await runSoak(
        { ...settings, target, databaseUrl, keepsDatabase: Boolean(settings.databaseUrl) || settings.keepDatabase },
        say,
      );
    } finally {
      await target.stop();
    }
  } finally {
    await dropDatabase();
  }

  writeFileSync(
    path.join(settings.out, 'result.json'),
    JSON.stringify({ ...result, startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString() }, null, 2),
  );
  const failed = result.criteria.filter((criterion) => criterion.pass === false);
  const headline = failed.length
    ? `FAILED: ${failed.length} of ${result.criteria.length} criteria not met`
    : `PASSED${result.unmeasured.length ? `, with ${result.unmeasured.length} criteria not measured on this target` : `: all ${result.criteria.length} criteria met`}`;
  say(`verdict after ${((Date.now() - started) / 60_000).toFixed(1)} minutes: ${headline}`);
  for (const criterion of result.criteria)
    console.log(`  ${criterion.pass === null ? 'n/a ' : criterion.pass ? 'pass' : 'FAIL'}  ${criterion.name}: ${criterion.figure}`);
  const resultFile = path.join(settings.out, 'result.json');
  say(`every figure and the per-second samples: ${resultFile.startsWith(root) ? path.relative(root, resultFile) : resultFile}`);
  process.exitCode = failed.length ? 1 : 0;
}

await runCommand(COMMAND, main);
