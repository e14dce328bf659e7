/**
 * The cluster rehearsed on one machine: nginx (Debian's, run unprivileged with a config generated
 * from nginx.conf.template) in front of several API instances, checkout instances and the console,
 * all in production mode on one PostgreSQL (DATABASE_URL, or an embedded one), with a release-style
 * `db migrate` first. The cluster polls each API's /readyz and marks an instance down in nginx while
 * it is not ready; an instance that dies is started again. `npm run cluster` runs it (cli.mjs);
 * tests/cluster/ drives it through `startCluster`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMailSink } from '../../bench/lib/mail-sink.mjs';
import { freePort } from '../lib/free-port.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url, timeoutMs = 1000) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

async function waitFor(url, timeoutMs, what = url) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(url)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

/**
 * Starts the cluster. Options: databaseUrl (else an embedded PostgreSQL under dataDir), dataDir,
 * ports ({ api, checkout, console }: nginx's public ports; free ones by default), apiInstances (3),
 * checkoutInstances (2), env (more settings for the API instances), apiNodeArgs (more node options for
 * them: the soak preloads its probe), log (a line logger), onOutput (every line the processes print,
 * with their name).
 */
export async function startCluster(options = {}) {
  const dataDir = path.resolve(options.dataDir ?? path.join(root, '.data/cluster'));
  const log = options.log ?? ((line) => console.log(line));
  const onOutput = options.onOutput ?? (() => undefined);
  const ports = {
    api: options.ports?.api ?? (await freePort()),
    checkout: options.ports?.checkout ?? (await freePort()),
    console: options.ports?.console ?? (await freePort()),
  };
  const publicUrls = {
    api: `http://127.0.0.1:${ports.api}`,
    checkout: `http://127.0.0.1:${ports.checkout}`,
    console: `http://127.0.0.1:${ports.console}`,
  };
  mkdirSync(dataDir, { recursive: true });
  const cleanups = [];
  let stopping = false;

  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    const { startEmbeddedPostgres } = await import(path.join(root, 'apps/api/dist/kit/db/embedded-postgres.js'));
    const { createLogger } = await import(path.join(root, 'apps/api/dist/kit/logger.js'));
    const embedded = await startEmbeddedPostgres(
      path.join(dataDir, 'postgres'),
      options.embeddedPostgresPort ?? 54359,
      'kometpay',
      createLogger('warn'),
    );
    databaseUrl = embedded.url;
    cleanups.push(() => embedded.stop());
  }

  // The release step: migrate once, before any instance starts (they refuse to serve otherwise).
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'apps/api/dist/app/cli/main.js'), 'db', 'migrate'], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // 'close', not 'exit': the exit can be seen before the last of the output has been read.
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`db migrate failed (${code}):\n${output}`))));
  });

  const mail = options.env?.SMTP_URL ? null : await startMailSink(path.join(dataDir, 'mail'));
  if (mail) cleanups.push(() => mail.close());
  const secretFile = path.join(dataDir, 'cursor-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64'), { mode: 0o600 });

  const apiEnv = {
    NODE_ENV: 'production',
    // The sandbox: a rehearsal moves no money. Set PAYMENT_PROCESSOR=stripe and its keys in env to use Stripe.
    ALLOW_SANDBOX_IN_PRODUCTION: 'true',
    CURSOR_SECRETS: readFileSync(secretFile, 'utf8').trim(),
    DATABASE_URL: databaseUrl,
    SMTP_URL: mail?.url,
    PUBLIC_API_URL: publicUrls.api,
    CHECKOUT_URL: publicUrls.checkout,
    CONSOLE_URL: publicUrls.console,
    // nginx on this host: believe its X-Forwarded-For, nobody else's.
    TRUST_PROXY: 'loopback',
    DB_POOL_SIZE: '10',
    LOG_LEVEL: 'warn',
    // Every client reaches the API through nginx: the per-address WebSocket limit counts real clients
    // (X-Forwarded-For), which on this machine are all 127.0.0.1.
    WS_MAX_CONNECTIONS_PER_ADDRESS: '2000',
    ...options.env,
  };

  /** One supervised process: started again when it dies unexpectedly (unless told not to). */
  function supervise(name, script, env, health, nodeArgs = []) {
    const member = {
      name,
      port: Number(env.API_PORT ?? env.PORT),
      child: null,
      ready: false,
      /** Set while the cluster itself stops or restarts it. */
      expectingExit: false,
      async start() {
        const child = spawn(process.execPath, [...nodeArgs, '--import', path.join(root, 'scripts/exit-with-parent.mjs'), script], {
          cwd: root,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        });
        member.child = child;
        for (const stream of [child.stdout, child.stderr]) {
          stream.setEncoding('utf8');
          let pending = '';
          stream.on('data', (chunk) => {
            const lines = (pending + chunk).split('\n');
            pending = lines.pop();
            for (const line of lines) onOutput(name, line);
          });
        }
        child.once('exit', (code, signal) => {
          member.ready = false;
          if (stopping || member.expectingExit) return;
          log(`${name} (pid ${child.pid}) ended (${signal ?? `exit ${code}`}); starting it again`);
          void refresh();
          setTimeout(() => void member.start().catch((error) => log(`${name} did not start again: ${error.message}`)), 500);
        });
        await waitFor(`http://127.0.0.1:${member.port}${health}`, 60_000, name);
        member.ready = true;
        return member;
      },
      async stop(signal = 'SIGTERM') {
        const child = member.child;
        if (!child) return;
        member.expectingExit = true;
        member.ready = false;
        child.kill(signal);
        await exited(child);
        member.expectingExit = false;
      },
    };
    return member;
  }

  const apis = [];
  for (let i = 0; i < (options.apiInstances ?? 3); i++) {
    const port = await freePort();
    apis.push(
      supervise(
        `api-${i + 1}`,
        'apps/api/dist/app/main.js',
        { ...apiEnv, API_PORT: String(port), KOMETPAY_DATA_DIR: path.join(dataDir, `api-${i + 1}`) },
        '/readyz',
        options.apiNodeArgs,
      ),
    );
  }
  // The checkout and the console call the API through nginx, as they would across hosts.
  const webEnv = (port, origin) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    ORIGIN: origin,
    KOMETPAY_API_URL: publicUrls.api,
    ADDRESS_HEADER: 'X-Forwarded-For',
    XFF_DEPTH: '1',
  });
  const checkouts = [];
  for (let i = 0; i < (options.checkoutInstances ?? 2); i++) {
    checkouts.push(
      supervise(`checkout-${i + 1}`, 'apps/checkout/build/index.js', webEnv(await freePort(), publicUrls.checkout), '/healthz'),
    );
  }
  const consoles = [supervise('console', 'apps/console/build/index.js', webEnv(await freePort(), publicUrls.console), '/healthz')];

  // nginx, unprivileged: its pid, logs and temp files under dataDir/nginx.
  const prefix = path.join(dataDir, 'nginx');
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(prefix, dir), { recursive: true });
  const template = readFileSync(path.join(root, 'scripts/cluster/nginx.conf.template'), 'utf8');
  const configFile = path.join(prefix, 'nginx.conf');
  /** Instances marked down on purpose (draining before a restart). */
  const drained = new Set();
  // Listed while ready, or while the cluster stops and starts it (drained first, see rollingRestart).
  const inService = (m) => (m.ready || m.expectingExit) && !drained.has(m);
  const servers = (members, extra) =>
    members.map((m) => `    server 127.0.0.1:${m.port} ${extra}${inService(m) ? '' : ' down'};`).join('\n');
  const render = () =>
    template
      .replaceAll('{{PREFIX}}', prefix)
      // Run as root (a container), nginx would switch its workers to `nobody`, who cannot write here.
      .replaceAll('{{USER}}', process.getuid?.() === 0 ? 'user root;' : '')
      .replaceAll('{{API_PORT}}', String(ports.api))
      .replaceAll('{{CHECKOUT_PORT}}', String(ports.checkout))
      .replaceAll('{{CONSOLE_PORT}}', String(ports.console))
      .replaceAll('{{API_SERVERS}}', servers(apis, 'max_fails=1 fail_timeout=2s'))
      .replaceAll('{{CHECKOUT_SERVERS}}', servers(checkouts, 'max_fails=1 fail_timeout=2s'))
      .replaceAll('{{CONSOLE_SERVERS}}', servers(consoles, 'max_fails=1 fail_timeout=2s'));

  let nginx = null;
  let written = '';
  /** Rewrites the config from who is ready, and reloads nginx (SIGHUP: new workers, old ones finish their requests). */
  async function refresh() {
    const config = render();
    if (config === written) return;
    written = config;
    writeFileSync(configFile, config);
    if (nginx && nginx.exitCode === null) nginx.kill('SIGHUP');
  }

  const stopAll = async () => {
    stopping = true;
    clearInterval(poller);
    if (nginx && nginx.exitCode === null) {
      // SIGQUIT: graceful; the workers finish what they serve.
      nginx.kill('SIGQUIT');
      // An unref'd timer: it must not keep the process (a test runner) alive once all is down.
      await Promise.race([exited(nginx), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
    await Promise.all([...apis, ...checkouts, ...consoles].map((member) => member.stop('SIGTERM')));
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  let poller = null;
  try {
    await Promise.all(apis.map((api) => api.start()));
    log(`${apis.length} API instances ready`);
    await Promise.all([...checkouts, ...consoles].map((member) => member.start()));
    log(`${checkouts.length} checkout instances and the console ready`);

    await refresh();
    nginx = spawn(NGINX, ['-p', prefix, '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [nginx.stdout, nginx.stderr]) stream.on('data', (chunk) => onOutput('nginx', String(chunk).trim()));
    await Promise.all([
      waitFor(`${publicUrls.api}/readyz`, 10_000, 'nginx'),
      waitFor(`${publicUrls.checkout}/healthz`, 10_000, 'nginx'),
      waitFor(`${publicUrls.console}/healthz`, 10_000, 'nginx'),
    ]);
  } catch (error) {
    await stopAll();
    throw error;
  }

  // Active health checks, which nginx's open-source edition lacks: each API's /readyz every second.
  let polling = false;
  poller = setInterval(async () => {
    if (polling || stopping) return;
    polling = true;
    try {
      await Promise.all(
        apis.map(async (api) => {
          if (api.expectingExit || !api.child || api.child.exitCode !== null) return;
          const ready = await answers(`http://127.0.0.1:${api.port}/readyz`);
          if (ready !== api.ready) log(`${api.name} ${ready ? 'ready again' : 'not ready: taken out of nginx'}`);
          api.ready = ready;
        }),
      );
      await refresh();
    } finally {
      polling = false;
    }
  }, 1000);

  return {
    urls: publicUrls,
    databaseUrl,
    dataDir,
    apis,
    checkouts,
    consoles,
    nginxPid: () => nginx.pid,
    configFile,
    /** Marks an instance down in nginx (no new requests), reloads, and lets requests in flight finish. */
    async drain(member) {
      drained.add(member);
      await refresh();
      await sleep(500);
    },
    async undrain(member) {
      drained.delete(member);
      await refresh();
    },
    /**
     * Restarts the API instances one at a time: out of nginx (config rewritten, reload: new
     * workers never send it anything, old ones finish what they serve), SIGTERM (the instance
     * finishes its own requests), started again, back in once /readyz answers. No request fails.
     */
    async rollingRestart(members = apis) {
      for (const member of members) {
        drained.add(member);
        await refresh();
        await sleep(1000);
        await member.stop('SIGTERM');
        await member.start();
        drained.delete(member);
        await refresh();
        log(`${member.name} restarted (pid ${member.child.pid})`);
        await sleep(500);
      }
    },
    stop: stopAll,
  };
}
