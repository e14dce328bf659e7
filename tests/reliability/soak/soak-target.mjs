/**
 * What the soak loads and how it looks inside it:
 *  - its own API (the default): the built API as production runs it, one process, with the probe
 *    preloaded (event-loop lag, memory after full collections) and its output kept (error lines);
 *  - the cluster's API instances (`--cluster`): loaded through nginx, each with the probe preloaded;
 *  - external API URLs (`--url`, one load balancer or several instances): load only. Their memory
 *    and event loop are not visible from here; their log files can be named (`--api-log`) to be
 *    searched for error lines written during the soak.
 * Both answer the same interface, so the session does not care which it has.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startApiProcess } from '../../../bench/lib/api-process.mjs';
import { startMailSink } from '../../../bench/lib/mail-sink.mjs';

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'soak-probe.mjs');
/** Node options that preload the probe (and allow its full collections). */
export const PROBE_NODE_ARGS = ['--expose-gc', '--import', PROBE];
const ERROR_LINE = /"level":(50|60)\b/;
const WARN_LINE = /"level":40\b/;

/** The API's resident set, as the kernel counts it (bytes). */
function rssBytes(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds a process has used (user + system). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's busy and total jiffies (every process, both cores). */
function machineJiffies() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - values[3] - values[4], total };
}

/** The probe preloaded into an API process (soak-probe.mjs), asked over the process's IPC channel. */
function probeIn(child) {
  /** The probe's last per-second message: the last second's lag, and the heap then. */
  let lastSecond = null;
  child.on('message', (message) => {
    if (message?.soakProbe === 'second') lastSecond = message;
  });
  const ask = (question, answer) =>
    new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        child.off('message', listen);
        reject(new Error(`the probe in process ${child.pid} did not answer '${question}' within 30 s`));
      }, 30_000);
      const listen = (message) => {
        if (message?.soakProbe !== answer) return;
        clearTimeout(timeout);
        child.off('message', listen);
        resolve(message);
      };
      child.on('message', listen);
      child.send({ soakProbe: question });
    });
  return {
    lastSecond: () => lastSecond,
    lagSinceLastAsked: async () => (await ask('interval', 'interval')).lag,
    markLagWindow: () => child.send({ soakProbe: 'mark' }),
    lagWindow: async () => (await ask('report', 'window')).lag,
    settledMemory: () => ask('settle', 'settled'),
  };
}

/**
 * The API in its own process, on `databaseUrl`, writing its output to `<out>/api.log` and its
 * files (emails) under `<out>/api-data`. `nodeArgs`: more node options (SOAK_API_ARGS: --cpu-prof...).
 */
export async function startOwnApi({ databaseUrl, out, nodeArgs = [] }) {
  mkdirSync(out, { recursive: true });
  const logFile = path.join(out, 'api.log');
  const errorLines = [];
  const warnLines = [];
  // Production mode needs SMTP: a local sink, keeping the mail where the card-data scan looks.
  const mail = await startMailSink(path.join(out, 'api-data', 'outbox'));
  const api = await startApiProcess({
    databaseUrl,
    port: await freePort(),
    execArgv: [...nodeArgs, ...PROBE_NODE_ARGS],
    ipc: true,
    env: {
      KOMETPAY_DATA_DIR: path.join(out, 'api-data'),
      SMTP_URL: mail.url,
      SEED_DEMO_DATA: 'false',
      // Warnings too: a stalled outbox feed or a lost connection says so at that level.
      LOG_LEVEL: 'warn',
      // Jobs run as in production (email delivery of the sent invoices, expiries).
      RUN_JOBS: 'true',
      // The subscribers are hundreds of connections from one address, the load generator's.
      WS_MAX_CONNECTIONS_PER_ADDRESS: '1000',
    },
    onLine: (line) => {
      appendFileSync(logFile, `${line}\n`);
      if (ERROR_LINE.test(line)) errorLines.push(line);
      else if (WARN_LINE.test(line)) warnLines.push(line);
    },
  });
  let exit = null;
  void api.exited.then((how) => (exit = how));
  const probe = probeIn(api.child);

  return {
    kind: 'own',
    urls: [api.url],
    describe: `its own API process (pid ${api.pid}, ${api.url}), NODE_ENV=production`,
    pid: api.pid,
    logFile,
    inside: true,
    /** RSS now (bytes), the API's CPU seconds and the machine's jiffies (from /proc); the last second's lag p99 and heap used (the probe's). */
    sample: () => ({
      rss: rssBytes(api.pid),
      apiCpu: cpuSeconds(api.pid),
      ...machineJiffies(),
      lagP99: probe.lastSecond()?.lag.p99,
      heapUsed: probe.lastSecond()?.heapUsed,
    }),
    /** Event-loop lag since the last call: {p50, p99, max} ms. */
    lagSinceLastAsked: () => probe.lagSinceLastAsked(),
    /** Starts the measured lag window. */
    markLagWindow: () => probe.markLagWindow(),
    /** The measured lag window: {p50, p99, max} ms since the mark. */
    lagWindow: () => probe.lagWindow(),
    /** Memory right after two full collections: {rss, heapUsed} bytes. */
    settledMemory: () => probe.settledMemory(),
    logs: () => ({ errorLines, warnLines, checked: true }),
    exit: () => exit,
    stop: async () => {
      await api.stop();
      await mail.close();
    },
  };
}

/** API instances already running (a load balancer's URL, or each instance's). */
export function externalApi({ urls, logFiles = [] }) {
  // Only what the files gain from now on counts: earlier lines belong to earlier runs.
  const offsets = new Map(logFiles.map((file) => [file, statSync(file).size]));
  const newLines = () =>
    logFiles.flatMap((file) => {
      const text = readFileSync(file);
      return text
        .subarray(Math.min(offsets.get(file), text.length))
        .toString('utf8')
        .split('\n');
    });
  return {
    kind: 'external',
    urls,
    describe: `${urls.length === 1 ? 'the API at' : `${urls.length} API instances:`} ${urls.join(', ')}`,
    inside: false,
    sample: () => ({ ...machineJiffies() }),
    lagSinceLastAsked: async () => null,
    markLagWindow: () => undefined,
    lagWindow: async () => null,
    settledMemory: async () => null,
    logs: () => {
      const lines = newLines();
      return {
        errorLines: lines.filter((line) => ERROR_LINE.test(line)),
        warnLines: lines.filter((line) => WARN_LINE.test(line)),
        checked: logFiles.length > 0,
      };
    },
    exit: () => null,
    stop: async () => undefined,
  };
}

/** Of several instances' lag figures, the worst (highest p99), with each instance's. */
function worstLag(named) {
  const worst = named.reduce((a, b) => (b.lag.p99 > a.lag.p99 ? b : a));
  return { ...worst.lag, instance: worst.name, instances: named.map(({ name, lag }) => ({ name, ...lag })) };
}

/**
 * The cluster's API instances (scripts/cluster/cluster.mjs members started with the probe preloaded):
 * load goes through `url` (nginx); memory, CPU and event-loop lag are each instance's, from /proc and
 * its probe. Memory sums the instances (and lists each: the verdict takes the worst growth); lag is
 * the worst instance's. An instance that exits is reported; the cluster starts it again, but its
 * figures are then lost (its probe is gone), and the verdict says so.
 */
export function clusterInstances({ url, members, logFiles }) {
  const external = externalApi({ urls: [url], logFiles });
  const instances = members.map((member) => ({ name: member.name, child: member.child, probe: probeIn(member.child) }));
  let exit = null;
  for (const { name, child } of instances)
    child.once('exit', (code, signal) => {
      exit ??= { instance: name, code, signal };
    });
  const each = (ask) => Promise.all(instances.map(async ({ name, probe }) => ({ name, ...(await ask(probe)) })));
  return {
    ...external,
    kind: 'cluster',
    inside: true,
    sample: () => {
      const rss = instances.map(({ child }) => rssBytes(child.pid));
      const seconds = instances.map(({ probe }) => probe.lastSecond());
      return {
        rss: rss.reduce((sum, bytes) => sum + bytes, 0),
        instanceRss: rss,
        apiCpu: instances.reduce((sum, { child }) => sum + cpuSeconds(child.pid), 0),
        ...machineJiffies(),
        lagP99: Math.max(...seconds.map((second) => second?.lag.p99 ?? 0)),
        heapUsed: seconds.reduce((sum, second) => sum + (second?.heapUsed ?? 0), 0),
      };
    },
    lagSinceLastAsked: async () => worstLag(await each(async (probe) => ({ lag: await probe.lagSinceLastAsked() }))),
    markLagWindow: () => {
      for (const { probe } of instances) probe.markLagWindow();
    },
    lagWindow: async () => worstLag(await each(async (probe) => ({ lag: await probe.lagWindow() }))),
    settledMemory: async () => {
      const memory = await each((probe) => probe.settledMemory());
      return {
        rss: memory.reduce((sum, { rss }) => sum + rss, 0),
        heapUsed: memory.reduce((sum, { heapUsed }) => sum + heapUsed, 0),
        instances: memory.map(({ name, rss, heapUsed }) => ({ name, rss, heapUsed })),
      };
    },
    exit: () => exit,
  };
}
