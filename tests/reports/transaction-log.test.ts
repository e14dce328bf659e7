import { randomUUID } from 'node:crypto';
import {
  MarkReconciledDocument,
  TransactionLogDocument,
  type TransactionLogQueryVariables,
  TransactionTotalsDocument,
  VirtualTerminalChargeWithDetailDocument,
} from '@kometpay/schema/merchant';
import { openPaymentsDesk } from '../payments/support.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { card, TEST_CARDS, tokenise } from '../support/payments.js';

let t: TestApi;

beforeAll(async () => {
  t = await startTestApi({ SANDBOX_ACH_SETTLE_SECONDS: '1' });
});
afterAll(() => t.close());

const setup = (name?: string) => openPaymentsDesk(t, name);

describe('the transaction log', () => {
  it('totals each currency apart: totalsByCurrency lists every currency the filter matches, totals sums the filter currency', async () => {
    const m = await setup();
    const terminal = async (amount: string, currency: string) =>
      (
        await m.client.request(VirtualTerminalChargeWithDetailDocument, {
          input: { amount, currency, description: 'Counter', paymentMethodToken: 'pm_card_visa' },
          idempotencyKey: randomUUID(),
        })
      ).virtualTerminalCharge;
    const usd = await m.charge([await m.invoice('10000')]);
    await m.refund(usd.id);
    const eurA = await terminal('2500', 'EUR');
    const eurB = await terminal('1000', 'EUR');
    const gbp = await terminal('700', 'GBP');

    const totals = async (filter: TransactionLogQueryVariables['filter'] = undefined) =>
      (await m.client.request(TransactionTotalsDocument, { filter })).transactions;
    const transactions = await totals();
    const fee = (...txs: { fee: { amount: string } | null }[]) => String(txs.reduce((sum, tx) => sum + BigInt(tx.fee?.amount ?? 0), 0n));
    expect(transactions.totalsByCurrency).toEqual([
      {
        currency: 'EUR',
        count: 2,
        charged: { amount: '3500', currency: 'EUR', formatted: '€35.00' },
        refunded: { amount: '0' },
        fees: { amount: fee(eurA, eurB), currency: 'EUR' },
      },
      {
        currency: 'GBP',
        count: 1,
        charged: { amount: '700', currency: 'GBP', formatted: '£7.00' },
        refunded: { amount: '0' },
        fees: { amount: fee(gbp), currency: 'GBP' },
      },
      {
        currency: 'USD',
        count: 2,
        charged: { amount: '10000', currency: 'USD', formatted: '$100.00' },
        refunded: { amount: '10000' },
        fees: { amount: fee(usd), currency: 'USD' },
      },
    ]);
    // `totals` keeps its meaning: every matching row counted, the sums of one currency (USD unless asked).
    expect(transactions.totals).toEqual({
      currency: 'USD',
      count: 5,
      charged: { amount: '10000', currency: 'USD' },
      refunded: { amount: '10000' },
      fees: { amount: fee(usd) },
    });
    const inEuro = await totals({ currency: 'EUR' });
    expect(inEuro.totals).toEqual({
      currency: 'EUR',
      count: 5,
      charged: { amount: '3500', currency: 'EUR' },
      refunded: { amount: '0' },
      fees: { amount: fee(eurA, eurB) },
    });
    expect(inEuro.totalsByCurrency.map((byCurrency) => byCurrency.currency)).toEqual(['EUR', 'GBP', 'USD']);
    // The other filters narrow both; a filter that matches nothing has no currencies.
    const refunds = await totals({ kind: 'REFUND' });
    expect(refunds.totalsByCurrency).toEqual([
      {
        currency: 'USD',
        count: 1,
        charged: { amount: '0', currency: 'USD', formatted: '$0.00' },
        refunded: { amount: '10000' },
        fees: { amount: '0', currency: 'USD' },
      },
    ]);
    expect((await totals({ from: new Date(Date.now() + 60_000).toISOString() })).totalsByCurrency).toEqual([]);
    expect((await expectGraphQLError(m.client, TransactionTotalsDocument, { filter: { currency: 'XYZ' } })).extensions).toMatchObject({
      code: 'UNKNOWN_CURRENCY',
      field: 'currency',
    });
  });
});

describe('the transaction log of a card payment and its refund, a decline, a debit card and a counter sale', () => {
  type Desk = Awaited<ReturnType<typeof setup>>;
  type Payment = Awaited<ReturnType<Desk['charge']>>;
  let m: Desk;
  let b: string;
  let cardPayment: Payment;
  let declined: Payment;
  let debit: Payment;
  let vt: { id: string };
  let refund: { id: string };

  beforeAll(async () => {
    m = await setup();
    const a = await m.invoice('10000');
    b = await m.invoice('20000');
    cardPayment = await m.charge([a]);
    declined = await m.charge([b], await tokenise(t.url, card(TEST_CARDS.insufficientFunds)));
    debit = await m.charge([b], 'pm_card_visa_debit');
    vt = (
      await m.client.request(VirtualTerminalChargeWithDetailDocument, {
        input: { amount: '1500', currency: 'USD', description: 'Counter', paymentMethodToken: 'pm_card_visa' },
        idempotencyKey: randomUUID(),
      })
    ).virtualTerminalCharge;
    refund = await m.refund(cardPayment.id);
  });

  const log = async (filter: TransactionLogQueryVariables['filter'], first = 50, after?: string | null) =>
    (await m.client.request(TransactionLogDocument, { filter, first, after })).transactions;
  const ids = (page: Awaited<ReturnType<typeof log>>) => page.edges.map((e) => e.node.id);

  it('lists them newest first with their totals, filtered by kind, status, channel, method, invoice, customer and dates', async () => {
    const all = await log({});
    expect(ids(all)).toEqual([refund.id, vt.id, debit.id, declined.id, cardPayment.id]);
    expect(all.totals).toEqual({
      count: 5,
      charged: { amount: '31500' },
      refunded: { amount: '10000' },
      fees: { amount: String(BigInt(cardPayment.fee!.amount) + BigInt(debit.fee!.amount) + 74n) },
    });
    expect(ids(await log({ kind: 'REFUND' }))).toEqual([refund.id]);
    expect(ids(await log({ status: 'FAILED' }))).toEqual([declined.id]);
    expect(ids(await log({ channel: 'VIRTUAL_TERMINAL' }))).toEqual([vt.id]);
    expect(ids(await log({ method: 'DEBIT_CARD' }))).toEqual([debit.id]);
    expect(ids(await log({ invoiceId: b }))).toEqual([debit.id, declined.id]);
    expect(ids(await log({ customerId: m.customerId }))).toEqual([refund.id, debit.id, declined.id, cardPayment.id]);
    expect(ids(await log({ requiresManualReconciliation: true }))).toEqual([refund.id, vt.id]);
    expect(ids(await log({ from: new Date(Date.now() + 60_000).toISOString() }))).toEqual([]);
    expect(
      (await expectGraphQLError(m.client, TransactionLogDocument, { filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }))
        .extensions?.code,
    ).toBe('BAD_USER_INPUT');
  });

  it('pages by keyset, stable when new transactions arrive between the pages', async () => {
    const page1 = await log({}, 2);
    expect(ids(page1)).toEqual([refund.id, vt.id]);
    await m.charge([await m.invoice('500')]);
    const page2 = await log({}, 2, page1.pageInfo.endCursor);
    expect(ids(page2)).toEqual([debit.id, declined.id]);
    const page3 = await log({}, 2, page2.pageInfo.endCursor);
    expect(ids(page3)).toEqual([cardPayment.id]);
    expect(page3.pageInfo.hasNextPage).toBe(false);
  });

  it('records who reconciled what, and refuses an unknown id changing nothing', async () => {
    const reconciled = (await m.client.request(MarkReconciledDocument, { transactionIds: [refund.id, vt.id] })).markReconciled;
    expect(reconciled.every((r) => r.reconciledAt && r.reconciledBy?.startsWith('kp_'))).toBe(true);
    expect(ids(await log({ requiresManualReconciliation: true, reconciled: false }))).toEqual([]);
    expect(ids(await log({ reconciled: true }))).toEqual([refund.id, vt.id]);
    const unknown = await expectGraphQLError(m.client, MarkReconciledDocument, { transactionIds: [debit.id, randomUUID()] });
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    expect(ids(await log({ reconciled: true }))).toEqual([refund.id, vt.id]);
  });

  it('exports the same filters as CSV, streamed, authenticated by the API key', async () => {
    const csv = await fetch(`${t.url}/reports/transactions.csv?invoiceId=${b}`, {
      headers: { authorization: `Bearer ${m.merchant.apiKey}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'id,created_at,kind,status,channel,method,amount,currency,fee,authorization_code,customer,invoices,refund_of,settlement,requires_manual_reconciliation,reconciled_at,reconciled_by,failure_code,settled_at,settlement_reference',
    );
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual([debit.id, declined.id]);
    expect(lines[1]).toContain(',200.00,USD,');
    expect(lines[2]).toContain('INSUFFICIENT_FUNDS');
    expect((await fetch(`${t.url}/reports/transactions.csv`)).status).toBe(401);
    const bad = await fetch(`${t.url}/reports/transactions.csv?kind=BOGUS`, { headers: { authorization: `Bearer ${m.merchant.apiKey}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
  });
});
