import { randomUUID } from 'node:crypto';
import { TransactionSettlementDocument } from '@kometpay/schema/merchant';
import type { TestApi } from '../support/api.js';
import { eventually } from '../support/payments.js';
import { outcome, Shop } from '../support/shop.js';
import type { StripeMock } from '../support/stripe/stripe-mock-server.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { deliver, startStripeModeApi, stripeEvent, stripeLedger } from './support/stripe.js';

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

const intentsOf = (transactionId: string) =>
  mock.objectsOf('payment_intent').filter((intent) => intent.metadata.transactionId === transactionId);

describe('Stripe answers after the SDK gave up, though it charged', () => {
  it('recovers the attempt as succeeded, reusing its key: zero double charges', async () => {
    const trials = pick(4, 20);
    const resolvedBy = { 'client retry': 0, 'recovery job': 0 };
    let doubleCharges = 0;
    for (let trial = 0; trial < trials; trial++) {
      const viaLink = trial % 2 === 1;
      const invoice = await shop.sentInvoice(10_000 + trial);
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
        expect('id' in retried ? retried.id : retried.status).toBe(viaLink ? 'SUCCEEDED' : attempt.id);
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
      const keys = new Set(
        mock
          .requestsTo('POST', '/v1/payment_intents')
          .filter((request) => request.params.metadata?.transactionId === attempt.id)
          .map((request) => request.idempotencyKey),
      );
      expect(keys).toEqual(new Set([`txn_${attempt.id}`]));
    }
    await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant], ledger: stripeLedger(mock) });
    report(
      'processor timeout',
      `${trials} charges answered after the ${TIMEOUT_MS} ms SDK timeout, all PROCESSOR_UNAVAILABLE then SUCCEEDED (${JSON.stringify(resolvedBy)}), one key per attempt, ${doubleCharges} double charges`,
    );
  });
});

describe('a payout applied while a timed-out charge was still PENDING on our side', () => {
  it('settles the charge by that payout once its late success is recorded, once', async () => {
    // Its own API: with recovery after an hour, the charge stays PENDING until its webhook comes.
    const late = await startStripeModeApi({ STRIPE_TIMEOUT_MS: String(TIMEOUT_MS), PAYMENT_RECOVERY_AFTER_SECONDS: '3600' });
    try {
      const lateShop = await Shop.open(await late.t.createMerchant('Late Lilies'), late.t.url);
      const invoice = await lateShop.sentInvoice(25_000);
      late.mock.lateReplyMs = TIMEOUT_MS * 3;
      expect(await outcome(lateShop.charge([invoice.id], 'pm_card_visa'))).toEqual({ ok: false, code: 'PROCESSOR_UNAVAILABLE' });
      late.mock.lateReplyMs = 0;
      const [attempt] = (await lateShop.readInvoice(invoice.id)).transactions;
      const [intent] = late.mock.objectsOf('payment_intent').filter((candidate) => candidate.metadata.transactionId === attempt.id);
      const settlementOf = async () => (await lateShop.client.request(TransactionSettlementDocument, { id: attempt.id })).transaction!;
      const payoutRow = async (reference: string) =>
        (
          await late.t.orm.em
            .fork()
            .execute<{ status: string; settled_count: number; unmatched_entries: unknown[] }[]>(
              `select status, settled_count, unmatched_entries from processor_payout where reference = ?`,
              [reference],
            )
        )[0];
      const settledEvents = async () =>
        (
          await late.t.orm.em
            .fork()
            .execute<{ type: string }[]>(`select type from outbox_event where aggregate_id = ? and type like 'transaction.settle%'`, [
              attempt.id,
            ])
        ).map((row) => row.type);

      // Stripe pays the charge out, and the payout is applied while we still have the charge PENDING.
      const payout = late.mock.payOut();
      expect(await deliver(late.t.url, stripeEvent('payout.paid', payout))).toBe(200);
      await eventually(async () => (await payoutRow(payout.id))?.status === 'PAID');
      expect(await payoutRow(payout.id)).toMatchObject({
        settled_count: 0,
        unmatched_entries: [{ kind: 'payment', reference: intent.id }],
      });
      expect(await settlementOf()).toMatchObject({ status: 'PENDING', settlement: 'PENDING', settlementReference: null });

      // The success comes late (its webhook); the next sweep settles the charge by the payout that carried it.
      expect(await deliver(late.t.url, stripeEvent('payment_intent.succeeded', intent))).toBe(200);
      await eventually(async () => (await settlementOf()).status === 'SUCCEEDED');
      expect((await settlementOf()).settlement).toBe('PENDING');
      const sweep = () => late.t.orm.em.fork().execute(`select graphile_worker.add_job('reconcile-payouts', '{}'::json)`);
      await sweep();
      await eventually(async () => (await settlementOf()).settlement === 'SETTLED');
      expect(await settlementOf()).toEqual({
        status: 'SUCCEEDED',
        settlement: 'SETTLED',
        settlementReference: payout.id,
        settledAt: new Date(payout.arrival_date * 1000).toISOString(),
      });
      expect(await payoutRow(payout.id)).toMatchObject({ settled_count: 1, unmatched_entries: [] });

      // Another sweep finds nothing left to settle.
      await sweep();
      await late.t.jobsIdle();
      expect(await settledEvents()).toEqual(['transaction.settled']);
      await assertInvariant({ databaseUrl: late.t.db.url, merchants: [lateShop.merchant], ledger: stripeLedger(late.mock) });
      report(
        'late payout settlement',
        `a charge answered after the ${TIMEOUT_MS} ms timeout, paid out while PENDING on our side (1 unmatched payout entry), settled by that payout by the sweep after its late webhook; 1 transaction.settled event`,
      );
    } finally {
      await late.mock.close();
      await scanAndClose('late payout settlement', late.t);
    }
  });
});
