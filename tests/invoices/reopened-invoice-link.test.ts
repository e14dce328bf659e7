import { randomUUID } from 'node:crypto';
import { PaymentLinkDocument, PayWithLinkDocument } from '@kometpay/schema/checkout';
import { InvoiceWithDetailDocument } from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { openShop, type Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox, tokenOf } from '../support/smtp.js';

const DAY_MS = 86_400_000;

let t: TestApi;
let mail: TestMailbox;
let shop: Shop;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url });
  shop = await openShop(t, 'Reopening Flowers', { name: 'Bloom', email: 'ap@bloom.example' });
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const sentInvoice = () => shop.sentInvoice({ lines: [{ description: 'Lilies', quantity: 1, unitAmount: '4200' }] });
const link = async (token: string) => (await shop.checkout.request(PaymentLinkDocument, { token })).paymentLink;
const payRefusal = (token: string) =>
  expectGraphQLError(shop.checkout, PayWithLinkDocument, { token, paymentMethodToken: 'pm_card_visa', idempotencyKey: randomUUID() });
const readInvoice = async (id: string) => (await shop.client.request(InvoiceWithDetailDocument, { id })).invoice!;
const runJob = (name: string) => t.orm.em.fork().execute(`select graphile_worker.add_job('${name}', '{}'::json)`);

describe('a link that expired, and an invoice that reopens', () => {
  it('says a newer link was emailed only when one was', async () => {
    const { token } = await sentInvoice();
    t.clock.advance(31 * DAY_MS);
    try {
      // Past its expiry, before the expiry job has replaced it: expired, and no newer link yet.
      expect(await link(token)).toMatchObject({ status: 'EXPIRED', newerLinkSent: false });
      expect(await payRefusal(token)).toMatchObject({
        extensions: { code: 'LINK_EXPIRED' },
        message: expect.stringMatching(/ask the merchant for a new one/),
      });
      await runJob('expire-payment-links');
      await t.jobsIdle();
      expect(await link(token)).toMatchObject({ status: 'EXPIRED', newerLinkSent: true });
      expect(await payRefusal(token)).toMatchObject({
        extensions: { code: 'LINK_EXPIRED' },
        message: expect.stringMatching(/a newer link was emailed/),
      });
    } finally {
      t.clock.advance(-31 * DAY_MS);
    }
  });

  it('gives a paid invoice that reopens after its link expired a new link, and emails it', async () => {
    const invoice = await sentInvoice();
    expect((await shop.payWithLink(invoice.token, 'pm_card_visa')).status).toBe('SUCCEEDED');
    t.clock.advance(31 * DAY_MS);
    try {
      // The expiry job retires the paid invoice's link without a successor: nothing to pay.
      await runJob('expire-payment-links');
      await t.jobsIdle();
      const paid = await readInvoice(invoice.id);
      expect(paid).toMatchObject({ status: 'PAID', paymentLinks: [{ status: 'EXPIRED' }] });
      expect(await link(invoice.token)).toMatchObject({ status: 'PAID', newerLinkSent: false });

      const emailsBefore = mail.messages.length;
      await shop.refund(paid.transactions[0].id);
      const email = await mail.waitFor((m) => mail.messages.indexOf(m) >= emailsBefore && m.subject?.includes(invoice.number) === true);
      const newToken = tokenOf(payLinkIn(email));
      expect(newToken).not.toBe(invoice.token);
      expect(await link(newToken)).toMatchObject({ status: 'PAYABLE', amountDue: { amount: '4200' } });
      expect(await link(invoice.token)).toMatchObject({ status: 'EXPIRED', newerLinkSent: true });
      const reopened = await readInvoice(invoice.id);
      expect(reopened).toMatchObject({ status: 'OPEN', paymentLinks: [{ status: 'ACTIVE' }, { status: 'EXPIRED' }] });
    } finally {
      t.clock.advance(-31 * DAY_MS);
    }
  });

  it('leaves a reopened invoice whose link is still live as it is: no second link', async () => {
    const invoice = await sentInvoice();
    await shop.payWithLink(invoice.token, 'pm_card_visa');
    const paid = await readInvoice(invoice.id);
    await shop.refund(paid.transactions[0].id);
    await t.jobsIdle();
    const reopened = await readInvoice(invoice.id);
    expect(reopened).toMatchObject({ status: 'OPEN', paymentLinks: [{ status: 'ACTIVE' }] });
    expect(await link(invoice.token)).toMatchObject({ status: 'PAYABLE', newerLinkSent: false });
  });
});
