import { randomUUID } from 'node:crypto';
import { PaymentLinkStatusDocument } from '@kometpay/schema/checkout';
import { startTestApi, type TestApi } from '../support/api.js';
import { openShop, type Shop } from '../support/shop.js';
import { type Recording, subscribe, wsUrl } from '../support/subscriptions.js';

let t: TestApi;
let shop: Shop;
const open: Recording<unknown>[] = [];

beforeAll(async () => {
  t = await startTestApi();
  shop = await openShop(t, 'Acme Flowers', { name: 'Bloom & Stem', email: `ap-${randomUUID()}@bloom.example` });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((recording) => recording.dispose()));
});
afterAll(() => t.close());

/** The pay page's live status over graphql-ws, closed after the test. */
function linkStatus(token: string) {
  const recording = subscribe(wsUrl(t.url, '/checkout/graphql'), PaymentLinkStatusDocument, { token }, '');
  open.push(recording as Recording<unknown>);
  return recording;
}

const pay = (invoiceId: string, amount: string) => shop.recordOffline(invoiceId, amount);

describe('paymentLinkStatus (checkout)', () => {
  it('emits the current view of the link, then an update after each payment', async () => {
    const invoice = await shop.sentInvoice({
      number: `INV-${randomUUID().slice(0, 8)}`,
      lines: [{ description: 'Roses', quantity: 1, unitAmount: '5000' }],
    });
    const stream = linkStatus(invoice.token);
    const [now] = await stream.waitForResults(1);
    expect(now.paymentLinkStatus).toEqual({
      status: 'PAYABLE',
      invoiceNumber: invoice.number,
      amountPaid: { amount: '0' },
      amountDue: { amount: '5000', formatted: '$50.00' },
    });

    await pay(invoice.id, '2000');
    const [, partly] = await stream.waitForResults(2);
    expect(partly.paymentLinkStatus).toMatchObject({ status: 'PAYABLE', amountPaid: { amount: '2000' }, amountDue: { amount: '3000' } });
    await pay(invoice.id, '3000');
    const [, , paid] = await stream.waitForResults(3);
    expect(paid.paymentLinkStatus).toMatchObject({ status: 'PAID', amountDue: { amount: '0' } });
  });

  it('answers NOT_FOUND for an unknown token', async () => {
    const stream = linkStatus('no-such-token');
    await stream.waitForEnd();
    expect(stream.results).toEqual([]);
    expect(stream.errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'token' });
  });
});
