import 'reflect-metadata';
import { GraphQLClient } from 'graphql-request';
import { loadSettings, type Settings } from '../../apps/api/src/config.js';
import { AdjustableClock, type Clock } from '../../apps/api/src/domain/clock.js';
import { type Orm, createOrm } from '../../apps/api/src/db/orm.js';
import { type RunningApi, startApi } from '../../apps/api/src/http/server.js';
import { createLogger } from '../../apps/api/src/logger.js';
import { AuditService } from '../../apps/api/src/modules/audit/audit.service.js';
import { ApiKeyService } from '../../apps/api/src/modules/merchant/api-key.service.js';
import { MerchantService } from '../../apps/api/src/modules/merchant/merchant.service.js';
import { type TestDatabase, createTestDatabase } from './database.js';

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
  createMerchant(name?: string): Promise<TestMerchant>;
  /** Resolves once no background job is due or running (their queries would otherwise mix into `queries`). */
  jobsIdle(): Promise<void>;
  close(): Promise<void>;
}

let merchantCounter = 0;

/**
 * A merchant with an API key, onboarded through the same services as the operator CLI, straight
 * into the database behind the API at `apiUrl` (in this process or a child one).
 */
export async function onboardMerchant(orm: Orm, clock: Clock, apiUrl: string, name = `Test Merchant ${++merchantCounter}`): Promise<TestMerchant> {
  const em = orm.em.fork();
  const audit = new AuditService(em, { requestId: 'test-onboarding' });
  const supervisorPassword = `supervisor-${merchantCounter}-${Math.random().toString(36).slice(2)}`;
  const merchant = await new MerchantService(em, audit).create({ name, supervisorPassword });
  const { key } = await new ApiKeyService(em, clock, audit).issue(merchant.id, 'test');
  return {
    id: merchant.id,
    name,
    apiKey: key,
    supervisorPassword,
    client: (supervisorToken?: string) =>
      new GraphQLClient(`${apiUrl}/graphql`, {
        headers: { authorization: `Bearer ${key}`, ...(supervisorToken ? { 'x-supervisor-token': supervisorToken } : {}) },
      }),
  };
}

/**
 * The real API (Express + Apollo + MikroORM) on a free port, against a fresh database cloned from
 * the run's migrated template. Tests talk to it over HTTP only; the clock is theirs to move.
 */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const settings = loadSettings({ NODE_ENV: 'test', DATABASE_URL: db.url, SEED_DEMO_DATA: 'false', LOG_LEVEL: 'error', KOMETPAY_DATA_DIR: `.data/test/${db.name}`, ...env });
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
    createMerchant: (name?: string) => onboardMerchant(orm, clock, api.url, name),
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
