import { startTestApi, type TestApi } from '../support/api.js';
import { type Outcome, outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  t = await startTestApi();
  shop = await Shop.open(await t.createMerchant('Refunding Flowers'), t.url);
});
afterAll(() => scanAndClose('concurrent refunds', t));

/** Refusals that say why no money went back: the credit, the payment or the memo is used up. */
const REFUSED = new Set(['AMOUNT_EXCEEDS_CREDITABLE', 'NOTHING_TO_REFUND', 'ALREADY_REFUNDED']);

describe('partial refunds racing on one paid invoice', () => {
  it('never refunds more than was captured: 10 concurrent 30% refunds, with and without full refunds', async () => {
    const rounds = pick(6, 40);
    const tally = new Map<string, number>();
    let capturedTotal = 0n;
    let refundedTotal = 0n;
    for (let round = 0; round < rounds; round++) {
      const total = 10_000n;
      const { id } = await shop.sentInvoice(total);
      // Every other round the invoice is paid in two charges, so that memo refunds spread over both;
      // every other pair of rounds, full refunds of the charges race the partial ones.
      const withFullRefunds = round % 4 >= 2;
      const charges =
        round % 2
          ? [
              await shop.charge([id], 'pm_card_visa', undefined, [{ invoiceId: id, amount: '6000' }]),
              await shop.charge([id], 'pm_card_visa_debit'),
            ]
          : [await shop.charge([id], 'pm_card_visa')];
      const partialRefund = async () => {
        const memo = await shop.creditMemo(id, (total * 30n) / 100n);
        return shop.issueMemoRefund(memo.id);
      };
      const attempts: Promise<Outcome<unknown>>[] = [
        ...Array.from({ length: 10 }, () => outcome(partialRefund())),
        ...(withFullRefunds ? charges.map((charge) => outcome(shop.refund(charge.id))) : []),
      ];
      for (const result of await Promise.all(attempts)) {
        const label = result.ok ? 'refunded' : result.code;
        tally.set(label, (tally.get(label) ?? 0) + 1);
        if (!result.ok) expect(REFUSED).toContain(result.code);
      }
      const captured = charges.reduce((sum, charge) => sum + BigInt(charge.amount.amount), 0n);
      const after = await Promise.all(charges.map((charge) => shop.transaction(charge.id)));
      const refunded = after.reduce((sum, charge) => sum + BigInt(charge.refundedAmount.amount), 0n);
      for (const charge of after) expect(BigInt(charge.refundedAmount.amount)).toBeLessThanOrEqual(BigInt(charge.amount.amount));
      expect(refunded).toBeLessThanOrEqual(captured);
      expect(BigInt((await shop.readInvoice(id)).amountPaid.amount)).toBe(captured - refunded);
      capturedTotal += captured;
      refundedTotal += refunded;
    }
    const figures = await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'concurrent refunds',
      `${rounds} rounds x 10 concurrent 30% memo refunds (half of them racing a full refund per charge), refunded ${refundedTotal} of ${capturedTotal} captured, ${figures.refunds} processor refunds = succeeded refunds, outcomes ${JSON.stringify(Object.fromEntries([...tally].sort()))}, 0 over-refunds`,
    );
  });
});
