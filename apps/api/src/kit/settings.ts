import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root (apps/api/dist/kit -> ../../../..), where `.data/` lives. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

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
  /** How long a client may take to send a request's headers, from its first byte (slow-header attacks). */
  httpHeadersTimeoutSeconds: number;
  /** How long a client may take to send a whole request, headers and body (slow-body attacks). */
  httpRequestTimeoutSeconds: number;
  /** The largest WebSocket message either graphql-ws endpoint reads; a larger one closes the connection (1009). */
  wsMaxMessageBytes: number;
  /** Open WebSocket connections per client address (an IPv6 /64 counts as one address), per API instance. */
  wsMaxConnectionsPerAddress: number;
  /** Operations running at once on one WebSocket connection. */
  wsMaxSubscriptionsPerConnection: number;
  checkoutPort: number;
  checkoutUrl: string;
  /** Where the public API is reachable from the checkout server and from browsers. */
  publicApiUrl: string;
  paymentProcessor: ProcessorKind;
  /** NODE_ENV=production refuses to start on the sandbox (no money moves) unless this says it is meant. */
  allowSandboxInProduction: boolean;
  /**
   * Secrets that sign the partners' event cursors: the first signs, any verifies, so a new secret is
   * put first and the old one kept until the cursors it signed no longer matter. Required in
   * production; elsewhere, empty here and generated once under `dataDir` (see cursor-secrets.ts).
   */
  cursorSecrets: string[];
  stripePublishableKey?: string;
  supervisorTokenTtlSeconds: number;
  /** Wrong supervisor passwords per credential (API key, or staff member) and lockout window. */
  supervisorMaxFailedAttempts: number;
  supervisorLockoutSeconds: number;
  /** ...per client address (within one merchant), and per merchant across all its credentials. */
  supervisorMaxFailedPerAddress: number;
  supervisorMaxFailedPerMerchant: number;
  /** Wrong staff sign-ins per email and per client address, within the window. */
  signInMaxFailedPerEmail: number;
  signInMaxFailedPerAddress: number;
  signInWindowSeconds: number;
  /** A console session ends after this long without a request, and in any case this long after sign-in. */
  staffSessionIdleMinutes: number;
  staffSessionMaxHours: number;
  staffInvitationTtlHours: number;
  /** The merchant console, where invitation links point (`/invitations/<token>`). */
  consoleUrl: string;
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
  /** The signing secret of the Connect webhook endpoint (events of the merchants' connected accounts). */
  stripeConnectWebhookSecret?: string;
  /** Where the Stripe SDK sends requests; unset = api.stripe.com (tests and stripe-mock set a local server). */
  stripeApiBase?: string;
  /** Per attempt of a Stripe call; the SDK retries twice with the same idempotency key. */
  stripeTimeoutMs: number;
  /** The sandbox's ACH settles (and the returning account is returned) this long after each step. */
  sandboxAchSettleSeconds: number;
  sandboxLatencyMs: number;
  /** New merchants' sandbox accounts wait for the sandbox onboarding page instead of being ACTIVE at once (onboarding tests). */
  sandboxAccountsStartPending: boolean;
  /** How long a ready processor account is trusted from this process's memory before it is read again. */
  processorAccountCacheSeconds: number;
  fees: { cardBasisPoints: number; cardFixed: bigint; achBasisPoints: number; achCap: bigint };
  /**
   * SIGTERM/SIGINT: in-flight HTTP requests get half of this to finish; past all of it the process
   * logs the stage it was stuck in, stops an embedded database it started, and exits 1.
   */
  shutdownTimeoutMs: number;
  /** Attempts left PENDING this long are re-driven by the recovery job. */
  paymentRecoveryAfterSeconds: number;
  /** A payment waiting this long for its customer's action (3-D Secure, micro-deposits) is canceled at the processor. */
  abandonedActionAfterSeconds: number;
  /** Tests only (NODE_ENV=test): the step of a payment at which the process kills itself (crash tests). */
  crashAt?: string;
  /** The settings production requires that were not given (assertServable refuses to start on any). */
  missingInProduction: string[];
  /** Production answers /metrics only with this bearer token; unset there, /metrics is off. */
  metricsToken?: string;
  /** OTLP over HTTP; unset, no tracing. */
  otelEndpoint?: string;
  otelServiceName: string;
  idempotencyKeyRetentionHours: number;
  processedWebhookRetentionDays: number;
  /** Delivered outbox events older than this are pruned; partner cursors older than it are refused. */
  outboxRetentionDays: number;
}

/**
 * One environment variable: its type (a zod schema over the raw string), its default, what it is
 * for, and whether production refuses to start without it. docs/operations.md's settings table is
 * generated from these (`node scripts/settings-table.mjs`) and a test keeps the two equal.
 */
export interface SettingSpec {
  schema: z.ZodType;
  /** Applied when the variable is unset or empty; absent: the setting is optional (or derived, see `defaultText`). */
  default?: string;
  /** How the docs show a default computed from other settings. */
  defaultText?: string;
  requiredInProduction?: boolean;
  doc: string;
}

/** A whole number, as digits only: "1e3", "10.0", " 5" and "-1" are refused, not read as something else. */
const integer = (min = 0) =>
  z
    .string()
    .regex(/^\d+$/, `a whole number of ${min} or more`)
    .transform(Number)
    .pipe(z.number().int().min(min, `at least ${min}`));
/** Exactly "true" or "false": RUN_JOBS=1 or =yes is refused rather than silently read as false. */
const boolean = z.enum(['true', 'false'], 'true or false').transform((value) => value === 'true');
const text = z.string();
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, `one of ${values.join(', ')}`);
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).transform((url) => url.replace(/\/$/, ''));
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// URL' });
const smtpUrl = z.url({ protocol: /^smtps?$/, error: 'an smtp:// or smtps:// URL' });
const csv = z.string().transform((raw) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** Every setting, its environment variable and its default. */
export const settingSpecs = {
  NODE_ENV: {
    schema: oneOf(['development', 'test', 'production'] as const),
    default: 'development',
    doc: '`production` turns off GraphiQL, introspection and schema hints, requires the settings marked required, and never migrates at start.',
  },
  DATABASE_URL: {
    schema: postgresUrl,
    requiredInProduction: true,
    doc: 'PostgreSQL. Unset outside production: an embedded PostgreSQL under `KOMETPAY_DATA_DIR/postgres`.',
  },
  KOMETPAY_DATA_DIR: {
    schema: text,
    defaultText: '`.data` in the repository',
    doc: 'The embedded PostgreSQL, the development email folder and the generated cursor secret.',
  },
  EMBEDDED_POSTGRES_PORT: { schema: integer(1), default: '54329', doc: "The embedded PostgreSQL's port." },
  DB_POOL_SIZE: { schema: integer(1), default: '20', doc: "Connections in each API instance's pool." },
  API_PORT: { schema: integer(), default: '4000', doc: 'The API listens here.' },
  API_HOST: { schema: text, default: '127.0.0.1', doc: 'The address the API binds (`0.0.0.0` behind a load balancer on another host).' },
  PUBLIC_API_URL: {
    schema: httpUrl,
    defaultText: '`http://localhost:API_PORT`',
    requiredInProduction: true,
    doc: 'Where browsers and the checkout server reach the API.',
  },
  CHECKOUT_PORT: { schema: integer(), default: '5173', doc: 'The hosted checkout listens here.' },
  CHECKOUT_URL: {
    schema: httpUrl,
    defaultText: '`http://localhost:CHECKOUT_PORT`',
    requiredInProduction: true,
    doc: 'The public address of the hosted checkout (payment links point there; CORS allows it).',
  },
  CONSOLE_URL: {
    schema: httpUrl,
    default: 'http://localhost:5174',
    requiredInProduction: true,
    doc: 'The public address of the merchant console (invitation links; CORS allows it).',
  },
  TRUST_PROXY: {
    schema: text,
    default: 'loopback',
    doc: "Express `trust proxy`: which hops' `X-Forwarded-For` to believe (see Behind a proxy).",
  },
  HTTP_KEEP_ALIVE_SECONDS: {
    schema: integer(1),
    default: '65',
    doc: "Idle keep-alive connections stay open this long: above the load balancer's own idle timeout.",
  },
  HTTP_HEADERS_TIMEOUT_SECONDS: {
    schema: integer(1),
    default: '20',
    doc: "A request's headers must arrive within this (slow-header attacks).",
  },
  HTTP_REQUEST_TIMEOUT_SECONDS: { schema: integer(1), default: '30', doc: 'A whole request must arrive within this.' },
  WS_MAX_MESSAGE_BYTES: {
    schema: integer(1),
    default: '65536',
    doc: 'The largest WebSocket message read; larger closes the connection (1009).',
  },
  WS_MAX_CONNECTIONS_PER_ADDRESS: { schema: integer(1), default: '100', doc: 'Open WebSockets per client address, per instance.' },
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: { schema: integer(1), default: '100', doc: 'Operations at once on one WebSocket.' },
  PAYMENT_PROCESSOR: {
    schema: oneOf(['sandbox', 'stripe'] as const),
    default: 'sandbox',
    doc: '`stripe` in production; the sandbox moves no money.',
  },
  ALLOW_SANDBOX_IN_PRODUCTION: { schema: boolean, default: 'false', doc: 'Lets production run the sandbox (a demo, a load test).' },
  STRIPE_SECRET_KEY: { schema: text, doc: 'Required in production with `PAYMENT_PROCESSOR=stripe`.' },
  STRIPE_WEBHOOK_SECRET: {
    schema: text,
    doc: 'Verifies Stripe webhook signatures; required in production with `PAYMENT_PROCESSOR=stripe`.',
  },
  STRIPE_CONNECT_WEBHOOK_SECRET: {
    schema: text,
    doc: "Verifies the Connect endpoint's events (connected accounts'); required in production with `PAYMENT_PROCESSOR=stripe`.",
  },
  STRIPE_PUBLISHABLE_KEY: { schema: text, doc: "The checkout's Stripe.js key; required in production with `PAYMENT_PROCESSOR=stripe`." },
  STRIPE_API_BASE: { schema: httpUrl, doc: 'Where the Stripe SDK sends requests; unset: api.stripe.com (tests set a local server).' },
  STRIPE_TIMEOUT_MS: {
    schema: integer(1),
    default: '20000',
    doc: 'Per attempt of a Stripe call (the SDK retries twice with the same idempotency key).',
  },
  CURSOR_SECRETS: {
    schema: csv,
    requiredInProduction: true,
    doc: 'Comma-separated secrets (32+ characters) signing partner event cursors; the first signs, any verifies.',
  },
  SMTP_URL: {
    schema: smtpUrl,
    requiredInProduction: true,
    doc: 'Outgoing email. Unset outside production: `.eml` files under `KOMETPAY_DATA_DIR/outbox`.',
  },
  MAIL_FROM: { schema: text, default: 'KometPay <billing@kometpay.local>', doc: 'The sender of invoices and receipts.' },
  RUN_JOBS: { schema: boolean, default: 'true', doc: 'Runs the background job worker in this instance (every instance may).' },
  LOG_LEVEL: {
    schema: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    defaultText: '`info` (`warn` in tests)',
    doc: 'pino level; access logs are at `info`.',
  },
  SEED_DEMO_DATA: { schema: boolean, defaultText: '`true` (`false` in production)', doc: 'Creates the demo merchant at start.' },
  METRICS_TOKEN: {
    schema: z.string().min(32, 'at least 32 characters'),
    doc: 'Production answers `/metrics` only with `Authorization: Bearer <token>` (unset: `/metrics` is off); open elsewhere.',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: { schema: httpUrl, doc: 'Sends OpenTelemetry traces (OTLP over HTTP) there; unset: no tracing.' },
  OTEL_SERVICE_NAME: { schema: text, default: 'kometpay-api', doc: 'The service name on the traces.' },
  IDEMPOTENCY_KEY_RETENTION_HOURS: {
    schema: integer(1),
    default: '24',
    doc: 'Idempotency keys are replayed this long, then pruned by the daily retention job.',
  },
  PROCESSED_WEBHOOK_RETENTION_DAYS: { schema: integer(1), default: '30', doc: 'Processed processor webhook events are kept this long.' },
  OUTBOX_RETENTION_DAYS: {
    schema: integer(7),
    default: '90',
    doc: 'Delivered outbox events are kept this long (at least 7): the window a partner may resume in; an older cursor answers `CURSOR_EXPIRED`.',
  },
  GRAPHQL_MAX_DEPTH: { schema: integer(), default: '10', doc: 'Deepest query accepted.' },
  GRAPHQL_MAX_COST: { schema: integer(), default: '25000', doc: 'Costliest query accepted.' },
  GRAPHQL_MAX_ALIASES: { schema: integer(), default: '30', doc: 'Most aliases in one query.' },
  TOKEN_LOOKUP_MAX_MISSES: {
    schema: integer(),
    default: '30',
    doc: 'Public token lookups that find nothing, per address and window, before the address is refused.',
  },
  TOKEN_LOOKUP_WINDOW_SECONDS: { schema: integer(), default: '600', doc: 'The window of `TOKEN_LOOKUP_MAX_MISSES`.' },
  SUPERVISOR_TOKEN_TTL_SECONDS: { schema: integer(), default: '600', doc: 'How long a supervisor elevation lasts.' },
  SUPERVISOR_MAX_FAILED_ATTEMPTS: { schema: integer(), default: '5', doc: 'Wrong supervisor passwords per credential before a lockout.' },
  SUPERVISOR_LOCKOUT_SECONDS: { schema: integer(1), default: '900', doc: 'The supervisor lockout window.' },
  SUPERVISOR_MAX_FAILED_PER_ADDRESS: {
    schema: integer(),
    default: '10',
    doc: 'Wrong supervisor passwords per client address within a merchant.',
  },
  SUPERVISOR_MAX_FAILED_PER_MERCHANT: {
    schema: integer(),
    default: '50',
    doc: 'Wrong supervisor passwords per merchant, across credentials.',
  },
  SIGN_IN_MAX_FAILED_PER_EMAIL: { schema: integer(), default: '5', doc: 'Wrong staff sign-ins per email within the window.' },
  SIGN_IN_MAX_FAILED_PER_ADDRESS: { schema: integer(), default: '20', doc: 'Wrong staff sign-ins per client address within the window.' },
  SIGN_IN_WINDOW_SECONDS: { schema: integer(1), default: '900', doc: 'The staff sign-in limits window.' },
  STAFF_SESSION_IDLE_MINUTES: { schema: integer(1), default: '60', doc: 'A console session ends after this long without a request.' },
  STAFF_SESSION_MAX_HOURS: { schema: integer(1), default: '12', doc: '...and in any case this long after sign-in.' },
  STAFF_INVITATION_TTL_HOURS: { schema: integer(1), default: '72', doc: 'Staff invitation links expire after this.' },
  PAYMENT_LINK_TTL_DAYS: { schema: integer(), default: '30', doc: 'Payment links expire after this.' },
  CARD_SETUP_LINK_TTL_DAYS: { schema: integer(), default: '7', doc: 'Card set-up links expire after this.' },
  SANDBOX_ACH_SETTLE_SECONDS: { schema: integer(), default: '30', doc: "The sandbox's ACH settles this long after each step." },
  SANDBOX_LATENCY_MS: { schema: integer(), default: '0', doc: "The sandbox's simulated processor latency." },
  SANDBOX_ACCOUNTS_START_PENDING: {
    schema: boolean,
    default: 'false',
    doc: "New merchants' sandbox accounts wait for the sandbox onboarding page instead of taking charges at once.",
  },
  PROCESSOR_ACCOUNT_CACHE_SECONDS: {
    schema: integer(),
    default: '30',
    doc: "How long an instance trusts what it last read of a merchant's processor account before a charge.",
  },
  FEE_CARD_BASIS_POINTS: { schema: integer(), default: '290', doc: 'Card fee, in basis points.' },
  FEE_CARD_FIXED: { schema: integer(), default: '30', doc: 'Card fee, fixed part in minor units.' },
  FEE_ACH_BASIS_POINTS: { schema: integer(), default: '80', doc: 'ACH fee, in basis points.' },
  FEE_ACH_CAP: { schema: integer(), default: '500', doc: 'ACH fee cap, in minor units.' },
  PAYMENT_RECOVERY_AFTER_SECONDS: {
    schema: integer(),
    default: '60',
    doc: 'Attempts left pending this long are re-driven by the recovery job.',
  },
  ABANDONED_ACTION_AFTER_SECONDS: {
    schema: integer(1),
    default: '3600',
    doc: "A payment waiting this long for its customer's action is canceled.",
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: integer(),
    default: '15000',
    doc: 'SIGTERM: in-flight requests get half of this; past all of it the process exits 1.',
  },
  KOMETPAY_CRASH_AT: { schema: text, doc: 'Tests only (`NODE_ENV=test`): the payment step at which the process kills itself.' },
} satisfies Record<string, SettingSpec>;

type SettingName = keyof typeof settingSpecs;
type Parsed = { [K in SettingName]: z.output<(typeof settingSpecs)[K]['schema']> | undefined };

/**
 * Reads and checks every setting at once: one error lists each malformed variable with what it must
 * be. Production's missing-but-required settings are checked by `assertServable`, also all at once.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const specs = Object.entries(settingSpecs) as [SettingName, SettingSpec][];
  // Unset and empty both mean the default (a shell's `FOO=` is "no value", not an empty string).
  const raw = Object.fromEntries(
    specs.map(([name, spec]) => [name, env[name] === undefined || env[name] === '' ? spec.default : env[name]]),
  );
  const schema = z.object(Object.fromEntries(specs.map(([name, spec]) => [name, spec.schema.optional()])));
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${String(issue.path[0])}: must be ${issue.message}, got "${env[String(issue.path[0])]}"`,
    );
    throw new Error(`Invalid settings:\n- ${problems.join('\n- ')}`);
  }
  const s = result.data as Parsed;
  const given = (name: SettingName) => env[name] !== undefined && env[name] !== '';
  const nodeEnv = s.NODE_ENV!;
  const production = nodeEnv === 'production';
  const missingInProduction = (Object.entries(settingSpecs) as [SettingName, SettingSpec][])
    .filter(([name, spec]) => spec.requiredInProduction && !given(name))
    .map(([name]) => name);
  if (s.PAYMENT_PROCESSOR === 'stripe') {
    missingInProduction.push(
      ...(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_CONNECT_WEBHOOK_SECRET', 'STRIPE_PUBLISHABLE_KEY'] as const).filter(
        (name) => !given(name),
      ),
    );
  }
  return {
    nodeEnv,
    production,
    missingInProduction,
    databaseUrl: s.DATABASE_URL,
    dataDir: path.resolve(s.KOMETPAY_DATA_DIR ?? path.join(repoRoot, '.data')),
    embeddedPostgresPort: s.EMBEDDED_POSTGRES_PORT!,
    apiPort: s.API_PORT!,
    apiHost: s.API_HOST!,
    httpKeepAliveSeconds: s.HTTP_KEEP_ALIVE_SECONDS!,
    httpHeadersTimeoutSeconds: s.HTTP_HEADERS_TIMEOUT_SECONDS!,
    httpRequestTimeoutSeconds: s.HTTP_REQUEST_TIMEOUT_SECONDS!,
    wsMaxMessageBytes: s.WS_MAX_MESSAGE_BYTES!,
    wsMaxConnectionsPerAddress: s.WS_MAX_CONNECTIONS_PER_ADDRESS!,
    wsMaxSubscriptionsPerConnection: s.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION!,
    checkoutPort: s.CHECKOUT_PORT!,
    checkoutUrl: s.CHECKOUT_URL ?? `http://localhost:${s.CHECKOUT_PORT}`,
    publicApiUrl: s.PUBLIC_API_URL ?? `http://localhost:${s.API_PORT}`,
    paymentProcessor: s.PAYMENT_PROCESSOR!,
    allowSandboxInProduction: s.ALLOW_SANDBOX_IN_PRODUCTION!,
    cursorSecrets: s.CURSOR_SECRETS ?? [],
    stripePublishableKey: s.STRIPE_PUBLISHABLE_KEY,
    supervisorTokenTtlSeconds: s.SUPERVISOR_TOKEN_TTL_SECONDS!,
    supervisorMaxFailedAttempts: s.SUPERVISOR_MAX_FAILED_ATTEMPTS!,
    supervisorLockoutSeconds: s.SUPERVISOR_LOCKOUT_SECONDS!,
    supervisorMaxFailedPerAddress: s.SUPERVISOR_MAX_FAILED_PER_ADDRESS!,
    supervisorMaxFailedPerMerchant: s.SUPERVISOR_MAX_FAILED_PER_MERCHANT!,
    signInMaxFailedPerEmail: s.SIGN_IN_MAX_FAILED_PER_EMAIL!,
    signInMaxFailedPerAddress: s.SIGN_IN_MAX_FAILED_PER_ADDRESS!,
    signInWindowSeconds: s.SIGN_IN_WINDOW_SECONDS!,
    staffSessionIdleMinutes: s.STAFF_SESSION_IDLE_MINUTES!,
    staffSessionMaxHours: s.STAFF_SESSION_MAX_HOURS!,
    staffInvitationTtlHours: s.STAFF_INVITATION_TTL_HOURS!,
    consoleUrl: s.CONSOLE_URL!,
    graphqlMaxDepth: s.GRAPHQL_MAX_DEPTH!,
    graphqlMaxCost: s.GRAPHQL_MAX_COST!,
    graphqlMaxAliases: s.GRAPHQL_MAX_ALIASES!,
    tokenLookupMaxMisses: s.TOKEN_LOOKUP_MAX_MISSES!,
    tokenLookupWindowSeconds: s.TOKEN_LOOKUP_WINDOW_SECONDS!,
    logLevel: s.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'info'),
    seedDemoData: s.SEED_DEMO_DATA ?? !production,
    dbPoolSize: s.DB_POOL_SIZE!,
    trustProxy: s.TRUST_PROXY!,
    paymentLinkTtlDays: s.PAYMENT_LINK_TTL_DAYS!,
    cardSetupLinkTtlDays: s.CARD_SETUP_LINK_TTL_DAYS!,
    smtpUrl: s.SMTP_URL,
    mailFrom: s.MAIL_FROM!,
    runJobs: s.RUN_JOBS!,
    stripeSecretKey: s.STRIPE_SECRET_KEY,
    stripeWebhookSecret: s.STRIPE_WEBHOOK_SECRET,
    stripeConnectWebhookSecret: s.STRIPE_CONNECT_WEBHOOK_SECRET,
    stripeApiBase: s.STRIPE_API_BASE,
    stripeTimeoutMs: s.STRIPE_TIMEOUT_MS!,
    sandboxAchSettleSeconds: s.SANDBOX_ACH_SETTLE_SECONDS!,
    sandboxLatencyMs: s.SANDBOX_LATENCY_MS!,
    sandboxAccountsStartPending: s.SANDBOX_ACCOUNTS_START_PENDING!,
    processorAccountCacheSeconds: s.PROCESSOR_ACCOUNT_CACHE_SECONDS!,
    fees: {
      cardBasisPoints: s.FEE_CARD_BASIS_POINTS!,
      cardFixed: BigInt(s.FEE_CARD_FIXED!),
      achBasisPoints: s.FEE_ACH_BASIS_POINTS!,
      achCap: BigInt(s.FEE_ACH_CAP!),
    },
    paymentRecoveryAfterSeconds: s.PAYMENT_RECOVERY_AFTER_SECONDS!,
    abandonedActionAfterSeconds: s.ABANDONED_ACTION_AFTER_SECONDS!,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS!,
    metricsToken: s.METRICS_TOKEN,
    otelEndpoint: s.OTEL_EXPORTER_OTLP_ENDPOINT,
    otelServiceName: s.OTEL_SERVICE_NAME!,
    idempotencyKeyRetentionHours: s.IDEMPOTENCY_KEY_RETENTION_HOURS!,
    processedWebhookRetentionDays: s.PROCESSED_WEBHOOK_RETENTION_DAYS!,
    outboxRetentionDays: s.OUTBOX_RETENTION_DAYS!,
    crashAt: nodeEnv === 'test' ? s.KOMETPAY_CRASH_AT : undefined,
  };
}

/** docs/operations.md's settings table, as Markdown rows (a test compares it with the docs). */
export function settingsTable(): string {
  const rows = (Object.entries(settingSpecs) as [string, SettingSpec][]).map(([name, spec]) => {
    const fallback = spec.defaultText ?? (spec.default === undefined ? '(unset)' : `\`${spec.default}\``);
    return `| \`${name}\` | ${fallback} | ${spec.requiredInProduction ? 'yes' : ''} | ${spec.doc.replaceAll('|', '\\|')} |`;
  });
  return ['| Variable | Default | Required in production | What it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The shortest cursor secret accepted: 32 characters (e.g. `openssl rand -base64 32` gives 44). */
export const MIN_CURSOR_SECRET_LENGTH = 32;

/**
 * What the API refuses to serve with, checked before it starts: settings that are each valid alone
 * but unsafe together, or unsafe in production. One message names every problem and its fix.
 */
export function assertServable(settings: Settings): void {
  const problems: string[] = [];
  if (settings.httpHeadersTimeoutSeconds > settings.httpRequestTimeoutSeconds) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_SECONDS (${settings.httpHeadersTimeoutSeconds}) must not exceed HTTP_REQUEST_TIMEOUT_SECONDS (${settings.httpRequestTimeoutSeconds}): the request timeout covers the headers too`,
    );
  }
  const short = settings.cursorSecrets.filter((secret) => secret.length < MIN_CURSOR_SECRET_LENGTH).length;
  if (short)
    problems.push(
      `CURSOR_SECRETS: ${short} secret(s) shorter than ${MIN_CURSOR_SECRET_LENGTH} characters; generate one with \`openssl rand -base64 32\``,
    );
  if (settings.production) {
    if (settings.paymentProcessor === 'sandbox' && !settings.allowSandboxInProduction) {
      problems.push(
        'NODE_ENV=production with the sandbox processor: payments would "succeed" with no money moving. Set PAYMENT_PROCESSOR=stripe (with STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_CONNECT_WEBHOOK_SECRET), or ALLOW_SANDBOX_IN_PRODUCTION=true for a demo or a load test',
      );
    }
    if (!settings.cursorSecrets.length && !settings.missingInProduction.includes('CURSOR_SECRETS')) {
      problems.push(
        'NODE_ENV=production needs CURSOR_SECRETS (a comma-separated list; the first signs partner event cursors): generate one with `openssl rand -base64 32`',
      );
    }
  }
  // Last, so that the sandbox and secret problems above keep leading the message.
  if (settings.production) {
    if (settings.missingInProduction.length) {
      problems.push(
        `NODE_ENV=production needs every one of these settings, which are unset (no embedded PostgreSQL, no email folder, no localhost addresses in production): ${settings.missingInProduction.join(', ')}`,
      );
    }
  }
  if (problems.length) throw new Error(`The API cannot start:\n- ${problems.join('\n- ')}`);
}
