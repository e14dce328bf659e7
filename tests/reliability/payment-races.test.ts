import { randomInt } from 'node:crypto';
import pg from 'pg';
import { lockRow, Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  t = await startTestApi();
  shop = await Shop.open(await t.createMerchant('Racing Flowers'), t.url);
});
afterAll(() => scanAndClose('payment races', t));

/** Refusals a losing racer may get: each says exactly why it took no money. */
const LOSING = new Set(['PAYMENT_IN_PROGRESS', 'INVOICE_ALREADY_PAID', 'AMOUNT_EXCEEDS_DUE']);

describe('three channels racing to pay one invoice', () => {
  it('never pays an invoice twice, nor beyond what it has due', async () => {
    const trials = pick(40, 200);
    const tally = new Map<string, number>();
    let overpaid = 0;
    for (let trial = 0; trial < trials; trial++) {
      const total = BigInt(randomInt(1_000, 100_000));
      const { id, token } = await shop.sentInvoice(total);
      // Each racer asks for the whole amount or, sometimes, a part of it: parts may add up, wholes may not.
      const part = () => (randomInt(3) === 0 ? total / BigInt(randomInt(2, 5)) : total);
      const offlineAmount = part();
      const chargeAmount = part();
      const racers = {
        link: outcome(shop.payWithLink(token, 'pm_card_visa')),
        offline: outcome(shop.recordOffline(id, offlineAmount)),
        manual: outcome(
          shop.charge(
            [id],
            'pm_card_visa',
            undefined,
            chargeAmount === total ? undefined : [{ invoiceId: id, amount: String(chargeAmount) }],
          ),
        ),
      };
      for (const [racer, result] of Object.entries(racers)) {
        const settled = await result;
        const label = settled.ok ? `${racer} ${settled.value.status ?? 'SUCCEEDED'}` : `${racer} ${settled.code}`;
        tally.set(label, (tally.get(label) ?? 0) + 1);
        if (!settled.ok) expect(LOSING).toContain(settled.code);
      }
      const after = await shop.readInvoice(id);
      const succeeded = after.transactions.filter((tx: { status: string }) => tx.status === 'SUCCEEDED');
      const paid = succeeded.reduce((sum: bigint, tx: { amount: { amount: string } }) => sum + BigInt(tx.amount.amount), 0n);
      if (paid > total) overpaid++;
      expect(paid).toBeLessThanOrEqual(total);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      expect(after.amountPaid.amount).toBe(String(paid));
      expect(after.amountDue.amount).toBe(String(total - paid));
    }
    const figures = await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'payment races',
      `${trials} trials (link vs offline vs manual charge), ${overpaid} overpaid invoices, ${figures.capturedCharges} processor charges = succeeded card transactions, outcomes ${JSON.stringify(Object.fromEntries([...tally].sort()))}, 0 failures`,
    );
  });
});

describe('the row locks of a payment', () => {
  it("lock a transaction and load its customer and merchant, leaving the merchant's and customer's rows free", async () => {
    const { token } = await shop.sentInvoice(2500);
    await shop.payWithLink(token, 'pm_card_visa');
    await t.jobsIdle();
    const [{ id }] = await t.orm.em
      .fork()
      .execute<{ id: string }[]>(`select id from "transaction" where merchant_id = ? order by created_at desc limit 1`, [shop.merchant.id]);
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    try {
      await t.orm.em.fork().transactional(async (tx) => {
        const locked = (await lockRow(tx, Transaction, { id }, ['customer', 'merchant']))!;
        expect(locked.merchant.name).toBe('Racing Flowers');
        expect(locked.customer?.email).toMatch(/@/);
        const nowait = (table: string, rowId: string) => other.query(`select 1 from "${table}" where id = $1 for update nowait`, [rowId]);
        await expect(nowait('transaction', id)).rejects.toMatchObject({ code: '55P03' });
        await expect(nowait('merchant', locked.merchant.id)).resolves.toMatchObject({ rowCount: 1 });
        await expect(nowait('customer', locked.customer!.id)).resolves.toMatchObject({ rowCount: 1 });
      });
    } finally {
      await other.end();
    }
  });
});
