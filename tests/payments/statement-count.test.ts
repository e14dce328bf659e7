import { randomUUID } from 'node:crypto';
import { PayWithLinkOutcomeDocument } from '@kometpay/schema/checkout';
import { ChargeInvoicesOutcomeDocument } from '@kometpay/schema/merchant';
import type pg from 'pg';
import { startTestApi, type TestApi } from '../support/api.js';
import { openShop, type Shop } from '../support/shop.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  // No job worker: a receipt job picked up mid-request would add its statements to the count.
  t = await startTestApi({ RUN_JOBS: 'false' });
  shop = await openShop(t, 'Counted Flowers', { name: 'Bloom', email: 'ap@bloom.example' });
});
afterAll(() => t.close());

const sentInvoice = () =>
  shop.sentInvoice({ number: `C-${randomUUID().slice(0, 8)}`, lines: [{ description: 'Roses', quantity: 2, unitAmount: '1250' }] });

/**
 * The statements one request runs, as the API's ORM logs them (the payments engine logs its own
 * named statements, BEGIN and COMMIT there too). The sandbox processor's statements are the
 * processor's, not ours (with Stripe they are HTTP calls), and a merchant request's API key lookup
 * is authentication, paid once by every merchant request: both are listed apart.
 */
async function statementsOf(request: () => Promise<unknown>) {
  t.queries.length = 0;
  await request();
  const all = [...t.queries];
  const processor = all.filter((sql) => /"sandbox_/.test(sql));
  const authentication = all.filter((sql) => /from "api_key"|update "api_key"/.test(sql));
  const ours = all.filter((sql) => !processor.includes(sql) && !authentication.includes(sql));
  return { ours, processor, authentication };
}

describe('the payments hot path in few statements', () => {
  it('pays by link in at most 10 statements, BEGIN and COMMIT included', async () => {
    const { token } = await sentInvoice();
    const { ours, processor } = await statementsOf(async () => {
      const answer = await t.checkout.request(PayWithLinkOutcomeDocument, {
        token,
        paymentMethodToken: 'pm_card_visa',
        idempotencyKey: randomUUID(),
      });
      expect(answer.payWithLink.status).toBe('SUCCEEDED');
    });
    expect(ours.length).toBeLessThanOrEqual(10);
    // The sandbox records the payment (a retry with the same key would find it there): one statement of its own.
    expect(processor).toHaveLength(1);
  });

  it('charges several invoices at once in at most 10 statements', async () => {
    const first = await sentInvoice();
    const second = await sentInvoice();
    const { ours, authentication } = await statementsOf(async () => {
      const answer = await shop.client.request(ChargeInvoicesOutcomeDocument, {
        input: { customerId: shop.customerId, invoiceIds: [first.id, second.id], paymentMethodToken: 'pm_card_visa' },
        idempotencyKey: randomUUID(),
      });
      expect(answer.chargeInvoices).toMatchObject({ status: 'SUCCEEDED', amount: { amount: '5000' } });
    });
    expect(ours.length).toBeLessThanOrEqual(10);
    expect(authentication).toHaveLength(1);
  });
});

describe('the named statements', () => {
  it('are planned generically on the API pool, from their first run (decision 0019)', async () => {
    const pool = (await t.orm.em.getConnection().getNativeClient()) as pg.Pool;
    const client = await pool.connect();
    try {
      expect((await client.query('show plan_cache_mode')).rows).toEqual([{ plan_cache_mode: 'force_generic_plan' }]);
      // Left to PostgreSQL, a statement's first five runs get custom plans: this one's first is generic.
      await client.query({ name: 'kp_test_generic_plan', text: 'select i.id from invoice i where i.id = any($1::uuid[])', values: ['{}'] });
      const { rows } = await client.query(
        "select generic_plans::int, custom_plans::int from pg_prepared_statements where name = 'kp_test_generic_plan'",
      );
      expect(rows).toEqual([{ generic_plans: 1, custom_plans: 0 }]);
      await client.query('deallocate kp_test_generic_plan');
    } finally {
      client.release();
    }
  });
});
