import { randomBytes, randomUUID } from 'node:crypto';
import { RecordOfflinePaymentDocument, ResendInvoiceDocument, VoidInvoiceDocument } from '@kometpay/schema/merchant';
import { type TestApi, type TestMerchant } from '../support/api.js';
import { heading, screenshot, text } from '../support/browser.js';
import { type RunningCheckout } from '../support/checkout.js';
import { type Shop } from '../support/shop.js';
import { payLinkIn, type TestMailbox } from '../support/smtp.js';
import { expectAccessible, PayPageRig } from './support.js';

const DAY_MS = 86_400_000;

let rig: PayPageRig;
let t: TestApi;
let mail: TestMailbox;
let checkout: RunningCheckout;
let merchant: TestMerchant;

beforeAll(async () => {
  rig = await PayPageRig.start();
  ({ t, mail, checkout } = rig);
  merchant = rig.shop.merchant;
}, 60_000);

afterEach(async () => {
  expect(await rig.closePages()).toEqual([]);
});

afterAll(() => rig?.close());

const sentInvoice = (seller?: Shop) => rig.sentInvoice(seller);
const newPage = (viewport?: { width: number; height: number }) => rig.newPage(viewport);
const openPayable = (url: string, viewport?: { width: number; height: number }) => rig.openPayable(url, viewport);

describe('the pay page of a link that takes no payment', () => {
  it('says an invoice paid through another channel is paid, and offers no way to pay', async () => {
    const sent = await sentInvoice();
    await merchant.client().request(RecordOfflinePaymentDocument, {
      invoiceId: sent.id,
      amount: '28990',
      method: 'CHECK',
      reference: 'CHK-88',
      idempotencyKey: randomUUID(),
    });
    const page = await newPage();
    await page.goto(sent.url);
    await heading(page, 'This invoice is paid');
    expect(await text(page, '.summary')).toMatch(/Paid\s+\$289\.90/);
    expect(await page.locator('form, input').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'already-paid');
  });

  it('sends the customer on from a replaced link to the newer one', async () => {
    const sent = await sentInvoice();
    await merchant.client().request(ResendInvoiceDocument, { id: sent.id });
    const resent = await mail.waitFor((m) => m.subject?.includes(sent.number) === true && payLinkIn(m) !== sent.url);

    const page = await newPage();
    await page.goto(sent.url);
    await heading(page, 'This payment link has been replaced');
    expect(await page.locator('main').innerText()).toContain(`Acme Flowers has emailed you a newer link for invoice ${sent.number}`);
    expect(await page.locator('form').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'superseded');

    const fresh = await openPayable(payLinkIn(resent));
    expect(await text(fresh, '.amount-due')).toBe('$289.90');
  });

  it('says a voided invoice has nothing to pay', async () => {
    const sent = await sentInvoice();
    await merchant.client().request(VoidInvoiceDocument, { id: sent.id });
    const page = await newPage();
    await page.goto(sent.url);
    await heading(page, 'This invoice was cancelled');
    expect(await page.locator('form').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'void');
  });

  it('answers an unknown or malformed token with a 404 that reveals nothing', async () => {
    const page = await newPage();
    for (const token of [randomBytes(32).toString('base64url'), 'not-a-token']) {
      const response = await page.goto(`${checkout.url}/pay/${token}`);
      expect(response!.status()).toBe(404);
      expect(response!.headers()['content-security-policy']).not.toContain(t.url);
      await heading(page, 'Page not found');
      const body = await page.locator('body').innerText();
      expect(body).not.toMatch(/Acme|invoice|expired|paid/i);
    }
    await expectAccessible(page);
    await screenshot(page, 'not-found');
  });

  // Last: it moves the API's clock, and its expiry job retires every older unpaid link.
  it('says an expired link was replaced by a newer one, which is payable', async () => {
    const sent = await sentInvoice();
    const emailsBefore = mail.messages.length;
    t.clock.advance(31 * DAY_MS);
    try {
      await t.orm.em.fork().execute(`select graphile_worker.add_job('expire-payment-links', '{}'::json)`);
      const renewed = await mail.waitFor((m) => mail.messages.indexOf(m) >= emailsBefore && m.subject?.includes(sent.number) === true);
      const page = await newPage();
      await page.goto(sent.url);
      await heading(page, 'This payment link has expired');
      expect(await page.locator('main').innerText()).toContain(`Acme Flowers has emailed you a newer link for invoice ${sent.number}`);
      await expectAccessible(page);
      await screenshot(page, 'expired');
      const fresh = await openPayable(payLinkIn(renewed));
      expect(await text(fresh, '.amount-due')).toBe('$289.90');
    } finally {
      t.clock.advance(-31 * DAY_MS);
    }
  });
});
