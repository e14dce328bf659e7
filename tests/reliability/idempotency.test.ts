import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { startTestApi, type TestApi } from '../support/api.js';
import { outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';

let t: TestApi;
let shop: Shop;
let processorCalls: jest.Spied<Awaited<ReturnType<TestApi['api']['deps']['processors']['of']>>['createPayment']>;

beforeAll(async () => {
  // A processor that takes a moment, as a real one does, so that duplicates really overlap.
  t = await startTestApi({ SANDBOX_LATENCY_MS: '150' });
  shop = await Shop.open(await t.createMerchant('Idempotent Flowers'), t.url);
  processorCalls = jest.spyOn(await t.api.deps.processors.of(shop.merchant.id), 'createPayment');
});
afterAll(() => scanAndClose('idempotency', t));

const invariant = () => assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });

describe('one idempotency key, one payment', () => {
  it('replays the same key and input 100 times with one processor call, one transaction and identical answers', async () => {
    const rounds = pick(1, 5);
    let requests = 0;
    let mismatches = 0;
    processorCalls.mockClear();
    for (let round = 0; round < rounds; round++) {
      const viaLink = await shop.sentInvoice(12345);
      const viaMerchant = await shop.sentInvoice(23456);
      const linkKey = randomUUID();
      const chargeKey = randomUUID();
      const linkAnswers: string[] = [];
      const chargeAnswers: string[] = [];
      for (let i = 0; i < 100; i++) {
        linkAnswers.push(JSON.stringify(await shop.payWithLink(viaLink.token, 'pm_card_visa', linkKey)));
        chargeAnswers.push(JSON.stringify(await shop.charge([viaMerchant.id], 'pm_card_visa', chargeKey)));
        requests += 2;
      }
      mismatches += new Set(linkAnswers).size - 1 + new Set(chargeAnswers).size - 1;
      expect(new Set(linkAnswers)).toEqual(new Set([linkAnswers[0]]));
      expect(new Set(chargeAnswers)).toEqual(new Set([chargeAnswers[0]]));
      expect(JSON.parse(linkAnswers[0]).status).toBe('SUCCEEDED');
      expect(JSON.parse(chargeAnswers[0]).status).toBe('SUCCEEDED');
      expect((await shop.readInvoice(viaLink.id)).transactions).toHaveLength(1);
      expect((await shop.readInvoice(viaMerchant.id)).transactions).toHaveLength(1);
    }
    expect(processorCalls).toHaveBeenCalledTimes(2 * rounds);
    await invariant();
    report(
      'replay',
      `${requests} requests over ${2 * rounds} keys, ${processorCalls.mock.calls.length} processor calls, ${2 * rounds} transactions, ${mismatches} differing answers, 0 failures`,
    );
  });

  it('refuses the same key with another input (IDEMPOTENCY_KEY_REUSED) and changes nothing', async () => {
    const paidByLink = await shop.sentInvoice(5000);
    const charged = await shop.sentInvoice(6000);
    const untouched = await shop.sentInvoice(7000);
    const linkKey = randomUUID();
    const chargeKey = randomUUID();
    await shop.payWithLink(paidByLink.token, 'pm_card_visa', linkKey);
    await shop.charge([charged.id], 'pm_card_visa', chargeKey);
    processorCalls.mockClear();
    const before = await takeSnapshot(t.db.url);
    const reuses = [
      () => shop.charge([untouched.id], 'pm_card_visa', chargeKey),
      () => shop.charge([charged.id], 'pm_card_visa_debit', chargeKey),
      () => shop.payWithLink(paidByLink.token, 'pm_card_visa_debit', linkKey),
    ];
    const codes = [];
    for (const reuse of reuses) codes.push(await outcome(reuse()));
    expect(codes).toEqual(reuses.map(() => ({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' })));
    expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
    expect(processorCalls).not.toHaveBeenCalled();
    expect((await shop.readInvoice(untouched.id)).transactions).toEqual([]);
    await invariant();
    report(
      'key reuse',
      `${reuses.length} requests reusing a key with other input, ${reuses.length} IDEMPOTENCY_KEY_REUSED, 0 rows changed, 0 processor calls`,
    );
  });

  it('makes one processor call when 50 requests with one key arrive at once', async () => {
    const rounds = pick(2, 10);
    const tally = new Map<string, number>();
    let failures = 0;
    processorCalls.mockClear();
    for (let round = 0; round < rounds; round++) {
      const invoice = await shop.sentInvoice(7777);
      const key = randomUUID();
      // Half the rounds on the pay page, half on the merchant side: both share the idempotency path.
      const request =
        round % 2 ? () => shop.charge([invoice.id], 'pm_card_visa', key) : () => shop.payWithLink(invoice.token, 'pm_card_visa', key);
      const results = await Promise.all(Array.from({ length: 50 }, () => outcome(request())));
      const answers = new Set(results.flatMap((r) => (r.ok ? [JSON.stringify(r.value)] : [])));
      for (const r of results) tally.set(r.ok ? 'answered' : r.code, (tally.get(r.ok ? 'answered' : r.code) ?? 0) + 1);
      // A duplicate waits for the first; only a first that takes too long is answered IN_USE (retryable).
      expect(results.filter((r) => !r.ok && r.code !== 'IDEMPOTENCY_KEY_IN_USE')).toEqual([]);
      expect(answers.size).toBe(1);
      failures += results.filter((r) => !r.ok).length;
      expect((await shop.readInvoice(invoice.id)).transactions).toHaveLength(1);
    }
    expect(processorCalls).toHaveBeenCalledTimes(rounds);
    await invariant();
    report(
      'concurrent duplicates',
      `${rounds} x 50 concurrent requests, ${processorCalls.mock.calls.length} processor calls (1 per key), answers ${JSON.stringify(Object.fromEntries(tally))}, ${failures} failures`,
    );
  });
});
