import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { CollectTerminalPaymentDocument, RegisterTerminalReaderDocument, VirtualTerminalChargeDocument } from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';

type Json = Record<string, any>;
type Processor = Awaited<ReturnType<TestApi['api']['deps']['processors']['of']>>;

let t: TestApi;
let shop: Shop;
let spies: {
  refund: jest.Spied<Processor['refund']>;
  createPayment: jest.Spied<Processor['createPayment']>;
  collectOnReader: jest.Spied<Processor['collectOnReader']>;
};
let readerId: string;

beforeAll(async () => {
  // A processor that takes a moment, as a real one does, so that concurrent duplicates really overlap.
  t = await startTestApi({ SANDBOX_LATENCY_MS: '100' });
  shop = await Shop.open(await t.createMerchant('Idempotent Refunds'), t.url);
  const processor = await t.api.deps.processors.of(shop.merchant.id);
  spies = {
    refund: jest.spyOn(processor, 'refund'),
    createPayment: jest.spyOn(processor, 'createPayment'),
    collectOnReader: jest.spyOn(processor, 'collectOnReader'),
  };
  const { registerTerminalReader } = await shop.client.request(RegisterTerminalReaderDocument, {
    input: { label: 'Counter', registrationCode: 'simulated-wpe' },
  });
  readerId = registerTerminalReader.id;
});
afterAll(() => scanAndClose('idempotency-refunds-and-terminals', t));

const invariant = () => assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });

/**
 * One key, one effect: the request replayed (one after another, then ten at once) gives one answer
 * and makes one processor call; the key with other input is refused IDEMPOTENCY_KEY_REUSED and
 * changes no row and calls nothing.
 */
async function checkOneKeyOneEffect(
  name: string,
  spy: jest.Spied<(...args: never[]) => unknown>,
  request: (key: string) => Promise<Json>,
  otherInput: (key: string) => Promise<Json>,
): Promise<Json> {
  const key = randomUUID();
  spy.mockClear();
  const first = await request(key);
  const answers = [JSON.stringify(first)];
  for (let i = 0; i < 10; i++) answers.push(JSON.stringify(await request(key)));
  const concurrent = await Promise.all(Array.from({ length: 10 }, () => outcome(request(key))));
  expect(concurrent.filter((r) => !r.ok)).toEqual([]);
  for (const r of concurrent) if (r.ok) answers.push(JSON.stringify(r.value));
  expect(new Set(answers)).toEqual(new Set([answers[0]]));
  expect(spy).toHaveBeenCalledTimes(1);

  spy.mockClear();
  const before = await takeSnapshot(t.db.url);
  expect(await outcome(otherInput(key))).toEqual({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
  expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
  expect(spy).not.toHaveBeenCalled();
  report(
    `idempotency: ${name}`,
    `${answers.length} requests on one key, 1 answer, 1 processor call; other input: IDEMPOTENCY_KEY_REUSED, 0 rows changed`,
  );
  return first;
}

describe('one idempotency key, one effect', () => {
  it('refundTransaction', async () => {
    const { payment: charged } = await shop.paidInvoice(8000);
    const { payment: other } = await shop.paidInvoice(9000);
    const refund = await checkOneKeyOneEffect(
      'refundTransaction',
      spies.refund,
      (key) => shop.refund(charged.id, key),
      (key) => shop.refund(other.id, key),
    );
    expect(refund).toMatchObject({ kind: 'REFUND', status: 'SUCCEEDED', amount: { amount: '8000' } });
    expect((await shop.transaction(charged.id)).refundedAmount.amount).toBe('8000');
    expect((await shop.transaction(other.id)).refundedAmount.amount).toBe('0');
    await invariant();
  });

  it('issueCreditMemoRefund', async () => {
    const paid = await shop.paidInvoice(10000);
    const memo = await shop.creditMemo(paid.id, 3000);
    const otherMemo = await shop.creditMemo(paid.id, 1000);
    const issued = await checkOneKeyOneEffect(
      'issueCreditMemoRefund',
      spies.refund,
      (key) => shop.issueMemoRefund(memo.id, key),
      (key) => shop.issueMemoRefund(otherMemo.id, key),
    );
    expect(issued.refunds).toEqual([expect.objectContaining({ status: 'SUCCEEDED', amount: { amount: '3000' } })]);
    expect((await shop.readInvoice(paid.id)).amountPaid.amount).toBe('7000');
    await invariant();
  });

  it('virtualTerminalCharge', async () => {
    const input = {
      amount: '4500',
      currency: 'USD',
      description: 'Counter sale',
      customerId: shop.customerId,
      paymentMethodToken: 'pm_card_visa',
    };
    const charge = (key: string, amount = input.amount) =>
      shop.client
        .request(VirtualTerminalChargeDocument, { input: { ...input, amount }, idempotencyKey: key })
        .then((data) => data.virtualTerminalCharge);
    const result = await checkOneKeyOneEffect(
      'virtualTerminalCharge',
      spies.createPayment,
      (key) => charge(key),
      (key) => charge(key, '4501'),
    );
    expect(result).toMatchObject({ status: 'SUCCEEDED', channel: 'VIRTUAL_TERMINAL', amount: { amount: '4500' } });
    await invariant();
  });

  it('collectTerminalPayment', async () => {
    const invoice = await shop.sentInvoice(6500);
    const otherInvoice = await shop.sentInvoice(7500);
    const collect = (key: string, invoiceId: string) =>
      shop.client
        .request(CollectTerminalPaymentDocument, { readerId, invoiceIds: [invoiceId], idempotencyKey: key })
        .then((data) => data.collectTerminalPayment);
    const pending = await checkOneKeyOneEffect(
      'collectTerminalPayment',
      spies.collectOnReader,
      (key) => collect(key, invoice.id),
      (key) => collect(key, otherInvoice.id),
    );
    expect(pending).toMatchObject({ status: 'PROCESSING', channel: 'TERMINAL', amount: { amount: '6500' } });
    expect((await shop.readInvoice(invoice.id)).transactions).toHaveLength(1);
    expect((await shop.readInvoice(otherInvoice.id)).transactions).toEqual([]);
    await invariant();
  });
});
