import { randomUUID } from 'node:crypto';
import { ClientError } from 'graphql-request';
import { createLogger, createOrm, type Orm, systemClock } from '../../apps/api/src/app/test-kit.js';
import { onboardMerchant } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/payments.js';
import { outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { assertNoCardData } from './support/card-scan.js';
import { type ChildApi, freePort, startChildApi } from './support/child-api.js';

/** The steps of a payment where the API process is killed (KOMETPAY_CRASH_AT: the payments engine's fault port, wired in crash-faults.ts). */
const CRASH_STEPS = ['after-begin', 'after-processor', 'before-outcome'] as const;
const CHANNELS = ['pay page', 'manual entry'] as const;

let db: TestDatabase;
let orm: Orm;
let env: Record<string, string>;
let shop: Shop;
let running: ChildApi | undefined;
const crashLogs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm(db.url, 2, createLogger('error'));
  env = { DATABASE_URL: db.url, API_PORT: String(await freePort()), KOMETPAY_DATA_DIR: `.data/test/${db.name}` };
  running = await startChildApi(env, crashLogs);
  shop = await Shop.open(await onboardMerchant(orm, systemClock, running.url, 'Crashing Flowers'), running.url);
  await running.stop();
});
afterAll(async () => {
  await running?.stop();
  try {
    await assertNoCardData('kill -9', { databaseUrl: db.url, logs: crashLogs, dataDir: env.KOMETPAY_DATA_DIR });
  } finally {
    await orm.close();
    await db.drop();
  }
});

const sql = <T>(query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(query, params);
const chargesFor = async (transactionId: string) =>
  Number((await sql<{ n: string }>(`select count(*) as n from sandbox_payment where idempotency_key = ?`, [`txn_${transactionId}`]))[0].n);

describe('the API process killed (kill -9) at each step of a payment', () => {
  it(
    'ends every payment exactly once after a restart and the recovery job',
    async () => {
      const rounds = pick(1, 5);
      let payments = 0;
      let takeoverRefusals = 0;
      for (let round = 0; round < rounds; round++) {
        for (const step of CRASH_STEPS) {
          for (const channel of CHANNELS) {
            // Recovery is kept away from the dying process (60 s), and sent in at once after the restart.
            running = await startChildApi({ ...env, KOMETPAY_CRASH_AT: step, PAYMENT_RECOVERY_AFTER_SECONDS: '60' }, crashLogs);
            const invoice = await shop.sentInvoice(5_000 + payments);
            const key = randomUUID();
            const pay = () =>
              channel === 'pay page'
                ? shop.payWithLink(invoice.token, 'pm_card_visa', key)
                : shop.charge([invoice.id], 'pm_card_visa', key);
            const lost = await pay().then(
              () => null,
              (error: unknown) => error,
            );
            expect(lost).not.toBeNull();
            expect(lost).not.toBeInstanceOf(ClientError); // no answer at all: the connection died with the process
            expect(await running.exited).toEqual({ code: null, signal: 'SIGKILL' });

            const [attempt] = await sql<{ id: string; status: string }>(
              `select t.id, t.status from "transaction" t join transaction_allocation a on a.transaction_id = t.id where a.invoice_id = ?`,
              [invoice.id],
            );
            expect(attempt.status).toBe('PENDING');
            expect(await chargesFor(attempt.id)).toBe(step === 'after-begin' ? 0 : 1);

            running = await startChildApi({ ...env, PAYMENT_RECOVERY_AFTER_SECONDS: '0' }, crashLogs);
            await sql(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
            await eventually(async () => (await shop.transaction(attempt.id)).status === 'SUCCEEDED', 15_000);
            if (payments === 0) {
              // The dead request still holds its idempotency key for a minute: a retry meanwhile is told so, and charges nothing.
              expect(await outcome(pay())).toEqual({ ok: false, code: 'IDEMPOTENCY_KEY_IN_USE' });
              takeoverRefusals++;
            }
            expect(await chargesFor(attempt.id)).toBe(1);
            const after = await shop.readInvoice(invoice.id);
            expect(after.status).toBe('PAID');
            expect(after.transactions).toHaveLength(1);
            await running.stop();
            payments++;
          }
        }
      }
      running = await startChildApi(env, crashLogs);
      const figures = await assertInvariant({ databaseUrl: db.url, merchants: [shop.merchant] });
      report(
        'kill -9',
        `${payments} payments killed at ${CRASH_STEPS.join(' / ')} (pay page and manual entry), ${payments} resolved SUCCEEDED once after restart + recovery, ${figures.capturedCharges} processor charges for ${payments} payments, ${takeoverRefusals} retry during the key's takeover window refused IDEMPOTENCY_KEY_IN_USE, 0 double charges`,
      );
    },
    pick(180_000, 900_000),
  );
});
