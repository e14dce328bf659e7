import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UpdateInvoiceDocument } from '@kometpay/schema/merchant';
import type { Page, Request } from 'playwright-core';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { artifactsDir, fillCard, focusedId, heading, recordScripts, screenshot, text } from '../support/browser.js';
import { freePort, type RunningCheckout, startCheckout } from '../support/checkout.js';
import { openShop, type Shop } from '../support/shop.js';
import { type TestMailbox } from '../support/smtp.js';
import { stripeModeSettings } from '../support/stripe/connect.js';
import { StripeMock } from '../support/stripe/stripe-mock-server.js';
import { BUYER, expectAccessible, PayPageRig } from './support.js';

/** The pay page's JavaScript budget in sandbox mode, gzipped. */
const JS_BUDGET_BYTES = 30 * 1024;

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
const invoice = (id: string) => rig.invoice(id);
const newPage = (viewport?: { width: number; height: number }) => rig.newPage(viewport);
const openPayable = (url: string, viewport?: { width: number; height: number }) => rig.openPayable(url, viewport);

describe('the hosted checkout in a browser', () => {
  it('shows the emailed invoice fresh, pays it by card with the details sent only to the tokeniser, and shows the receipt', async () => {
    const sent = await sentInvoice();
    const page = await newPage();
    const scriptLog = recordScripts(page);
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));

    const response = await page.goto(sent.url);
    await page.waitForSelector('button[type=submit]:not([disabled])');
    const headers = response!.headers();
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    const policy = headers['content-security-policy'];
    expect(policy).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(policy).toMatch(/(^|; )script-src 'self'(;|$)/); // our own scripts, nothing inline, nothing third-party
    expect(policy).toMatch(new RegExp(`(^|; )connect-src 'self' ${t.url}(;|$)`));
    expect(policy).toContain("frame-ancestors 'none'");

    expect(await text(page, '.summary')).toEqual(expect.stringContaining('Acme Flowers'));
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(`Invoice ${sent.number}`);
    const rows = await page.locator('.lines tbody tr').allInnerTexts();
    expect(rows.map((row) => row.split('\t'))).toEqual([
      ['Red roses, 50 stems', '4', '$250.00'],
      ['Eucalyptus, bunch', '3', '$39.90'],
    ]);
    expect(await text(page, '.amount-due')).toBe('$289.90');
    expect(await text(page, '.summary')).toContain('Due June 30, 2030');
    expect(await page.getByRole('button', { name: 'Pay $289.90' }).count()).toBe(1);

    const scripts = await scriptLog.scripts();
    const gzipBytes = scripts.reduce((sum, script) => sum + script.gzipBytes, 0);
    expect(scripts.every((script) => script.url.startsWith(`${checkout.url}/_app/immutable/`))).toBe(true);
    await mkdir(path.join(artifactsDir, 'checkout'), { recursive: true });
    await writeFile(path.join(artifactsDir, 'checkout', 'pay-page-javascript.json'), JSON.stringify({ gzipBytes, scripts }, null, 2));
    expect(gzipBytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);

    await expectAccessible(page);
    await screenshot(page, 'payable', 'apps/checkout/docs/pay-page.png');

    // The merchant edits the invoice: the same link shows the new amount on reload.
    await merchant.client().request(UpdateInvoiceDocument, {
      id: sent.id,
      input: { lines: [{ description: 'Red roses, 50 stems', quantity: 5, unitAmount: '6250' }] },
    });
    await page.reload();
    await page.waitForSelector('button[type=submit]:not([disabled])');
    expect(await text(page, '.amount-due')).toBe('$312.50');

    // Hold the payment on its way to the checkout server to see the paying state, and try a double submit.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/payments', async (route) => {
      await held;
      await route.continue();
    });
    await fillCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay $312.50' }).click();
    const paying = page.getByRole('button', { name: 'Processing…' });
    await paying.waitFor();
    expect(await paying.isDisabled()).toBe(true);
    await screenshot(page, 'paying');
    await page.locator('form').evaluate((form) => (form as { requestSubmit(): void }).requestSubmit());
    release();

    await heading(page, 'Payment successful');
    expect(await focusedId(page)).toBe('screen-title');
    const receipt = await page.locator('.receipt').innerText();
    expect(receipt).toContain('$312.50');
    expect(receipt).toContain('Visa credit card ending in 4242');
    expect(receipt).toMatch(/Authorization code\s+[0-9A-F]{6}/);
    expect(receipt).toMatch(/Date\s+\w+ \d{1,2}, \d{4}/);
    expect(await text(page, '.amount-due')).toBe('$0.00');
    await expectAccessible(page);
    await screenshot(page, 'receipt');

    expect(await invoice(sent.id)).toMatchObject({
      status: 'PAID',
      amountDue: { amount: '0' },
      transactions: [{ status: 'SUCCEEDED', channel: 'PAYMENT_LINK', method: 'CREDIT_CARD' }],
    });
    // The card number went to the tokeniser only; the checkout server saw a token.
    const carrying = (request: Request) => request.postData()?.includes('4242424242424242') === true;
    expect(requests.filter(carrying).map((request) => request.url())).toEqual([`${t.url}/sandbox/v1/payment_methods`]);
    const payments = requests.filter((request) => request.url().endsWith('/payments'));
    expect(payments).toHaveLength(1);
    expect(JSON.parse(payments[0].postData()!)).toEqual({
      paymentMethodToken: expect.stringMatching(/^pm_/),
      idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('shows a tokeniser error next to its field, explains a decline, then takes another card', async () => {
    const sent = await sentInvoice();
    const page = await openPayable(sent.url);

    await fillCard(page, '5555 5555 5555 4444');
    await page.getByRole('button', { name: 'Pay $289.90' }).click();
    const cardNumber = page.getByLabel('Card number');
    await page.locator('#card-number-error:not(:empty)').waitFor();
    expect(await text(page, '#card-number-error')).toMatch(/test card numbers/);
    expect(await cardNumber.getAttribute('aria-invalid')).toBe('true');
    expect(await cardNumber.getAttribute('aria-describedby')).toContain('card-number-error');
    expect(await page.locator('#card-number-error').getAttribute('aria-live')).toBe('polite');
    expect(await focusedId(page)).toBe('card-number');
    await expectAccessible(page);
    await screenshot(page, 'card-error');

    await cardNumber.fill('4000 0000 0000 0002');
    expect(await cardNumber.getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: 'Pay $289.90' }).click();
    const alert = page.getByRole('alert');
    await page.locator('#payment-problem:not(:empty)').waitFor();
    expect(await alert.innerText()).toBe(
      'Your card was declined. You have not been charged. Please try another card, or contact your bank.',
    );
    expect(await cardNumber.getAttribute('aria-describedby')).toContain('payment-problem');
    expect(await focusedId(page)).toBe('card-number');
    expect(await text(page, '.amount-due')).toBe('$289.90');
    await expectAccessible(page);
    await screenshot(page, 'declined');

    await cardNumber.fill('4242424242424242');
    await page.getByRole('button', { name: 'Pay $289.90' }).click();
    await heading(page, 'Payment successful');
    expect((await invoice(sent.id)).transactions.map((tx) => tx.status)).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('takes a US bank account (ACH): processing, then settled without a reload, polling only the checkout', async () => {
    const sent = await sentInvoice();
    const page = await openPayable(sent.url);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));

    await page.getByLabel('US bank account (ACH)').check();
    await page.getByLabel('Account holder name').fill('Bloom & Stem');
    await page.getByLabel('Routing number').fill('110000000');
    await page.getByLabel('Account number').fill('000123456789');
    expect(await page.locator('.payment-form').innerText()).toContain('you authorize Acme Flowers to debit $289.90');
    await page.getByRole('button', { name: 'Pay $289.90' }).click();

    await heading(page, 'Payment processing');
    expect(await page.locator('.receipt').innerText()).toContain('Bank account ending in 6789');
    expect(await page.getByRole('status').innerText()).toContain('Waiting for the bank');
    await expectAccessible(page);
    await screenshot(page, 'ach-processing');

    await heading(page, 'Payment received');
    expect(await text(page, '.amount-due')).toBe('$0.00');
    expect((await invoice(sent.id)).status).toBe('PAID');
    await expectAccessible(page);
    await screenshot(page, 'ach-settled');
    const token = new URL(sent.url).pathname.split('/').pop();
    expect(requests.filter((url) => url === `${checkout.url}/pay/${token}/status`).length).toBeGreaterThanOrEqual(1);
    expect(requests.filter((url) => url.startsWith(t.url))).toEqual([`${t.url}/sandbox/v1/payment_methods`]);
  });

  it('fits a 360 px phone screen and 200% zoom without horizontal scrolling', async () => {
    const sent = await sentInvoice();
    const scrollWidth = (page: Page) => page.locator('html').evaluate((html) => html.scrollWidth);

    const phone = await openPayable(sent.url, { width: 360, height: 800 });
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(360);
    await screenshot(phone, 'phone-card');
    await phone.getByLabel('US bank account (ACH)').check();
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(360);
    await phone.getByRole('button', { name: /^Pay / }).click(); // empty: every field shows its error, the longest layout
    await phone.locator('#account-number-error:not(:empty)').waitFor();
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(360);
    await expectAccessible(phone);
    await screenshot(phone, 'phone-bank-errors');

    // A 1280 px wide window at 200% zoom lays the page out in 640 CSS pixels.
    const zoomed = await openPayable(sent.url, { width: 640, height: 450 });
    expect(await scrollWidth(zoomed)).toBeLessThanOrEqual(640);
    await screenshot(zoomed, 'zoom-200');
  });

  it('can be paid with the keyboard alone, with a visible focus at every stop', async () => {
    const sent = await sentInvoice();
    const page = await openPayable(sent.url);
    const stops: string[] = [];
    const tab = async () => {
      await page.keyboard.press('Tab');
      const focus = await page.locator(':focus').evaluate((element) => {
        const style = element.ownerDocument.defaultView!.getComputedStyle(element);
        const label = (element as { labels?: ArrayLike<{ textContent: string | null }> }).labels?.[0] ?? element;
        return { name: label.textContent!.trim(), outline: `${style.outlineStyle} ${style.outlineWidth}` };
      });
      expect([focus.name, focus.outline]).toEqual([focus.name, expect.stringMatching(/^solid [1-9]/)]);
      stops.push(focus.name);
    };

    await tab();
    await page.keyboard.press('ArrowRight'); // radio group: the arrow keys choose the method
    expect(await page.getByLabel('Routing number').count()).toBe(1);
    await page.keyboard.press('ArrowLeft');
    for (const value of ['4242424242424242', '12', '2034', '123']) {
      await tab();
      await page.keyboard.type(value);
    }
    await tab();
    expect(stops).toEqual(['Card', 'Card number', 'Expiry month', 'Expiry year', 'Security code', 'Pay $289.90']);
    await page.keyboard.press('Enter');
    await heading(page, 'Payment successful');
    expect(await focusedId(page)).toBe('screen-title');
    expect((await invoice(sent.id)).status).toBe('PAID');
  });
});

describe('the hosted checkout in Stripe mode', () => {
  let stripe: StripeMock;
  let stripeApi: TestApi;
  let stripeCheckout: RunningCheckout;

  beforeAll(async () => {
    const port = await freePort();
    stripe = await StripeMock.start();
    stripeApi = await startTestApi({
      ...stripeModeSettings(stripe.port, 'whsec_kometpay_checkout'),
      SMTP_URL: mail.url,
      CHECKOUT_URL: `http://127.0.0.1:${port}`,
    });
    stripeCheckout = await startCheckout({ port, apiUrl: stripeApi.url });
  }, 60_000);

  afterAll(async () => {
    await stripeCheckout?.close();
    await stripeApi?.close();
    await stripe?.close();
  });

  // Stripe.js only loads from js.stripe.com, which this machine cannot reach: what is checked here is
  // that the page asks for it (and only in this mode), allows it in its policy, and fails gracefully.
  it('loads Stripe.js from js.stripe.com, allows only Stripe in its policy, and says so plainly when Stripe.js is unreachable', async () => {
    const sent = await sentInvoice(await openShop(stripeApi, 'Acme Flowers', BUYER));
    const page = await newPage();
    const stripeRequests: string[] = [];
    await page.route('https://*.stripe.com/**', async (route) => {
      stripeRequests.push(route.request().url());
      await route.abort('internetdisconnected');
    });

    const response = await page.goto(sent.url);
    const policy = response!.headers()['content-security-policy'];
    expect(policy).toMatch(/(^|; )script-src 'self' https:\/\/js\.stripe\.com(;|$)/);
    expect(policy).toMatch(/(^|; )connect-src 'self' https:\/\/api\.stripe\.com(;|$)/);
    expect(policy).toMatch(/(^|; )frame-src https:\/\/js\.stripe\.com https:\/\/hooks\.stripe\.com(;|$)/);

    await page.locator('#payment-problem:not(:empty)').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(
      'The secure payment form could not be loaded. Please check your connection and reload this page.',
    );
    expect(stripeRequests).toEqual(['https://js.stripe.com/v3/']);
    expect(await page.getByRole('button', { name: 'Pay $289.90' }).isDisabled()).toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'stripe-unreachable');
  });

  /** What the pay page's script sends to the checkout server (the browser's JSON calls), answered as the page reads them. */
  const postJson = async (url: string, body: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  };

  it("confirms a 3-D Secure payment through the checkout server once Stripe.js has run the bank's check", async () => {
    const sent = await sentInvoice(await openShop(stripeApi, 'Acme Flowers', BUYER));
    const payments = `${stripeCheckout.url}${new URL(sent.url).pathname}/payments`;
    const waiting = await postJson(payments, { paymentMethodToken: 'pm_card_authenticationRequired', idempotencyKey: crypto.randomUUID() });
    expect(waiting).toMatchObject({
      kind: 'result',
      status: 'REQUIRES_ACTION',
      nextAction: { type: 'AUTHENTICATE', url: null, clientSecret: expect.stringMatching(/^pi_\w+_secret_\w+$/) },
    });
    // What Stripe.js handleNextAction does in the customer's browser (js.stripe.com is out of reach here).
    stripe.completeAction(waiting.nextAction.clientSecret.split('_secret_')[0], 'pass');
    expect(await postJson(`${payments}/${waiting.paymentId}/complete`, {})).toMatchObject({
      kind: 'result',
      status: 'SUCCEEDED',
      receipt: { last4: '3184' },
      link: { status: 'PAID' },
    });
  });

  it('verifies a bank account by its micro-deposits on the pay page in Stripe mode (no Stripe.js needed), telling the tries left', async () => {
    const sent = await sentInvoice(await openShop(stripeApi, 'Acme Flowers', BUYER));
    const payments = `${stripeCheckout.url}${new URL(sent.url).pathname}/payments`;
    const waiting = await postJson(payments, { paymentMethodToken: 'pm_usBankAccount_microdeposits', idempotencyKey: crypto.randomUUID() });
    expect(waiting).toMatchObject({
      status: 'REQUIRES_ACTION',
      nextAction: { type: 'VERIFY_MICRODEPOSITS', microdepositType: 'DESCRIPTOR_CODE' },
    });

    // The customer comes back from the instructions email.
    const page = await newPage();
    await page.goto(`${sent.url}?payment=${waiting.paymentId}`);
    await heading(page, 'Confirm your bank account');
    await page.waitForSelector('button[type=submit]:not([disabled])');
    await page.getByLabel('Code from the deposit').fill('SM99ZZ');
    await page.getByRole('button', { name: 'Confirm bank account' }).click();
    await page.getByRole('alert').filter({ hasText: '9 tries left' }).waitFor();
    await expectAccessible(page);
    await page.getByLabel('Code from the deposit').fill('SM11AA');
    await page.getByRole('button', { name: 'Confirm bank account' }).click();
    await heading(page, 'Payment processing');
    expect(
      stripe.requestsTo('POST', `/v1/payment_intents/${stripe.objectsOf('payment_intent').at(-1)!.id}/verify_microdeposits`),
    ).toHaveLength(2);
  });
});
