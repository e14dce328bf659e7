import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page, Request } from 'playwright-core';
import { StripeMock } from '../apps/api/src/processors/stripe/__tests__/stripe-mock-server.js';
import { type TestApi, type TestMerchant, startTestApi } from './support/api.js';
import {
  type TestBrowser,
  type WatchedPage,
  accessibilityViolations,
  artifactsDir,
  fillCard,
  focusedId,
  heading,
  launchChromium,
  openWatchedPage,
  recordScripts,
  screenshot,
  text,
} from './support/browser.js';
import { type RunningCheckout, freePort, startCheckout } from './support/checkout.js';
import { type TestMailbox, payLinkIn, startSmtpServer } from './support/smtp.js';

type Json = Record<string, any>;

/** The pay page's JavaScript budget in sandbox mode, gzipped. */
const JS_BUDGET_BYTES = 30 * 1024;
const DAY_MS = 86_400_000;

const INVOICE = `query ($id: ID!) { invoice(id: $id) { status amountDue { amount } transactions { status channel method } } }`;

let t: TestApi;
let mail: TestMailbox;
let checkout: RunningCheckout;
let browser: TestBrowser;
let merchant: TestMerchant;
/** The pages a test opened, with what their consoles reported (CSP violations, script errors, hydration warnings). */
const pages: WatchedPage[] = [];

beforeAll(async () => {
  // The API writes the checkout's URL into emails and its CORS header, so the checkout's port comes first.
  const checkoutPort = await freePort();
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: `http://127.0.0.1:${checkoutPort}`, SANDBOX_ACH_SETTLE_SECONDS: '2' });
  [checkout, browser] = await Promise.all([startCheckout({ port: checkoutPort, apiUrl: t.url }), launchChromium()]);
  merchant = await t.createMerchant('Acme Flowers');
}, 60_000);

afterEach(async () => {
  const opened = pages.splice(0);
  await Promise.all(opened.map(({ page }) => page.close()));
  expect(opened.flatMap(({ problems }) => problems)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await checkout?.close();
  await t?.close();
  await mail?.close();
});

/** An invoice of $289.90 in two lines, sent, and the pay link from the email received over SMTP. */
async function sentInvoice(owner = merchant): Promise<{ id: string; number: string; url: string }> {
  const number = `INV-${randomUUID().slice(0, 6).toUpperCase()}`;
  const lines = [
    { description: 'Red roses, 50 stems', quantity: 4, unitAmount: '6250' },
    { description: 'Eucalyptus, bunch', quantity: 3, unitAmount: '1330' },
  ];
  const customer = await owner.client().request<Json>(`mutation { createCustomer(input: { name: "Bloom & Stem", email: "ap@bloom.example" }) { id } }`);
  const { createInvoice } = await owner.client().request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
    input: { customerId: customer.createCustomer.id, number, currency: 'USD', dueDate: '2030-06-30', lines },
  });
  await owner.client().request(`mutation ($id: ID!) { sendInvoice(id: $id) { id } }`, { id: createInvoice.id });
  const email = await mail.waitFor((m) => m.subject?.includes(number) === true);
  return { id: createInvoice.id, number, url: payLinkIn(email) };
}

const invoice = async (id: string) => (await merchant.client().request<Json>(INVOICE, { id })).invoice;

const newPage = (viewport?: { width: number; height: number }) => openWatchedPage(browser, pages, viewport);

/** Opens a pay page and waits until it is interactive (the Pay button is enabled once hydrated). */
async function openPayable(url: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await newPage(viewport);
  await page.goto(url);
  await page.waitForSelector('button[type=submit]:not([disabled])');
  return page;
}

async function expectAccessible(page: Page) {
  expect(await accessibilityViolations(page)).toEqual([]);
}


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
    await merchant.client().request(`mutation ($id: ID!, $input: UpdateInvoiceInput!) { updateInvoice(id: $id, input: $input) { id } }`, {
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

    expect(await invoice(sent.id)).toMatchObject({ status: 'PAID', amountDue: { amount: '0' }, transactions: [{ status: 'SUCCEEDED', channel: 'PAYMENT_LINK', method: 'CREDIT_CARD' }] });
    // The card number went to the tokeniser only; the checkout server saw a token.
    const carrying = (request: Request) => request.postData()?.includes('4242424242424242') === true;
    expect(requests.filter(carrying).map((request) => request.url())).toEqual([`${t.url}/sandbox/v1/payment_methods`]);
    const payments = requests.filter((request) => request.url().endsWith('/payments'));
    expect(payments).toHaveLength(1);
    expect(JSON.parse(payments[0].postData()!)).toEqual({ paymentMethodToken: expect.stringMatching(/^pm_/), idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
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
    expect(await alert.innerText()).toBe('Your card was declined. You have not been charged. Please try another card, or contact your bank.');
    expect(await cardNumber.getAttribute('aria-describedby')).toContain('payment-problem');
    expect(await focusedId(page)).toBe('card-number');
    expect(await text(page, '.amount-due')).toBe('$289.90');
    await expectAccessible(page);
    await screenshot(page, 'declined');

    await cardNumber.fill('4242424242424242');
    await page.getByRole('button', { name: 'Pay $289.90' }).click();
    await heading(page, 'Payment successful');
    expect((await invoice(sent.id)).transactions.map((tx: Json) => tx.status)).toEqual(['FAILED', 'SUCCEEDED']);
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

  it('says an invoice paid through another channel is paid, and offers no way to pay', async () => {
    const sent = await sentInvoice();
    await merchant.client().request(
      `mutation ($id: ID!, $key: String!) { recordOfflinePayment(invoiceId: $id, amount: "28990", method: CHECK, reference: "CHK-88", idempotencyKey: $key) { id } }`,
      { id: sent.id, key: randomUUID() },
    );
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
    await merchant.client().request(`mutation ($id: ID!) { resendInvoice(id: $id) { id } }`, { id: sent.id });
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
    await merchant.client().request(`mutation ($id: ID!) { voidInvoice(id: $id) { id } }`, { id: sent.id });
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

describe('the hosted checkout in Stripe mode', () => {
  let stripe: StripeMock;
  let stripeApi: TestApi;
  let stripeCheckout: RunningCheckout;

  beforeAll(async () => {
    const port = await freePort();
    stripe = await StripeMock.start();
    stripeApi = await startTestApi({
      PAYMENT_PROCESSOR: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_kometpay',
      STRIPE_WEBHOOK_SECRET: 'whsec_kometpay_checkout',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_kometpay',
      STRIPE_API_BASE: `http://127.0.0.1:${stripe.port}`,
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
    const sent = await sentInvoice(await stripeApi.createMerchant('Acme Flowers'));
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
    expect(await page.getByRole('alert').innerText()).toBe('The secure payment form could not be loaded. Please check your connection and reload this page.');
    expect(stripeRequests).toEqual(['https://js.stripe.com/v3/']);
    expect(await page.getByRole('button', { name: 'Pay $289.90' }).isDisabled()).toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'stripe-unreachable');
  });
});
