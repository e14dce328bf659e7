import 'reflect-metadata';
import { MerchantProcessorAccountDocument } from '@kometpay/schema/merchant';
import { GraphQLClient } from 'graphql-request';
import {
  AdjustableClock,
  ApiKeyService,
  AuditService,
  type Clock,
  createLogger,
  createOrm,
  loadSettings,
  MerchantService,
  type Orm,
  type RunningApi,
  type Settings,
  startApi,
} from '../../apps/api/src/app/test-kit.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { CONNECT_WEBHOOK_SECRET, completeStripeOnboarding } from './stripe/connect.js';

export interface TestMerchant {
  id: string;
  name: string;
  apiKey: string;
  supervisorPassword: string;
  /** A client for the merchant schema with this merchant's key (and a supervisor token if given). */
  client(supervisorToken?: string): GraphQLClient;
}

export interface TestApi {
  url: string;
  api: RunningApi;
  orm: Orm;
  db: TestDatabase;
  clock: AdjustableClock;
  settings: Settings;
  /** Every SQL statement the API's ORM ran, in order (tests reset it with `length = 0`). */
  queries: string[];
  /** Every line the API logged (at LOG_LEVEL, default error). */
  logs: string[];
  checkout: GraphQLClient;
  anonymous: GraphQLClient;
  /**
   * A merchant with an API key. In Stripe mode its connected account is onboarded (the supervisor's
   * link, Stripe's hosted pages, account.updated) unless `onboarded: false`.
   */
  createMerchant(name?: string, options?: { onboarded?: boolean }): Promise<TestMerchant>;
  /** Resolves once no background job is due or running (their queries would otherwise mix into `queries`). */
  jobsIdle(): Promise<void>;
  close(): Promise<void>;
}

let merchantCounter = 0;

/**
 * A merchant with an API key, onboarded through the same services as the operator CLI, straight
 * into the database behind the API at `apiUrl` (in this process or a child one).
 */
export async function onboardMerchant(
  orm: Orm,
  clock: Clock,
  apiUrl: string,
  name = `Test Merchant ${++merchantCounter}`,
): Promise<TestMerchant> {
  const em = orm.em.fork();
  const audit = new AuditService(em, { requestId: 'test-onboarding' });
  const supervisorPassword = `supervisor-${merchantCounter}-${Math.random().toString(36).slice(2)}`;
  const merchant = await new MerchantService(em, audit).create({ name, supervisorPassword });
  const { key } = await new ApiKeyService(em, clock, audit).issue(merchant.id, 'test');
  const onboarded: TestMerchant = {
    id: merchant.id,
    name,
    apiKey: key,
    supervisorPassword,
    client: (supervisorToken?: string) =>
      new GraphQLClient(`${apiUrl}/graphql`, {
        headers: { authorization: `Bearer ${key}`, ...(supervisorToken ? { 'x-supervisor-token': supervisorToken } : {}) },
      }),
  };
  // The API gives a merchant its sandbox account on first sight, as the console's first page does (Stripe mode: onboarding makes it).
  await onboarded.client().request(MerchantProcessorAccountDocument);
  return onboarded;
}

/**
 * The real API (Express + Apollo + MikroORM) on a free port, against a fresh database cloned from
 * the run's migrated template. Tests talk to it over HTTP only; the clock is theirs to move.
 */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const settings = loadSettings({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'error',
    KOMETPAY_DATA_DIR: `.data/test/${db.name}`,
    ...(env.PAYMENT_PROCESSOR === 'stripe' && { STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_WEBHOOK_SECRET }),
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger(settings.logLevel, { write: (line: string) => void logs.push(line) });
  const clock = new AdjustableClock();
  const queries: string[] = [];
  const orm = await createOrm(db.url, 5, logger, (sql) => queries.push(sql));
  const api = await startApi({ settings, databaseUrl: db.url, orm, logger, clock, port: 0 });
  // The port is known only now: the checkout's tokeniser address follows it.
  if (!env.PUBLIC_API_URL) settings.publicApiUrl = api.url;

  return {
    url: api.url,
    api,
    orm,
    db,
    clock,
    settings,
    queries,
    logs,
    checkout: new GraphQLClient(`${api.url}/checkout/graphql`),
    anonymous: new GraphQLClient(`${api.url}/graphql`),
    async createMerchant(name?: string, options: { onboarded?: boolean } = {}) {
      const merchant = await onboardMerchant(orm, clock, api.url, name);
      if (settings.paymentProcessor === 'stripe' && settings.stripeApiBase && options.onboarded !== false) {
        await completeStripeOnboarding({ apiUrl: api.url, stripeApiBase: settings.stripeApiBase, orm, merchant });
      }
      return merchant;
    },
    async jobsIdle() {
      const busy = `select count(*)::int as busy from graphile_worker._private_jobs
        where attempts < max_attempts and (locked_at is not null or run_at <= now())`;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 25))) {
        const [{ busy: count }] = await orm.em.fork().execute<{ busy: number }[]>(busy);
        if (count === 0) return;
      }
      throw new Error('background jobs still due or running after 10 s');
    },
    async close() {
      await api.close();
      await orm.close();
      await db.drop();
    },
  };
}
