import { randomUUID } from 'node:crypto';
import { MerchantProcessorAccountDocument } from '@kometpay/schema/merchant';
import { SandboxPayment, Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { Shop } from '../support/shop.js';
import { accountOf } from '../support/stripe/connect.js';

/** The embedded sandbox gives every merchant an account of its own, ACTIVE at once, and keeps their objects apart as Stripe does. */

let t: TestApi;
let rose: Shop;
let lily: Shop;

beforeAll(async () => {
  t = await startTestApi();
  rose = await Shop.open(await t.createMerchant('Sandbox Roses'), t.url);
  lily = await Shop.open(await t.createMerchant('Sandbox Lilies'), t.url);
});
afterAll(() => t.close());

const intentOf = async (transactionId: string) =>
  (await t.orm.em.fork().findOneOrFail(Transaction, { id: transactionId })).processorReference!;

describe('sandbox accounts', () => {
  it('gives each merchant its own ACTIVE account, and records each payment in its merchant’s account', async () => {
    expect((await rose.client.request(MerchantProcessorAccountDocument)).merchant.processorAccount).toEqual({
      kind: 'SANDBOX',
      status: 'ACTIVE',
      chargesEnabled: true,
      payoutsEnabled: true,
      requirementsDue: [],
    });
    const [roseAccount, lilyAccount] = [await accountOf(t.orm, rose.merchant.id), await accountOf(t.orm, lily.merchant.id)];
    expect(roseAccount).toMatch(/^acct_sbx_/);
    expect(roseAccount).not.toBe(lilyAccount);
    const roses = await rose.paidInvoice(5000);
    const lilies = await lily.paidInvoice(3000);
    const stored = async (id: string) => (await t.orm.em.fork().findOneOrFail(SandboxPayment, { id: await intentOf(id) })).account;
    expect([await stored(roses.payment.id), await stored(lilies.payment.id)]).toEqual([roseAccount, lilyAccount]);
  });

  it("never reaches one merchant's sandbox objects with another merchant's account", async () => {
    const lilies = await lily.paidInvoice(4000);
    const intent = await intentOf(lilies.payment.id);
    const roseProcessor = await t.api.deps.processors.of(rose.merchant.id);
    await expect(roseProcessor.retrievePayment(intent)).rejects.toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    await expect(roseProcessor.cancelPayment(intent)).rejects.toMatchObject({ retryable: false });
    await expect(
      roseProcessor.refund({ idempotencyKey: randomUUID(), paymentReference: intent, amount: 4000n, metadata: {} }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    const payment = await t.orm.em.fork().findOneOrFail(SandboxPayment, { id: intent });
    expect({ status: payment.status, refunded: payment.refunded }).toEqual({ status: 'succeeded', refunded: 0n });
    // Lily's own account finds it, and refunds it.
    const refund = await lily.refund(lilies.payment.id);
    expect(refund.status).toBe('SUCCEEDED');
  });

  it("pays out each account's own money: one merchant's payout names none of another's payments", async () => {
    const roseProcessor = await t.api.deps.processors.of(rose.merchant.id);
    const lilyProcessor = await t.api.deps.processors.of(lily.merchant.id);
    // The sandbox pays out a day's card payments at the next midnight: move the API's clock past it.
    t.clock.advance(2 * 86_400_000);
    const since = new Date(Date.now() - 86_400_000);
    const payoutsOf = async (processor: typeof roseProcessor) => {
      const references: string[] = [];
      for await (const payout of processor.listPayouts(since)) references.push(payout.reference);
      return references;
    };
    const [rosePayout] = await payoutsOf(roseProcessor);
    const [lilyPayout] = await payoutsOf(lilyProcessor);
    expect(rosePayout).toMatch(new RegExp(`_${await accountOf(t.orm, rose.merchant.id)}$`));
    expect(lilyPayout).not.toBe(rosePayout);
    const entries: string[] = [];
    for await (const entry of roseProcessor.listPayoutEntries(rosePayout)) entries.push(entry.reference);
    const lilyPayments = await t.orm.em
      .fork()
      .execute<{ processor_reference: string }[]>(
        'select processor_reference from "transaction" where merchant_id = ? and processor_reference is not null',
        [lily.merchant.id],
      );
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.some((reference) => lilyPayments.some((p) => p.processor_reference === reference))).toBe(false);
    await expect(roseProcessor.retrievePayout(lilyPayout)).rejects.toMatchObject({ retryable: false });
  });
});
