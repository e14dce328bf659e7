import { randomUUID } from 'node:crypto';
import { SandboxRefund } from '../apps/api/src/processors/sandbox/sandbox.entities.js';
import { startTestApi, type TestApi, type TestMerchant } from './support/api.js';
import { expectGraphQLError } from './support/graphql.js';
import { TEST_CARDS, bankAccount, card, eventually, tokenise } from './support/payments.js';

type Json = Record<string, any>;

const TX = `id kind status channel method amount { amount } fee { amount } authorizationCode requiresManualReconciliation
  reconciledAt reconciledBy settlement refundedAmount { amount } refundOf { id } refunds { id status amount { amount } }`;
const REFUND = `mutation ($id: ID!, $key: String!) { refundTransaction(id: $id, idempotencyKey: $key) { ${TX} } }`;
const MEMO = `mutation ($input: CreateCreditMemoInput!) { createCreditMemo(input: $input) { id amount { amount } reason refundIssuedAt invoice { id status amountCredited { amount } amountDue { amount } } } }`;
const ISSUE = `mutation ($id: ID!, $key: String!) { issueCreditMemoRefund(creditMemoId: $id, idempotencyKey: $key) {
  id refundIssuedAt refund { ${TX} } refunds { id amount { amount } refundOf { id } authorizationCode }
  invoice { status amountPaid { amount } amountCredited { amount } amountDue { amount } } } }`;
const INVOICE = `query ($id: ID!) { invoice(id: $id) { id status amountPaid { amount } amountCredited { amount } amountDue { amount } creditMemos { id } transactions { ${TX} } } }`;
const CHARGE = `mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { ${TX} } }`;
const LOG = `query ($first: Int, $after: String, $filter: TransactionFilter) {
  transactions(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id kind status channel method amount { amount } } }
    pageInfo { hasNextPage endCursor }
    totals { count charged { amount } refunded { amount } fees { amount } }
  } }`;
const SETTLEMENT = `query ($from: Date!, $to: Date!) { settlementReport(from: $from, to: $to) {
  from to currency
  days { date totals { settled { amount } pending { amount } failed { amount } refunded { amount } fees { amount } net { amount } count } transactions { id kind status settlement settlementReference } }
  totals { settled { amount } pending { amount } failed { amount } refunded { amount } fees { amount } net { amount } count } } }`;

let t: TestApi;

beforeAll(async () => {
  t = await startTestApi({ SANDBOX_ACH_SETTLE_SECONDS: '1' });
});
afterAll(() => t.close());

async function setup(name = `Merchant ${randomUUID().slice(0, 6)}`) {
  const merchant = await t.createMerchant(name);
  const customerId = (await merchant.client().request<Json>(`mutation { createCustomer(input: { name: "Buyer", email: "buyer@example.com" }) { id } }`)).createCustomer.id;
  const invoice = async (amount: string): Promise<string> => {
    const { createInvoice } = await merchant.client().request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
      input: { customerId, number: `R-${randomUUID().slice(0, 8)}`, currency: 'USD', lines: [{ description: 'Roses', quantity: 1, unitAmount: amount }] },
    });
    await merchant.client().request(`mutation ($id: ID!) { sendInvoice(id: $id) { id } }`, { id: createInvoice.id });
    return createInvoice.id;
  };
  const charge = async (invoiceIds: string[], paymentMethodToken = 'pm_card_visa', allocations?: Json[]) =>
    (await merchant.client().request<Json>(CHARGE, { input: { customerId, invoiceIds, paymentMethodToken, allocations }, key: randomUUID() })).chargeInvoices;
  const read = async (id: string) => (await merchant.client().request<Json>(INVOICE, { id })).invoice;
  return { merchant, customerId, invoice, charge, read, client: merchant.client() };
}

const sandboxRefunds = async () => t.orm.em.fork().count(SandboxRefund, {});

describe('full refunds', () => {
  it('refunds a card payment: a REFUND with "Refund " + the code, the invoice reopened, flagged for reconciliation', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('25000');
    const payment = await m.charge([invoiceId]);
    const refund = (await m.client.request<Json>(REFUND, { id: payment.id, key: randomUUID() })).refundTransaction;
    expect(refund).toMatchObject({
      kind: 'REFUND',
      status: 'SUCCEEDED',
      channel: 'MANUAL_ENTRY',
      amount: { amount: '25000' },
      authorizationCode: `Refund ${payment.authorizationCode}`,
      requiresManualReconciliation: true,
      refundOf: { id: payment.id },
    });
    const original = (await m.client.request<Json>(`query ($id: ID!) { transaction(id: $id) { ${TX} } }`, { id: payment.id })).transaction;
    expect(original).toMatchObject({ refundedAmount: { amount: '25000' }, refunds: [{ id: refund.id, status: 'SUCCEEDED' }] });
    expect(await m.read(invoiceId)).toMatchObject({ status: 'OPEN', amountPaid: { amount: '0' }, amountDue: { amount: '25000' } });
  });

  it('refunds an ACH payment the same way', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('90000');
    const payment = await m.charge([invoiceId], await tokenise(t.url, bankAccount('000123456789')));
    expect(payment.status).toBe('PROCESSING');
    await eventually(async () => (await m.read(invoiceId)).status === 'PAID');
    const refund = (await m.client.request<Json>(REFUND, { id: payment.id, key: randomUUID() })).refundTransaction;
    expect(refund).toMatchObject({ status: 'SUCCEEDED', method: 'ACH', authorizationCode: expect.stringMatching(/^Refund [0-9A-F]{6}$/) });
    expect((await m.read(invoiceId)).status).toBe('OPEN');
  });

  it('answers ALREADY_REFUNDED to a second refund, without calling the processor', async () => {
    const m = await setup();
    const payment = await m.charge([await m.invoice('5000')]);
    await m.client.request(REFUND, { id: payment.id, key: randomUUID() });
    const calls = await sandboxRefunds();
    const second = await expectGraphQLError(m.client, REFUND, { id: payment.id, key: randomUUID() });
    expect(second).toMatchObject({ message: 'A refund has already been issued for this payment', extensions: { code: 'ALREADY_REFUNDED' } });
    expect(await sandboxRefunds()).toBe(calls);
  });

  it('makes one refund when ten arrive at the same moment', async () => {
    const m = await setup();
    const payment = await m.charge([await m.invoice('7000')]);
    const calls = await sandboxRefunds();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => m.client.request<Json>(REFUND, { id: payment.id, key: randomUUID() })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.response.errors[0].extensions.code);
    expect(new Set(codes)).toEqual(new Set(['ALREADY_REFUNDED']));
    expect(await sandboxRefunds()).toBe(calls + 1);
  });

  it('refuses what cannot be refunded, changing nothing', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('5000');
    const declined = await m.charge([invoiceId], await tokenise(t.url, card(TEST_CARDS.declined)));
    expect(declined.status).toBe('FAILED');
    expect((await expectGraphQLError(m.client, REFUND, { id: declined.id, key: randomUUID() })).extensions).toMatchObject({ code: 'NOT_REFUNDABLE', status: 'FAILED' });
    const payment = await m.charge([invoiceId]);
    const refund = (await m.client.request<Json>(REFUND, { id: payment.id, key: randomUUID() })).refundTransaction;
    expect((await expectGraphQLError(m.client, REFUND, { id: refund.id, key: randomUUID() })).extensions?.code).toBe('NOT_REFUNDABLE');
    const other = await setup();
    const theirs = await other.charge([await other.invoice('3000')]);
    expect((await expectGraphQLError(m.client, REFUND, { id: theirs.id, key: randomUUID() })).extensions?.code).toBe('NOT_FOUND');
    expect((await other.read((await other.client.request<Json>(`query ($id: ID!) { transaction(id: $id) { invoices { id } } }`, { id: theirs.id })).transaction.invoices[0].id)).status).toBe('PAID');
  });
});

describe('credit memos and partial refunds', () => {
  it('credits a paid invoice, then refunds that amount: paid drops, credited rises, still PAID', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const payment = await m.charge([invoiceId]);
    const memo = (await m.client.request<Json>(MEMO, { input: { invoiceId, amount: '3000', reason: 'Wilted stems' } })).createCreditMemo;
    expect(memo).toMatchObject({ amount: { amount: '3000' }, reason: 'Wilted stems', refundIssuedAt: null, invoice: { status: 'PAID', amountCredited: { amount: '3000' }, amountDue: { amount: '0' } } });

    const issued = (await m.client.request<Json>(ISSUE, { id: memo.id, key: randomUUID() })).issueCreditMemoRefund;
    expect(issued.refundIssuedAt).toEqual(expect.any(String));
    expect(issued.refund).toMatchObject({ kind: 'REFUND', status: 'SUCCEEDED', amount: { amount: '3000' }, refundOf: { id: payment.id }, authorizationCode: `Refund ${payment.authorizationCode}` });
    expect(issued.invoice).toEqual({ status: 'PAID', amountPaid: { amount: '7000' }, amountCredited: { amount: '3000' }, amountDue: { amount: '0' } });
    expect((await expectGraphQLError(m.client, ISSUE, { id: memo.id, key: randomUUID() })).extensions?.code).toBe('ALREADY_REFUNDED');
    // The rest of the payment can still be refunded in full; then nothing is left.
    const rest = (await m.client.request<Json>(REFUND, { id: payment.id, key: randomUUID() })).refundTransaction;
    expect(rest.amount.amount).toBe('7000');
    expect((await expectGraphQLError(m.client, REFUND, { id: payment.id, key: randomUUID() })).extensions?.code).toBe('ALREADY_REFUNDED');
  });

  it('spreads a memo refund over several payments, newest first', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const older = await m.charge([invoiceId], 'pm_card_visa', [{ invoiceId, amount: '6000' }]);
    const newer = await m.charge([invoiceId], 'pm_card_visa_debit');
    expect(newer.amount.amount).toBe('4000');
    const memo = (await m.client.request<Json>(MEMO, { input: { invoiceId, amount: '5000', reason: 'Short delivery' } })).createCreditMemo;
    const issued = (await m.client.request<Json>(ISSUE, { id: memo.id, key: randomUUID() })).issueCreditMemoRefund;
    // Newest first: the newer payment is refunded in full, the older one gives the rest.
    const taken = Object.fromEntries(issued.refunds.map((r: Json) => [r.refundOf.id, r.amount.amount]));
    expect(taken).toEqual({ [newer.id]: '4000', [older.id]: '1000' });
    expect(issued.invoice.amountPaid.amount).toBe('5000');
  });

  it('lets a memo on an unpaid invoice stand as a plain credit', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const memo = (await m.client.request<Json>(MEMO, { input: { invoiceId, amount: '2500', reason: 'Discount' } })).createCreditMemo;
    expect(memo.invoice).toMatchObject({ status: 'OPEN', amountDue: { amount: '7500' } });
    expect((await expectGraphQLError(m.client, ISSUE, { id: memo.id, key: randomUUID() })).extensions?.code).toBe('NOTHING_TO_REFUND');
    const paid = await m.charge([invoiceId]);
    expect(paid.amount.amount).toBe('7500');
  });

  it('never refunds more than was captured, whatever the concurrency', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const payment = await m.charge([invoiceId]);
    const memos = [];
    for (let i = 0; i < 10; i++) memos.push((await m.client.request<Json>(MEMO, { input: { invoiceId, amount: '1000', reason: `Credit ${i}` } })).createCreditMemo.id);
    const over = await expectGraphQLError(m.client, MEMO, { input: { invoiceId, amount: '1', reason: 'One too many' } });
    expect(over.extensions).toMatchObject({ code: 'AMOUNT_EXCEEDS_CREDITABLE', creditable: '0' });
    await Promise.allSettled([
      ...memos.map((id) => m.client.request(ISSUE, { id, key: randomUUID() })),
      m.client.request(REFUND, { id: payment.id, key: randomUUID() }),
      m.client.request(REFUND, { id: payment.id, key: randomUUID() }),
    ]);
    const refunded = (await m.client.request<Json>(`query ($id: ID!) { transaction(id: $id) { refundedAmount { amount } refunds { status amount { amount } } } }`, { id: payment.id })).transaction;
    const live = refunded.refunds.filter((r: Json) => r.status === 'SUCCEEDED').reduce((sum: bigint, r: Json) => sum + BigInt(r.amount.amount), 0n);
    expect(live).toBeLessThanOrEqual(10000n);
    expect(BigInt(refunded.refundedAmount.amount)).toBe(live);
    const after = await m.read(invoiceId);
    expect(BigInt(after.amountPaid.amount)).toBeGreaterThanOrEqual(0n);
  });

  it('refuses bad memos with a coded error', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    for (const [amount, code] of [['0', 'BAD_USER_INPUT'], ['-5', 'BAD_USER_INPUT'], ['10001', 'AMOUNT_EXCEEDS_CREDITABLE']]) {
      expect((await expectGraphQLError(m.client, MEMO, { input: { invoiceId, amount, reason: 'x' } })).extensions?.code).toBe(code);
    }
    expect((await expectGraphQLError(m.client, MEMO, { input: { invoiceId, amount: '10', reason: '' } })).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await expectGraphQLError(m.client, ISSUE, { id: randomUUID(), key: randomUUID() })).extensions?.code).toBe('NOT_FOUND');
    expect((await m.read(invoiceId)).creditMemos).toEqual([]);
  });
});

describe('the transaction log', () => {
  it('totals each currency apart: totalsByCurrency lists every currency the filter matches, totals sums the filter currency', async () => {
    const m = await setup();
    const terminal = async (amount: string, currency: string) =>
      (
        await m.client.request<Json>(
          `mutation ($input: VirtualTerminalChargeInput!, $key: String!) { virtualTerminalCharge(input: $input, idempotencyKey: $key) { id fee { amount currency } } }`,
          { input: { amount, currency, description: 'Counter', paymentMethodToken: 'pm_card_visa' }, key: randomUUID() },
        )
      ).virtualTerminalCharge;
    const usd = await m.charge([await m.invoice('10000')]);
    await m.client.request(REFUND, { id: usd.id, key: randomUUID() });
    const eurA = await terminal('2500', 'EUR');
    const eurB = await terminal('1000', 'EUR');
    const gbp = await terminal('700', 'GBP');

    const TOTALS = `query ($filter: TransactionFilter) { transactions(first: 1, filter: $filter) {
      totals { currency count charged { amount currency } refunded { amount } fees { amount } }
      totalsByCurrency { currency count charged { amount currency formatted } refunded { amount } fees { amount currency } } } }`;
    const { transactions } = await m.client.request<Json>(TOTALS, {});
    const fee = (...txs: Json[]) => String(txs.reduce((sum, tx) => sum + BigInt(tx.fee?.amount ?? 0), 0n));
    expect(transactions.totalsByCurrency).toEqual([
      { currency: 'EUR', count: 2, charged: { amount: '3500', currency: 'EUR', formatted: '€35.00' }, refunded: { amount: '0' }, fees: { amount: fee(eurA, eurB), currency: 'EUR' } },
      { currency: 'GBP', count: 1, charged: { amount: '700', currency: 'GBP', formatted: '£7.00' }, refunded: { amount: '0' }, fees: { amount: fee(gbp), currency: 'GBP' } },
      { currency: 'USD', count: 2, charged: { amount: '10000', currency: 'USD', formatted: '$100.00' }, refunded: { amount: '10000' }, fees: { amount: fee(usd), currency: 'USD' } },
    ]);
    // `totals` keeps its meaning: every matching row counted, the sums of one currency (USD unless asked).
    expect(transactions.totals).toEqual({ currency: 'USD', count: 5, charged: { amount: '10000', currency: 'USD' }, refunded: { amount: '10000' }, fees: { amount: fee(usd) } });
    const inEuro = (await m.client.request<Json>(TOTALS, { filter: { currency: 'EUR' } })).transactions;
    expect(inEuro.totals).toEqual({ currency: 'EUR', count: 5, charged: { amount: '3500', currency: 'EUR' }, refunded: { amount: '0' }, fees: { amount: fee(eurA, eurB) } });
    expect(inEuro.totalsByCurrency.map((totals: Json) => totals.currency)).toEqual(['EUR', 'GBP', 'USD']);
    // The other filters narrow both; a filter that matches nothing has no currencies.
    const refunds = (await m.client.request<Json>(TOTALS, { filter: { kind: 'REFUND' } })).transactions;
    expect(refunds.totalsByCurrency).toEqual([{ currency: 'USD', count: 1, charged: { amount: '0', currency: 'USD', formatted: '$0.00' }, refunded: { amount: '10000' }, fees: { amount: '0', currency: 'USD' } }]);
    expect((await m.client.request<Json>(TOTALS, { filter: { from: new Date(Date.now() + 60_000).toISOString() } })).transactions.totalsByCurrency).toEqual([]);
    expect((await expectGraphQLError(m.client, TOTALS, { filter: { currency: 'XYZ' } })).extensions).toMatchObject({ code: 'UNKNOWN_CURRENCY', field: 'currency' });
  });

  it('filters, totals, paginates stably under inserts, and records reconciliation', async () => {
    const m = await setup();
    const a = await m.invoice('10000');
    const b = await m.invoice('20000');
    const cardPayment = await m.charge([a]);
    const declined = await m.charge([b], await tokenise(t.url, card(TEST_CARDS.insufficientFunds)));
    const debit = await m.charge([b], 'pm_card_visa_debit');
    const vt = (await m.client.request<Json>(`mutation ($key: String!) { virtualTerminalCharge(input: { amount: "1500", currency: "USD", description: "Counter", paymentMethodToken: "pm_card_visa" }, idempotencyKey: $key) { id } }`, { key: randomUUID() })).virtualTerminalCharge;
    const refund = (await m.client.request<Json>(REFUND, { id: cardPayment.id, key: randomUUID() })).refundTransaction;

    const log = async (filter: Json, first = 50, after?: string) => (await m.client.request<Json>(LOG, { filter, first, after })).transactions;
    const ids = (page: Json) => page.edges.map((e: Json) => e.node.id);

    const all = await log({});
    expect(ids(all)).toEqual([refund.id, vt.id, debit.id, declined.id, cardPayment.id]);
    expect(all.totals).toEqual({ count: 5, charged: { amount: '31500' }, refunded: { amount: '10000' }, fees: { amount: String(BigInt(cardPayment.fee.amount) + BigInt(debit.fee.amount) + 74n) } });
    expect(ids(await log({ kind: 'REFUND' }))).toEqual([refund.id]);
    expect(ids(await log({ status: 'FAILED' }))).toEqual([declined.id]);
    expect(ids(await log({ channel: 'VIRTUAL_TERMINAL' }))).toEqual([vt.id]);
    expect(ids(await log({ method: 'DEBIT_CARD' }))).toEqual([debit.id]);
    expect(ids(await log({ invoiceId: b }))).toEqual([debit.id, declined.id]);
    expect(ids(await log({ customerId: m.customerId }))).toEqual([refund.id, debit.id, declined.id, cardPayment.id]);
    expect(ids(await log({ requiresManualReconciliation: true }))).toEqual([refund.id, vt.id]);
    expect(ids(await log({ from: new Date(Date.now() + 60_000).toISOString() }))).toEqual([]);

    // Keyset pages stay stable when new transactions arrive between them.
    const page1 = await log({}, 2);
    expect(ids(page1)).toEqual([refund.id, vt.id]);
    await m.charge([await m.invoice('500')]);
    const page2 = await log({}, 2, page1.pageInfo.endCursor);
    expect(ids(page2)).toEqual([debit.id, declined.id]);
    const page3 = await log({}, 2, page2.pageInfo.endCursor);
    expect(ids(page3)).toEqual([cardPayment.id]);
    expect(page3.pageInfo.hasNextPage).toBe(false);

    const reconciled = (await m.client.request<Json>(`mutation ($ids: [ID!]!) { markReconciled(transactionIds: $ids) { id reconciledAt reconciledBy } }`, { ids: [refund.id, vt.id] })).markReconciled;
    expect(reconciled.every((r: Json) => r.reconciledAt && r.reconciledBy?.startsWith('kp_'))).toBe(true);
    expect(ids(await log({ requiresManualReconciliation: true, reconciled: false }))).toEqual([]);
    expect(ids(await log({ reconciled: true }))).toEqual([refund.id, vt.id]);
    const unknown = await expectGraphQLError(m.client, `mutation ($ids: [ID!]!) { markReconciled(transactionIds: $ids) { id } }`, { ids: [debit.id, randomUUID()] });
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    expect(ids(await log({ reconciled: true }))).toEqual([refund.id, vt.id]);
    expect((await expectGraphQLError(m.client, LOG, { filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } })).extensions?.code).toBe('BAD_USER_INPUT');

    // The CSV export: same filters, authenticated by the API key, streamed.
    const csv = await fetch(`${t.url}/reports/transactions.csv?invoiceId=${b}`, { headers: { authorization: `Bearer ${m.merchant.apiKey}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('id,created_at,kind,status,channel,method,amount,currency,fee,authorization_code,customer,invoices,refund_of,settlement,requires_manual_reconciliation,reconciled_at,reconciled_by,failure_code,settled_at,settlement_reference');
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual([debit.id, declined.id]);
    expect(lines[1]).toContain(',200.00,USD,');
    expect(lines[2]).toContain('INSUFFICIENT_FUNDS');
    expect((await fetch(`${t.url}/reports/transactions.csv`)).status).toBe(401);
    const bad = await fetch(`${t.url}/reports/transactions.csv?kind=BOGUS`, { headers: { authorization: `Bearer ${m.merchant.apiKey}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
  });
});

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
    await m.client.request(REFUND, { id: card1.id, key: randomUUID() });

    const before = (await m.client.request<Json>(SETTLEMENT, { from: today, to: today })).settlementReport;
    expect(before.totals).toMatchObject({ settled: { amount: '40000' }, pending: { amount: '10000' }, failed: { amount: '32000' }, refunded: { amount: '10000' }, count: 4 });
    expect(before.totals.fees.amount).toBe('320'); // the settled ACH payment's: 0.8% of $400
    expect(before.totals.net.amount).toBe(String(40000n - 10000n - 320n));

    // A day later the sandbox settles the card payment (next-day settlement).
    t.clock.advance(86_400_000 + 60_000);
    try {
      await t.orm.em.fork().execute(`select graphile_worker.add_job('reconcile-payouts', '{}'::json)`);
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const after = await eventually(async () => {
        const report = (await m.client.request<Json>(SETTLEMENT, { from: today, to: tomorrow })).settlementReport;
        return report.days.length === 2 && report;
      });
      expect(after.days.map((d: Json) => d.date)).toEqual([today, tomorrow]);
      // The card payment and its refund both settle the next day.
      expect(after.days[1].totals).toMatchObject({ settled: { amount: '10000' }, pending: { amount: '0' }, refunded: { amount: '10000' }, fees: { amount: '320' }, count: 1 });
      // Through the sandbox's daily payout, as Stripe mode through Stripe's payouts (tests/06).
      const payout = `po_sbx_${today.replaceAll('-', '')}_usd`;
      expect(after.days[1].transactions).toEqual(expect.arrayContaining([expect.objectContaining({ id: card1.id, kind: 'CHARGE', settlement: 'SETTLED', settlementReference: payout })]));
      expect(after.days[1].transactions.filter((tx: Json) => tx.kind === 'REFUND')).toEqual([expect.objectContaining({ settlement: 'SETTLED', settlementReference: payout })]);
      expect(after.totals).toMatchObject({ settled: { amount: '50000' }, pending: { amount: '0' }, failed: { amount: '32000' }, refunded: { amount: '10000' }, fees: { amount: '640' }, count: 4 });
      expect(after.totals.net.amount).toBe(String(50000n - 10000n - 640n));
      const settlements = after.days.flatMap((d: Json) => d.transactions.map((tx: Json) => tx.settlement));
      expect(new Set(settlements)).toEqual(new Set(['SETTLED', 'FAILED', 'RETURNED']));

      const csv = await fetch(`${t.url}/reports/settlement.csv?from=${today}&to=${tomorrow}`, { headers: { authorization: `Bearer ${m.merchant.apiKey}` } });
      const rows = (await csv.text()).trim().split('\n');
      expect(rows[0]).toBe('date,settled,pending,failed,refunded,fees,net,count,currency');
      expect(rows.at(-1)).toMatch(/^total,500\.00,0\.00,320\.00,100\.00,/);
    } finally {
      t.clock.advance(-(86_400_000 + 60_000));
    }
  });

  it('refuses a reversed range or one over 366 days', async () => {
    const m = await setup();
    expect((await expectGraphQLError(m.client, SETTLEMENT, { from: '2026-02-01', to: '2026-01-01' })).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await expectGraphQLError(m.client, SETTLEMENT, { from: '2025-01-01', to: '2026-01-02' })).extensions?.code).toBe('BAD_USER_INPUT');
    const ok = (await m.client.request<Json>(SETTLEMENT, { from: '2025-01-01', to: '2026-01-01' })).settlementReport;
    expect(ok).toMatchObject({ days: [], totals: { count: 0, net: { amount: '0' } } });
  });
});
