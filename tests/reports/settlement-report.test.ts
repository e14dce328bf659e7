import { SettlementReportDocument } from '@kometpay/schema/merchant';
import { openPaymentsDesk } from '../payments/support.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { bankAccount, card, eventually, TEST_CARDS, tokenise } from '../support/payments.js';
import { accountOf } from '../support/stripe/connect.js';

let t: TestApi;

beforeAll(async () => {
  t = await startTestApi({ SANDBOX_ACH_SETTLE_SECONDS: '1' });
});
afterAll(() => t.close());

const setup = (name?: string) => openPaymentsDesk(t, name);

describe('the settlement report', () => {
  it('groups payments by settlement day with their categories and totals', async () => {
    const m = await setup();
    const today = new Date().toISOString().slice(0, 10);
    const card1 = await m.charge([await m.invoice('10000')]);
    await m.charge([await m.invoice('2000')], await tokenise(t.url, card(TEST_CARDS.declined)));
    const achInvoice = await m.invoice('40000');
    await m.charge([achInvoice], await tokenise(t.url, bankAccount('000123456789')));
    const returnedInvoice = await m.invoice('30000');
    await m.charge([returnedInvoice], await tokenise(t.url, bankAccount('000111111116')));
    await eventually(async () => (await m.read(achInvoice)).status === 'PAID');
    await eventually(async () => (await m.read(returnedInvoice)).transactions[0].status === 'RETURNED');
    await m.refund(card1.id);

    const before = (await m.client.request(SettlementReportDocument, { from: today, to: today })).settlementReport;
    expect(before.totals).toMatchObject({
      settled: { amount: '40000' },
      pending: { amount: '10000' },
      failed: { amount: '32000' },
      refunded: { amount: '10000' },
      count: 4,
    });
    expect(before.totals.fees.amount).toBe('320'); // the settled ACH payment's: 0.8% of $400
    expect(before.totals.net.amount).toBe(String(40000n - 10000n - 320n));

    // A day later the sandbox settles the card payment (next-day settlement).
    t.clock.advance(86_400_000 + 60_000);
    try {
      await t.orm.em.fork().execute(`select graphile_worker.add_job('reconcile-payouts', '{}'::json)`);
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const after = await eventually(async () => {
        const report = (await m.client.request(SettlementReportDocument, { from: today, to: tomorrow })).settlementReport;
        return report.days.length === 2 && report;
      });
      expect(after.days.map((d) => d.date)).toEqual([today, tomorrow]);
      // The card payment and its refund both settle the next day.
      expect(after.days[1].totals).toMatchObject({
        settled: { amount: '10000' },
        pending: { amount: '0' },
        refunded: { amount: '10000' },
        fees: { amount: '320' },
        count: 1,
      });
      // Through the sandbox's daily payout, as Stripe mode through Stripe's payouts (tests/payments/stripe-mode.test.ts).
      // Each merchant's own sandbox account pays out its own money: the payout names the account.
      const payout = `po_sbx_${today.replaceAll('-', '')}_usd_${await accountOf(t.orm, m.merchant.id)}`;
      expect(after.days[1].transactions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: card1.id, kind: 'CHARGE', settlement: 'SETTLED', settlementReference: payout }),
        ]),
      );
      expect(after.days[1].transactions.filter((tx) => tx.kind === 'REFUND')).toEqual([
        expect.objectContaining({ settlement: 'SETTLED', settlementReference: payout }),
      ]);
      expect(after.totals).toMatchObject({
        settled: { amount: '50000' },
        pending: { amount: '0' },
        failed: { amount: '32000' },
        refunded: { amount: '10000' },
        fees: { amount: '640' },
        count: 4,
      });
      expect(after.totals.net.amount).toBe(String(50000n - 10000n - 640n));
      const settlements = after.days.flatMap((d) => d.transactions.map((tx) => tx.settlement));
      expect(new Set(settlements)).toEqual(new Set(['SETTLED', 'FAILED', 'RETURNED']));

      const csv = await fetch(`${t.url}/reports/settlement.csv?from=${today}&to=${tomorrow}`, {
        headers: { authorization: `Bearer ${m.merchant.apiKey}` },
      });
      const rows = (await csv.text()).trim().split('\n');
      expect(rows[0]).toBe('date,settled,pending,failed,refunded,disputed,fees,net,count,currency');
      expect(rows.at(-1)).toMatch(/^total,500\.00,0\.00,320\.00,100\.00,/);
    } finally {
      t.clock.advance(-(86_400_000 + 60_000));
    }
  });

  it('refuses a reversed range or one over 366 days', async () => {
    const m = await setup();
    expect((await expectGraphQLError(m.client, SettlementReportDocument, { from: '2026-02-01', to: '2026-01-01' })).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await expectGraphQLError(m.client, SettlementReportDocument, { from: '2025-01-01', to: '2026-01-02' })).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    const ok = (await m.client.request(SettlementReportDocument, { from: '2025-01-01', to: '2026-01-01' })).settlementReport;
    expect(ok).toMatchObject({ days: [], totals: { count: 0, net: { amount: '0' } } });
  });
});
