import { randomUUID } from 'node:crypto';
import type { StripeMock } from '../../apps/api/src/processors/stripe/__tests__/stripe-mock-server.js';
import type { TestApi } from '../support/api.js';
import { eventually } from '../support/payments.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { Shop, outcome } from './support/shop.js';
import { stripeLedger, startStripeModeApi } from './support/stripe.js';

const TIMEOUT_MS = 300;

let t: TestApi;
let mock: StripeMock;
let shop: Shop;

beforeAll(async () => {
  ({ t, mock } = await startStripeModeApi({ STRIPE_TIMEOUT_MS: String(TIMEOUT_MS), PAYMENT_RECOVERY_AFTER_SECONDS: '0' }));
  shop = await Shop.open(await t.createMerchant('Patient Flowers'), t.url);
});
afterAll(async () => {
  await mock.close();
  await scanAndClose('processor timeout', t);
});

const intentsOf = (transactionId: string) => mock.objectsOf('payment_intent').filter((intent) => intent.metadata.transactionId === transactionId);

describe('Stripe answers after the SDK gave up, though it charged', () => {
  it('recovers the attempt as succeeded, reusing its key: zero double charges', async () => {
    const trials = pick(4, 20);
    const resolvedBy = { 'client retry': 0, 'recovery job': 0 };
    let doubleCharges = 0;
    for (let trial = 0; trial < trials; trial++) {
      const viaLink = trial % 2 === 1;
      const invoice = await shop.invoice(10_000 + trial);
      const key = randomUUID();
      const pay = () => (viaLink ? shop.payWithLink(invoice.token, 'pm_card_visa', key) : shop.charge([invoice.id], 'pm_card_visa', key));

      mock.lateReplyMs = TIMEOUT_MS * 3;
      const timedOut = await outcome(pay());
      mock.lateReplyMs = 0;
      expect(timedOut).toEqual({ ok: false, code: 'PROCESSOR_UNAVAILABLE' });
      const [attempt] = (await shop.readInvoice(invoice.id)).transactions;
      expect(attempt.status).toBe('PENDING');
      // Stripe did charge: the SDK's own retries carried the same key and were answered late too.
      expect(intentsOf(attempt.id).map((intent) => intent.status)).toEqual(['succeeded']);

      if (trial % 4 < 2) {
        resolvedBy['client retry']++;
        const retried = await pay();
        expect(viaLink ? retried.status : retried.id).toBe(viaLink ? 'SUCCEEDED' : attempt.id);
      } else {
        resolvedBy['recovery job']++;
        await t.orm.em.fork().execute(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
        await eventually(async () => (await shop.transaction(attempt.id)).status === 'SUCCEEDED');
        expect((await outcome(pay())).ok).toBe(true);
      }
      const after = await shop.readInvoice(invoice.id);
      expect(after.transactions.map((tx: { id: string; status: string }) => [tx.id, tx.status])).toEqual([[attempt.id, 'SUCCEEDED']]);
      expect(after.status).toBe('PAID');
      const intents = intentsOf(attempt.id);
      if (intents.length !== 1) doubleCharges++;
      expect(intents).toHaveLength(1);
      const keys = new Set(mock.requestsTo('POST', '/v1/payment_intents').filter((request) => request.params.metadata?.transactionId === attempt.id).map((request) => request.idempotencyKey));
      expect(keys).toEqual(new Set([`txn_${attempt.id}`]));
    }
    await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant], ledger: stripeLedger(mock) });
    report('processor timeout', `${trials} charges answered after the ${TIMEOUT_MS} ms SDK timeout, all PROCESSOR_UNAVAILABLE then SUCCEEDED (${JSON.stringify(resolvedBy)}), one key per attempt, ${doubleCharges} double charges`);
  });
});
