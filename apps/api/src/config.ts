import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (apps/api/dist -> ../../..), where `.data/` lives. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export type ProcessorKind = 'sandbox' | 'stripe';

export interface Settings {
  nodeEnv: string;
  production: boolean;
  /** Unset: the embedded PostgreSQL under `dataDir/postgres`. */
  databaseUrl?: string;
  dataDir: string;
  embeddedPostgresPort: number;
  apiPort: number;
  apiHost: string;
  /**
   * How long an idle keep-alive connection stays open. Above a fronting proxy's or client pool's own
   * idle timeout, so that they, not we, close idle sockets: a request written to a socket the server
   * is closing fails as ECONNRESET.
   */
  httpKeepAliveSeconds: number;
  checkoutPort: number;
  checkoutUrl: string;
  /** Where the public API is reachable from the checkout server and from browsers. */
  publicApiUrl: string;
  paymentProcessor: ProcessorKind;
  stripePublishableKey?: string;
  supervisorTokenTtlSeconds: number;
  supervisorMaxFailedAttempts: number;
  supervisorLockoutSeconds: number;
  graphqlMaxDepth: number;
  graphqlMaxCost: number;
  graphqlMaxAliases: number;
  /** Public token lookups that find nothing, per IP and window, before the IP is refused. */
  tokenLookupMaxMisses: number;
  tokenLookupWindowSeconds: number;
  logLevel: string;
  seedDemoData: boolean;
  /** Express `trust proxy`: whose X-Forwarded-For to believe. */
  trustProxy: string;
  dbPoolSize: number;
  paymentLinkTtlDays: number;
  cardSetupLinkTtlDays: number;
  /** Unset: emails are written as .eml files under `<dataDir>/outbox`. */
  smtpUrl?: string;
  mailFrom: string;
  runJobs: boolean;
  stripeSecretKey?: string;
  stripeWebhookSecret?: string;
  /** Where the Stripe SDK sends requests; unset = api.stripe.com (tests and stripe-mock set a local server). */
  stripeApiBase?: string;
  /** Per attempt of a Stripe call; the SDK retries twice with the same idempotency key. */
  stripeTimeoutMs: number;
  /** The sandbox's ACH settles (and the returning account is returned) this long after each step. */
  sandboxAchSettleSeconds: number;
  sandboxLatencyMs: number;
  fees: { cardBasisPoints: number; cardFixed: bigint; achBasisPoints: number; achCap: bigint };
  /**
   * SIGTERM/SIGINT: in-flight HTTP requests get half of this to finish; past all of it the process
   * logs the stage it was stuck in, stops an embedded database it started, and exits 1.
   */
  shutdownTimeoutMs: number;
  /** Attempts left PENDING this long are re-driven by the recovery job. */
  paymentRecoveryAfterSeconds: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Setting ${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** 0 would not mean "none" but "never time out" to Node's HTTP server. */
function atLeastOne(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = int(env, name, fallback);
  if (value < 1) throw new Error(`Setting ${name} must be at least 1, got "${env[name]}"`);
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) throw new Error(`Setting ${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** Every setting, its environment variable and its default. The README lists the same table. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const nodeEnv = env.NODE_ENV || 'development';
  const apiPort = int(env, 'API_PORT', 4000);
  const checkoutPort = int(env, 'CHECKOUT_PORT', 5173);
  return {
    nodeEnv,
    production: nodeEnv === 'production',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.KOMETPAY_DATA_DIR || path.join(repoRoot, '.data')),
    embeddedPostgresPort: int(env, 'EMBEDDED_POSTGRES_PORT', 54329),
    apiPort,
    apiHost: env.API_HOST || '127.0.0.1',
    httpKeepAliveSeconds: atLeastOne(env, 'HTTP_KEEP_ALIVE_SECONDS', 65),
    checkoutPort,
    checkoutUrl: (env.CHECKOUT_URL || `http://localhost:${checkoutPort}`).replace(/\/$/, ''),
    publicApiUrl: (env.PUBLIC_API_URL || `http://localhost:${apiPort}`).replace(/\/$/, ''),
    paymentProcessor: oneOf(env, 'PAYMENT_PROCESSOR', ['sandbox', 'stripe'] as const, 'sandbox'),
    stripePublishableKey: env.STRIPE_PUBLISHABLE_KEY || undefined,
    supervisorTokenTtlSeconds: int(env, 'SUPERVISOR_TOKEN_TTL_SECONDS', 600),
    supervisorMaxFailedAttempts: int(env, 'SUPERVISOR_MAX_FAILED_ATTEMPTS', 5),
    supervisorLockoutSeconds: int(env, 'SUPERVISOR_LOCKOUT_SECONDS', 900),
    graphqlMaxDepth: int(env, 'GRAPHQL_MAX_DEPTH', 10),
    graphqlMaxCost: int(env, 'GRAPHQL_MAX_COST', 25000),
    graphqlMaxAliases: int(env, 'GRAPHQL_MAX_ALIASES', 30),
    tokenLookupMaxMisses: int(env, 'TOKEN_LOOKUP_MAX_MISSES', 30),
    tokenLookupWindowSeconds: int(env, 'TOKEN_LOOKUP_WINDOW_SECONDS', 600),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    seedDemoData: (env.SEED_DEMO_DATA ?? (nodeEnv === 'production' ? 'false' : 'true')) === 'true',
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20),
    trustProxy: env.TRUST_PROXY || 'loopback',
    paymentLinkTtlDays: int(env, 'PAYMENT_LINK_TTL_DAYS', 30),
    cardSetupLinkTtlDays: int(env, 'CARD_SETUP_LINK_TTL_DAYS', 7),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'KometPay <billing@kometpay.local>',
    runJobs: (env.RUN_JOBS ?? 'true') === 'true',
    stripeSecretKey: env.STRIPE_SECRET_KEY || undefined,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET || undefined,
    stripeApiBase: env.STRIPE_API_BASE || undefined,
    stripeTimeoutMs: int(env, 'STRIPE_TIMEOUT_MS', 20_000),
    sandboxAchSettleSeconds: int(env, 'SANDBOX_ACH_SETTLE_SECONDS', 30),
    sandboxLatencyMs: int(env, 'SANDBOX_LATENCY_MS', 0),
    fees: {
      cardBasisPoints: int(env, 'FEE_CARD_BASIS_POINTS', 290),
      cardFixed: BigInt(int(env, 'FEE_CARD_FIXED', 30)),
      achBasisPoints: int(env, 'FEE_ACH_BASIS_POINTS', 80),
      achCap: BigInt(int(env, 'FEE_ACH_CAP', 500)),
    },
    paymentRecoveryAfterSeconds: int(env, 'PAYMENT_RECOVERY_AFTER_SECONDS', 60),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 15_000),
  };
}
