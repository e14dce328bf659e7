import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateCustomerDocument,
  CustomerVaultedCardsDocument,
  ElevateSupervisorDocument,
  SendCardSetupLinkDocument,
} from '@kometpay/schema/merchant';
import type { ParsedMail } from 'mailparser';
import type { Page, Request } from 'playwright-core';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import {
  accessibilityViolations,
  artifactsDir,
  fillCard,
  focusedId,
  heading,
  launchChromium,
  openWatchedPage,
  recordScripts,
  screenshot,
  type TestBrowser,
  text,
  type WatchedPage,
} from '../support/browser.js';
import { freePort, type RunningCheckout, startCheckout } from '../support/checkout.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';
import { stripeModeSettings } from '../support/stripe/connect.js';
import { StripeMock } from '../support/stripe/stripe-mock-server.js';

/** The add-card page's JavaScript budget, gzipped: the pay page's. */
const JS_BUDGET_BYTES = 30 * 1024;
const DAY_MS = 86_400_000;

let t: TestApi;
let mail: TestMailbox;
let checkout: RunningCheckout;
let browser: TestBrowser;
let merchant: TestMerchant;
let customerId: string;
/** The pages a test opened, with what their consoles reported (CSP violations, script errors, hydration warnings). */
const pages: WatchedPage[] = [];

beforeAll(async () => {
  // The API writes the checkout's URL into emails and its CORS header, so the checkout's port comes first.
  const checkoutPort = await freePort();
  mail = await startSmtpServer();
  // A small allowance of unknown-token lookups, so that the last test reaches the 429 page quickly.
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: `http://127.0.0.1:${checkoutPort}`, TOKEN_LOOKUP_MAX_MISSES: '10' });
  [checkout, browser] = await Promise.all([startCheckout({ port: checkoutPort, apiUrl: t.url }), launchChromium()]);
  merchant = await t.createMerchant('Acme Flowers');
  customerId = await createCustomer(merchant);
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

async function createCustomer(owner: TestMerchant): Promise<string> {
  const { createCustomer } = await owner
    .client()
    .request(CreateCustomerDocument, { input: { name: 'Bloom & Stem', email: 'cards@bloom.example' } });
  return createCustomer.id;
}

/** The merchant's API client with a fresh supervisor token (tokens last 10 minutes, and a test moves the clock). */
async function supervised(owner = merchant) {
  const { elevateSupervisor } = await owner.client().request(ElevateSupervisorDocument, { password: owner.supervisorPassword });
  return owner.client(elevateSupervisor.token);
}

/** The add-card link in an email's text part. */
function cardLinkIn(email: ParsedMail): string {
  const match = /(https?:\/\/\S+\/card\/[A-Za-z0-9_-]+)/.exec(email.text ?? '');
  if (!match) throw new Error(`no add-card link in email "${email.subject}"`);
  return match[1];
}

/** "Send New CC Link": the merchant sends the link, and the test takes it from the email received over SMTP. */
async function emailedCardLink(owner = merchant, customer = customerId, box = mail): Promise<string> {
  const before = box.messages.length;
  const { sendCardSetupLink } = await (await supervised(owner)).request(SendCardSetupLinkDocument, { customerId: customer });
  const email = await box.waitFor((m) => box.messages.indexOf(m) >= before && /\/card\//.test(m.text ?? ''));
  const url = cardLinkIn(email);
  expect(url).toBe(sendCardSetupLink.url);
  return url;
}

async function vaultedCards() {
  const { customer } = await (await supervised()).request(CustomerVaultedCardsDocument, { customerId });
  if (!customer) throw new Error(`customer ${customerId} not found`);
  return customer.vaultedCards;
}

const newPage = (viewport?: { width: number; height: number }) => openWatchedPage(browser, pages, viewport);

/** Opens an add-card page and waits until it is interactive (the button is enabled once hydrated). */
async function openActive(url: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await newPage(viewport);
  await page.goto(url);
  await page.waitForSelector('button[type=submit]:not([disabled])');
  return page;
}

async function expectAccessible(page: Page) {
  expect(await accessibilityViolations(page)).toEqual([]);
}

const scrollWidth = (page: Page) => page.locator('html').evaluate((html) => html.scrollWidth);

describe('the add-card page ("Send New CC Link") in a browser', () => {
  it('saves a card from the emailed link, with the details sent only to the tokeniser, and then says the link is used', async () => {
    const url = await emailedCardLink();
    expect(url.startsWith(`${checkout.url}/card/`)).toBe(true);
    const page = await newPage();
    const scriptLog = recordScripts(page);
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));

    const response = await page.goto(url);
    await page.waitForSelector('button[type=submit]:not([disabled])');
    const headers = response!.headers();
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    const policy = headers['content-security-policy'];
    expect(policy).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(policy).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(policy).toMatch(new RegExp(`(^|; )connect-src 'self' ${t.url}(;|$)`));
    expect(policy).toContain("frame-ancestors 'none'");

    expect(await page.title()).toBe('Save a card · Acme Flowers');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Save a card');
    const summary = await text(page, '.summary');
    expect(summary).toContain('Acme Flowers asked you to save a card');
    expect(summary).toMatch(/For\s+Bloom & Stem/);
    expect(summary).toMatch(/Link valid until\s+\w+ \d{1,2}, \d{4}/);
    expect(await page.getByRole('button', { name: 'Save card' }).count()).toBe(1);
    for (const label of ['Card number', 'Expiry month', 'Expiry year', 'Security code'])
      expect(await page.getByLabel(label).count()).toBe(1);

    const scripts = await scriptLog.scripts();
    const gzipBytes = scripts.reduce((sum, script) => sum + script.gzipBytes, 0);
    expect(scripts.map((script) => script.url)).toEqual([
      expect.stringMatching(new RegExp(`^${checkout.url}/_app/immutable/assets/card-island\\.`)),
    ]);
    await mkdir(path.join(artifactsDir, 'checkout'), { recursive: true });
    await writeFile(path.join(artifactsDir, 'checkout', 'card-page-javascript.json'), JSON.stringify({ gzipBytes, scripts }, null, 2));
    expect(gzipBytes).toBeLessThanOrEqual(JS_BUDGET_BYTES);

    await expectAccessible(page);
    await screenshot(page, 'card-active', 'apps/checkout/docs/card-page.png');

    // Hold the token on its way to the checkout server to see the saving state, and try a double submit.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/save', async (route) => {
      await held;
      await route.continue();
    });
    await fillCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Save card' }).click();
    const saving = page.getByRole('button', { name: 'Saving…' });
    await saving.waitFor();
    expect(await saving.isDisabled()).toBe(true);
    await screenshot(page, 'card-saving');
    await page.locator('form').evaluate((form) => (form as { requestSubmit(): void }).requestSubmit());
    release();

    await heading(page, 'Card saved');
    expect(await focusedId(page)).toBe('screen-title');
    expect(await text(page, '.action')).toContain('Your card ending 4242 is saved with Acme Flowers.');
    const details = await text(page, '.action .receipt');
    expect(details).toMatch(/Card\s+Visa ending in 4242/);
    expect(details).toMatch(/Expires\s+12\/2034/);
    expect(await page.locator('form, input').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'card-saved');

    expect(await vaultedCards()).toMatchObject([{ last4: '4242', brand: 'visa', expMonth: 12, expYear: 2034 }]);
    // The card number went to the tokeniser only; the checkout server saw a token, once.
    const carrying = (request: Request) => request.postData()?.includes('4242424242424242') === true;
    expect(requests.filter(carrying).map((request) => request.url())).toEqual([`${t.url}/sandbox/v1/payment_methods`]);
    const saves = requests.filter((request) => request.url().endsWith('/save'));
    expect(saves).toHaveLength(1);
    expect(JSON.parse(saves[0].postData()!)).toEqual({ paymentMethodToken: expect.stringMatching(/^pm_/) });

    // The link works once: opened again, it says so, with no form, no script and no tokeniser allowed.
    const again = await newPage();
    const againScripts = recordScripts(again);
    const reopened = await again.goto(url);
    await heading(again, 'This link was already used');
    expect(await text(again, 'main')).toContain('This link was already used to save a card');
    expect(await text(again, 'main')).toContain('please ask Acme Flowers for a new link');
    expect(reopened!.headers()['content-security-policy']).not.toContain(t.url);
    expect(await again.locator('form, input').count()).toBe(0);
    expect(await againScripts.scripts()).toEqual([]);
    await expectAccessible(again);
    await screenshot(again, 'card-used');
  });

  it('explains a declined card in plain words, tied to the card field, and the link then takes another card', async () => {
    const url = await emailedCardLink();
    const before = (await vaultedCards()).length;
    const page = await openActive(url);

    await fillCard(page, '4000 0000 0000 0002');
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.locator('#payment-problem:not(:empty)').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(
      'Your card was declined, so it was not saved. Please try another card, or contact your bank.',
    );
    const cardNumber = page.getByLabel('Card number');
    expect(await cardNumber.getAttribute('aria-describedby')).toContain('payment-problem');
    expect(await focusedId(page)).toBe('card-number');
    expect(await page.getByRole('button', { name: 'Save card' }).isEnabled()).toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'card-declined');
    expect(await vaultedCards()).toHaveLength(before);

    await cardNumber.fill('4242424242424242');
    await page.getByRole('button', { name: 'Save card' }).click();
    await heading(page, 'Card saved');
    expect(await text(page, '.action')).toContain('Your card ending 4242 is saved with Acme Flowers.');
    expect(await vaultedCards()).toHaveLength(before + 1);
  });

  it('fits a 360 px phone and 200% zoom, and saves with the keyboard alone, with a visible focus at every stop', async () => {
    const url = await emailedCardLink();

    // A 1280 px wide window at 200% zoom lays the page out in 640 CSS pixels.
    const zoomed = await openActive(url, { width: 640, height: 450 });
    expect(await scrollWidth(zoomed)).toBeLessThanOrEqual(640);
    await screenshot(zoomed, 'card-zoom-200');

    const page = await openActive(url, { width: 360, height: 800 });
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
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

    // Empty: every field shows its error (the longest layout), and focus goes to the first.
    for (let stop = 0; stop < 5; stop++) await tab();
    expect(stops).toEqual(['Card number', 'Expiry month', 'Expiry year', 'Security code', 'Save card']);
    await page.keyboard.press('Enter');
    await page.locator('#card-cvc-error:not(:empty)').waitFor();
    expect(await text(page, '#card-number-error')).toBe('Enter your card number.');
    expect(await page.getByLabel('Card number').getAttribute('aria-invalid')).toBe('true');
    expect(await focusedId(page)).toBe('card-number');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, 'card-phone-errors');

    stops.length = 0;
    await page.keyboard.type('4242424242424242');
    for (const value of ['12', '2034', '123']) {
      await tab();
      await page.keyboard.type(value);
    }
    await tab();
    expect(stops).toEqual(['Expiry month', 'Expiry year', 'Security code', 'Save card']);
    await page.keyboard.press('Enter');
    await heading(page, 'Card saved');
    expect(await focusedId(page)).toBe('screen-title');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'card-phone-saved');
  });

  it('says an expired link has expired and to ask the merchant for a new one, also to a page opened before it expired', async () => {
    const url = await emailedCardLink();
    const opened = await openActive(url);
    await fillCard(opened, '4242424242424242');
    t.clock.advance(8 * DAY_MS);
    try {
      await opened.getByRole('button', { name: 'Save card' }).click();
      await heading(opened, 'This link has expired');
      expect(await focusedId(opened)).toBe('screen-title');

      const page = await newPage();
      const scripts = recordScripts(page);
      const response = await page.goto(url);
      await heading(page, 'This link has expired');
      expect(await text(page, 'main')).toContain('Please ask Acme Flowers for a new link.');
      expect(response!.headers()['content-security-policy']).not.toContain(t.url);
      expect(await page.locator('form, input').count()).toBe(0);
      expect(await scripts.scripts()).toEqual([]);
      await expectAccessible(page);
      await screenshot(page, 'card-expired');
    } finally {
      t.clock.advance(-8 * DAY_MS);
    }
  });

  it('answers an unknown or malformed token with the pay page’s 404, which reveals nothing', async () => {
    const page = await newPage();
    for (const token of [randomBytes(32).toString('base64url'), 'not-a-token']) {
      const response = await page.goto(`${checkout.url}/card/${token}`);
      expect(response!.status()).toBe(404);
      expect(response!.headers()['cache-control']).toBe('no-store');
      expect(response!.headers()['content-security-policy']).not.toContain(t.url);
      await heading(page, 'Page not found');
      expect(await page.locator('body').innerText()).not.toMatch(/Acme|Bloom|card|expired|used/i);
    }
    await expectAccessible(page);
    await screenshot(page, 'card-not-found');

    const save = await fetch(`${checkout.url}/card/${randomBytes(32).toString('base64url')}/save`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paymentMethodToken: 'pm_card_visa' }),
    });
    expect(save.status).toBe(404);
  });

  // Last in this API: it uses up this address's allowance of unknown-token lookups.
  it('answers with a 429 page once an address has tried too many unknown links; a real link still opens', async () => {
    const url = await emailedCardLink();
    let status = 0;
    for (let tries = 0; tries < 30 && status !== 429; tries++) {
      status = (await fetch(`${checkout.url}/card/${randomBytes(32).toString('base64url')}`)).status;
    }
    expect(status).toBe(429);

    const page = await newPage();
    const response = await page.goto(`${checkout.url}/card/${randomBytes(32).toString('base64url')}`);
    expect(response!.status()).toBe(429);
    await heading(page, 'Please wait a moment');
    expect(await page.locator('body').innerText()).not.toMatch(/Acme|Bloom/);
    await expectAccessible(page);
    await screenshot(page, 'card-too-many-attempts');

    // Only misses are refused: whoever shares the guesser's address can still save their card.
    await openActive(url);
  });
});

describe('the add-card page in Stripe mode', () => {
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

  // Stripe.js only loads from js.stripe.com, which this machine cannot reach (see tests/checkout/pay-page.test.ts).
  it('loads Stripe.js from js.stripe.com, allows only Stripe in its policy, and says so plainly when Stripe.js is unreachable', async () => {
    const owner = await stripeApi.createMerchant('Acme Flowers');
    const url = await emailedCardLink(owner, await createCustomer(owner));
    expect(url.startsWith(`${stripeCheckout.url}/card/`)).toBe(true);
    const page = await newPage();
    const stripeRequests: string[] = [];
    await page.route('https://*.stripe.com/**', async (route) => {
      stripeRequests.push(route.request().url());
      await route.abort('internetdisconnected');
    });

    const response = await page.goto(url);
    const policy = response!.headers()['content-security-policy'];
    expect(policy).toMatch(/(^|; )script-src 'self' https:\/\/js\.stripe\.com(;|$)/);
    expect(policy).toMatch(/(^|; )connect-src 'self' https:\/\/api\.stripe\.com(;|$)/);
    expect(policy).toMatch(/(^|; )frame-src https:\/\/js\.stripe\.com https:\/\/hooks\.stripe\.com(;|$)/);

    await page.locator('#payment-problem:not(:empty)').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(
      'The secure card form could not be loaded. Please check your connection and reload this page.',
    );
    expect(stripeRequests).toEqual(['https://js.stripe.com/v3/']);
    expect(await page.getByRole('button', { name: 'Save card' }).isDisabled()).toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'card-stripe-unreachable');
  });
});
