import { randomUUID } from 'node:crypto';
import { SandboxRefund } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { bankAccount, card, eventually, TEST_CARDS, tokenise } from '../support/payments.js';
import { openPaymentsDesk } from './support.js';

let t: TestApi;

beforeAll(async () => {
  t = await startTestApi({ SANDBOX_ACH_SETTLE_SECONDS: '1' });
});
afterAll(() => t.close());

const setup = (name?: string) => openPaymentsDesk(t, name);

const sandboxRefunds = async () => t.orm.em.fork().count(SandboxRefund, {});

describe('full refunds', () => {
  it('refunds a card payment: a REFUND with "Refund " + the code, the invoice reopened, flagged for reconciliation', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('25000');
    const payment = await m.charge([invoiceId]);
    const refund = await m.refund(payment.id);
    expect(refund).toMatchObject({
      kind: 'REFUND',
      status: 'SUCCEEDED',
      channel: 'MANUAL_ENTRY',
      amount: { amount: '25000' },
      authorizationCode: `Refund ${payment.authorizationCode}`,
      requiresManualReconciliation: true,
      refundOf: { id: payment.id },
    });
    const original = await m.transaction(payment.id);
    expect(original).toMatchObject({ refundedAmount: { amount: '25000' }, refunds: [{ id: refund.id, status: 'SUCCEEDED' }] });
    expect(await m.read(invoiceId)).toMatchObject({ status: 'OPEN', amountPaid: { amount: '0' }, amountDue: { amount: '25000' } });
  });

  it('refunds an ACH payment the same way', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('90000');
    const payment = await m.charge([invoiceId], await tokenise(t.url, bankAccount('000123456789')));
    expect(payment.status).toBe('PROCESSING');
    await eventually(async () => (await m.read(invoiceId)).status === 'PAID');
    const refund = await m.refund(payment.id);
    expect(refund).toMatchObject({ status: 'SUCCEEDED', method: 'ACH', authorizationCode: expect.stringMatching(/^Refund [0-9A-F]{6}$/) });
    expect((await m.read(invoiceId)).status).toBe('OPEN');
  });

  it('answers ALREADY_REFUNDED to a second refund, without calling the processor', async () => {
    const m = await setup();
    const payment = await m.charge([await m.invoice('5000')]);
    await m.refund(payment.id);
    const calls = await sandboxRefunds();
    const second = await m.refusedRefund(payment.id);
    expect(second).toMatchObject({
      message: 'A refund has already been issued for this payment',
      extensions: { code: 'ALREADY_REFUNDED' },
    });
    expect(await sandboxRefunds()).toBe(calls);
  });

  it('makes one refund when ten arrive at the same moment', async () => {
    const m = await setup();
    const payment = await m.charge([await m.invoice('7000')]);
    const calls = await sandboxRefunds();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => m.refund(payment.id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason.response.errors[0].extensions.code);
    expect(new Set(codes)).toEqual(new Set(['ALREADY_REFUNDED']));
    expect(await sandboxRefunds()).toBe(calls + 1);
  });

  it('refuses what cannot be refunded, changing nothing', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('5000');
    const declined = await m.charge([invoiceId], await tokenise(t.url, card(TEST_CARDS.declined)));
    expect(declined.status).toBe('FAILED');
    expect((await m.refusedRefund(declined.id)).extensions).toMatchObject({
      code: 'NOT_REFUNDABLE',
      status: 'FAILED',
    });
    const payment = await m.charge([invoiceId]);
    const refund = await m.refund(payment.id);
    expect((await m.refusedRefund(refund.id)).extensions?.code).toBe('NOT_REFUNDABLE');
    const other = await setup();
    const theirs = await other.charge([await other.invoice('3000')]);
    expect((await m.refusedRefund(theirs.id)).extensions?.code).toBe('NOT_FOUND');
    expect((await other.read((await other.transaction(theirs.id)).invoices[0].id)).status).toBe('PAID');
  });
});

describe('credit memos and partial refunds', () => {
  it('credits a paid invoice, then refunds that amount: paid drops, credited rises, still PAID', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const payment = await m.charge([invoiceId]);
    const memo = await m.memo(invoiceId, '3000', 'Wilted stems');
    expect(memo).toMatchObject({
      amount: { amount: '3000' },
      reason: 'Wilted stems',
      refundIssuedAt: null,
      invoice: { status: 'PAID', amountCredited: { amount: '3000' }, amountDue: { amount: '0' } },
    });

    const issued = await m.issue(memo.id);
    expect(issued.refundIssuedAt).toEqual(expect.any(String));
    expect(issued.refund).toMatchObject({
      kind: 'REFUND',
      status: 'SUCCEEDED',
      amount: { amount: '3000' },
      refundOf: { id: payment.id },
      authorizationCode: `Refund ${payment.authorizationCode}`,
    });
    expect(issued.invoice).toEqual({
      status: 'PAID',
      amountPaid: { amount: '7000' },
      amountCredited: { amount: '3000' },
      amountDue: { amount: '0' },
    });
    expect((await m.refusedIssue(memo.id)).extensions?.code).toBe('ALREADY_REFUNDED');
    // The rest of the payment can still be refunded in full; then nothing is left.
    const rest = await m.refund(payment.id);
    expect(rest.amount.amount).toBe('7000');
    expect((await m.refusedRefund(payment.id)).extensions?.code).toBe('ALREADY_REFUNDED');
  });

  it('spreads a memo refund over several payments, newest first', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const older = await m.charge([invoiceId], 'pm_card_visa', [{ invoiceId, amount: '6000' }]);
    const newer = await m.charge([invoiceId], 'pm_card_visa_debit');
    expect(newer.amount.amount).toBe('4000');
    const memo = await m.memo(invoiceId, '5000', 'Short delivery');
    const issued = await m.issue(memo.id);
    // Newest first: the newer payment is refunded in full, the older one gives the rest.
    const taken = Object.fromEntries(issued.refunds.map((r) => [r.refundOf?.id, r.amount.amount]));
    expect(taken).toEqual({ [newer.id]: '4000', [older.id]: '1000' });
    expect(issued.invoice.amountPaid.amount).toBe('5000');
  });

  it('lets a memo on an unpaid invoice stand as a plain credit', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const memo = await m.memo(invoiceId, '2500', 'Discount');
    expect(memo.invoice).toMatchObject({ status: 'OPEN', amountDue: { amount: '7500' } });
    expect((await m.refusedIssue(memo.id)).extensions?.code).toBe('NOTHING_TO_REFUND');
    const paid = await m.charge([invoiceId]);
    expect(paid.amount.amount).toBe('7500');
  });

  it('never refunds more than was captured, whatever the concurrency', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    const payment = await m.charge([invoiceId]);
    const memos = [];
    for (let i = 0; i < 10; i++) memos.push((await m.memo(invoiceId, '1000', `Credit ${i}`)).id);
    const over = await m.refusedMemo(invoiceId, '1', 'One too many');
    expect(over.extensions).toMatchObject({ code: 'AMOUNT_EXCEEDS_CREDITABLE', creditable: '0' });
    await Promise.allSettled([...memos.map((id) => m.issue(id)), m.refund(payment.id), m.refund(payment.id)]);
    const refunded = await m.transaction(payment.id);
    const live = refunded.refunds.filter((r) => r.status === 'SUCCEEDED').reduce((sum, r) => sum + BigInt(r.amount.amount), 0n);
    expect(live).toBeLessThanOrEqual(10000n);
    expect(BigInt(refunded.refundedAmount!.amount)).toBe(live);
    const after = await m.read(invoiceId);
    expect(BigInt(after.amountPaid.amount)).toBeGreaterThanOrEqual(0n);
  });

  it('refuses bad memos with a coded error', async () => {
    const m = await setup();
    const invoiceId = await m.invoice('10000');
    for (const [amount, code] of [
      ['0', 'BAD_USER_INPUT'],
      ['-5', 'BAD_USER_INPUT'],
      ['10001', 'AMOUNT_EXCEEDS_CREDITABLE'],
    ]) {
      expect((await m.refusedMemo(invoiceId, amount, 'x')).extensions?.code).toBe(code);
    }
    expect((await m.refusedMemo(invoiceId, '10', '')).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await m.refusedIssue(randomUUID())).extensions?.code).toBe('NOT_FOUND');
    expect((await m.read(invoiceId)).creditMemos).toEqual([]);
  });
});
