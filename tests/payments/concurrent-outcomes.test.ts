import { randomUUID } from 'node:crypto';
import { ChargeInvoicesDocument, InvoiceDocument } from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { openShop, type Shop } from '../support/shop.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  // A processor that takes a moment, so that the two payments' outcomes are recorded at the same time.
  t = await startTestApi({ SANDBOX_LATENCY_MS: '40' });
  shop = await openShop(t, 'Racing Outcomes', { name: 'Bloom', email: 'ap@bloom.example' });
});
afterAll(() => t.close());

/**
 * Phase 3 reads an invoice's amounts without locking it and writes its status at the version it read.
 * Two half payments of one invoice each see the other one in flight: without the version check
 * both would leave it PARTIALLY_PAID; with it, the later one runs again and finds it PAID.
 */
describe('outcomes of two payments on one invoice, recorded at the same time', () => {
  it('always leave the invoice PAID', async () => {
    const statuses: string[] = [];
    for (let round = 0; round < 12; round++) {
      const { id } = await shop.sentInvoice({
        number: `R-${randomUUID().slice(0, 8)}`,
        lines: [{ description: 'Tulips', quantity: 1, unitAmount: '10000' }],
      });
      const allocations = [{ invoiceId: id, amount: '5000' }];
      const half = () =>
        shop.client.request(ChargeInvoicesDocument, {
          input: { customerId: shop.customerId, invoiceIds: [id], allocations, paymentMethodToken: 'pm_card_visa' },
          idempotencyKey: randomUUID(),
        });
      const answers = await Promise.all([half(), half()]);
      expect(answers.map((a) => a.chargeInvoices.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const invoice = (await shop.client.request(InvoiceDocument, { id })).invoice!;
      expect(invoice).toMatchObject({ amountPaid: { amount: '10000' }, amountDue: { amount: '0' } });
      statuses.push(invoice.status);
    }
    expect(new Set(statuses)).toEqual(new Set(['PAID']));
  });
});
