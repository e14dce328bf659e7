import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger, createOrm, systemClock } from '../../apps/api/src/app/test-kit.js';
import { onboardMerchant, type TestMerchant } from '../support/api.js';
import { card, eventually, TEST_CARDS } from '../support/payments.js';
import { Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { assertNoCardData } from './support/card-scan.js';
import { type ChildApi, startChildApi } from './support/child-api.js';
import { type Cluster, startCluster } from './support/cluster.js';

/** Longer than this without an answer is a hang. */
const HANG_MS = 10_000;
const DOWN_FOR_MS = pick(5_000, 30_000);

let cluster: Cluster;
let api: ChildApi;
let merchant: TestMerchant;
let shop: Shop;
const logs: string[] = [];
let apiExited = false;

beforeAll(async () => {
  cluster = await startCluster();
  await cluster.createDatabase('kometpay');
  api = await startChildApi(
    { DATABASE_URL: cluster.url('kometpay'), API_PORT: '0', PAYMENT_RECOVERY_AFTER_SECONDS: '0', KOMETPAY_DATA_DIR: '.data/test/outage' },
    logs,
  );
  void api.exited.then(() => (apiExited = true));
  const orm = await createOrm(cluster.url('kometpay'), 1, createLogger('error'));
  merchant = await onboardMerchant(orm, systemClock, api.url, 'Outage Flowers');
  await orm.close();
  shop = await Shop.open(merchant, api.url);
}, 60_000);
afterAll(async () => {
  await api?.stop();
  try {
    await assertNoCardData('database outage', { databaseUrl: cluster.url('kometpay'), logs, dataDir: '.data/test/outage' });
  } finally {
    await cluster.destroy();
  }
});

interface Answer {
  kind: string;
  startedAt: number;
  ms: number;
  /** HTTP status, or 0 when no answer came at all. */
  status: number;
  code: string | null;
  ok: boolean;
}

/** One request, timed; a GraphQL error's code, a REST error's code, or NOT_JSON for an unexplained failure. */
async function ask(kind: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const startedAt = Date.now();
  try {
    const response = await fetch(`${api.url}${path}`, {
      method: init.body ? 'POST' : 'GET',
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(HANG_MS),
    });
    const text = await response.text();
    let json: { errors?: { extensions?: { code?: string } }[]; error?: { code?: string } } | undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const code = json ? (json.errors?.[0]?.extensions?.code ?? json.error?.code ?? null) : response.ok ? null : 'NOT_JSON';
    return { kind, startedAt, ms: Date.now() - startedAt, status: response.status, code, ok: response.ok && !json?.errors };
  } catch (error) {
    return { kind, startedAt, ms: Date.now() - startedAt, status: 0, code: (error as Error).name, ok: false };
  }
}

const graphql = (body: object, headers: Record<string, string> = {}) => ({
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});
const bearer = () => ({ authorization: `Bearer ${merchant.apiKey}` });
const READ = { query: '{ invoices(first: 5) { edges { node { id status amountDue { amount } } } } }' };
const read = () => ask('read', '/graphql', graphql(READ, bearer()));

describe('PostgreSQL stopped (pg_ctl stop -m immediate) under load, then started again', () => {
  it(
    'answers 503 or coded errors while it is down, serves again within 30 s, and loses no money',
    async () => {
      let stranded = 0;
      const unpaid: { id: string; token: string }[] = [];
      for (let i = 0; i < pick(60, 200); i++) unpaid.push(await shop.sentInvoice(1_000 + i));
      const answers: Answer[] = [];
      let loading = true;
      // Eight clients: payments on the pay page and by manual entry, the pay page's tokeniser, reads, CSV exports.
      const worker = async (n: number) => {
        for (let i = 0; loading; i++) {
          const invoice = (n + i) % 3 === 0 ? unpaid.pop() : undefined;
          if (invoice && n % 2) {
            const body = {
              query:
                'mutation ($t: String!, $k: String!) { payWithLink(token: $t, paymentMethodToken: "pm_card_visa", idempotencyKey: $k) { status } }',
              variables: { t: invoice.token, k: randomUUID() },
            };
            answers.push(await ask('payWithLink', '/checkout/graphql', graphql(body)));
          } else if (invoice) {
            const body = {
              query: 'mutation ($i: ChargeInvoicesInput!, $k: String!) { chargeInvoices(input: $i, idempotencyKey: $k) { status } }',
              variables: {
                i: { customerId: shop.customerId, invoiceIds: [invoice.id], paymentMethodToken: 'pm_card_visa' },
                k: randomUUID(),
              },
            };
            answers.push(await ask('chargeInvoices', '/graphql', graphql(body, bearer())));
          } else if (i % 5 === 1) {
            answers.push(
              await ask('tokenise', '/sandbox/v1/payment_methods', {
                body: new URLSearchParams(card(TEST_CARDS.visaCredit)).toString(),
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              }),
            );
          } else if (i % 5 === 2) {
            answers.push(await ask('export', '/reports/transactions.csv?status=SUCCEEDED', { headers: bearer() }));
          } else {
            answers.push(await read());
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const load = Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)));

      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const downAt = Date.now();
      await cluster.stopImmediately();
      const readiness: Answer[] = [];
      while (Date.now() - downAt < DOWN_FOR_MS) {
        readiness.push(await ask('readyz', '/readyz'));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const upAt = Date.now();
      await cluster.start();
      const servedAgainAt = await eventually(async () => (await read()).ok && Date.now(), 30_000, 100);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      loading = false;
      await load;

      const during = answers.filter((a) => a.startedAt >= downAt && a.startedAt < upAt);
      const after = answers.filter((a) => a.startedAt >= servedAgainAt);
      const tally = (list: Answer[]) => {
        const counts: Record<string, number> = {};
        for (const a of list) counts[a.ok ? 'ok' : `${a.status} ${a.code}`] = (counts[a.ok ? 'ok' : `${a.status} ${a.code}`] ?? 0) + 1;
        return counts;
      };

      expect(apiExited).toBe(false);
      expect(answers.filter((a) => a.status === 0 || a.ms >= HANG_MS)).toEqual([]);
      expect(answers.filter((a) => a.code === 'INTERNAL_SERVER_ERROR' || a.code === 'NOT_JSON')).toEqual([]);
      expect(during.length).toBeGreaterThan(0);
      expect(during.filter((a) => !a.ok && (a.status !== 503 || a.code !== 'SERVICE_UNAVAILABLE'))).toEqual([]);
      expect(new Set(readiness.map((a) => a.status))).toEqual(new Set([503]));
      expect(servedAgainAt - upAt).toBeLessThan(30_000);
      expect(after.filter((a) => !a.ok)).toEqual([]);

      // Attempts cut off by the outage are resolved by the recovery job, exactly once.
      const db = new pg.Client({ connectionString: cluster.url('kometpay') });
      await db.connect();
      try {
        const pending = async () =>
          (await db.query<{ n: number }>(`select count(*)::int as n from "transaction" where status = 'PENDING'`)).rows[0].n;
        stranded = await pending();
        await db.query(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
        await eventually(async () => (await pending()) === 0, 30_000);
      } finally {
        await db.end();
      }
      await assertInvariant({ databaseUrl: cluster.url('kometpay'), merchants: [merchant] });
      report(
        'database outage',
        `${answers.length} requests from 8 clients; ${during.length} while down for ${DOWN_FOR_MS / 1000} s: ${JSON.stringify(tally(during))}, slowest ${Math.max(...during.map((a) => a.ms))} ms; /readyz ${JSON.stringify(tally(readiness))}; served again ${servedAgainAt - upAt} ms after the database returned; ${stranded} attempts left PENDING, all resolved by recovery; ${after.length} requests after: ${JSON.stringify(tally(after))}; API process alive`,
      );
    },
    pick(120_000, 300_000),
  );
});
