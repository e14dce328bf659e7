import { randomUUID } from 'node:crypto';
import { PayWithLinkDocument } from '@kometpay/schema/checkout';
import { MerchantProcessorAccountDocument, StartProcessorOnboardingDocument } from '@kometpay/schema/merchant';
import type { Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../support/api.js';
import { fillCard, heading, launchChromium, openWatchedPage, screenshot, type TestBrowser, type WatchedPage } from '../support/browser.js';
import { freePort, type RunningCheckout, startCheckout } from '../support/checkout.js';
import { eventually } from '../support/payments.js';
import { errorCode, openShop, type Shop } from '../support/shop.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';
import { BUYER, expectAccessible } from './support.js';

/**
 * A merchant whose sandbox account waits for onboarding (SANDBOX_ACCOUNTS_START_PENDING), as a
 * Stripe merchant waits for Stripe's: its pay page takes no payment, the sandbox's onboarding page
 * (in Chromium) walks the account to ACTIVE, and then the page takes the payment.
 */

let t: TestApi;
let mail: TestMailbox;
let checkout: RunningCheckout;
let browser: TestBrowser;
let shop: Shop;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  const checkoutPort = await freePort();
  mail = await startSmtpServer();
  t = await startTestApi({
    SMTP_URL: mail.url,
    CHECKOUT_URL: `http://127.0.0.1:${checkoutPort}`,
    SANDBOX_ACCOUNTS_START_PENDING: 'true',
  });
  [checkout, browser] = await Promise.all([startCheckout({ port: checkoutPort, apiUrl: t.url }), launchChromium()]);
  shop = await openShop(t, 'Pending Peonies', BUYER);
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

const newPage = (): Promise<Page> => openWatchedPage(browser, pages);
const accountStatus = async () => (await shop.client.request(MerchantProcessorAccountDocument)).merchant.processorAccount.status;

describe('a merchant whose processor account is not onboarded yet', () => {
  it('shows the customer that the merchant cannot take online payments yet: no form, no dead end, accessible', async () => {
    expect(await accountStatus()).toBe('PENDING_ONBOARDING');
    const sent = await shop.sentInvoice({ lines: [{ description: 'Peonies', quantity: 2, unitAmount: '4500' }] });
    const page = await newPage();
    await page.goto(sent.url);
    await heading(page, 'Online payment is not available yet');
    expect(await page.locator('main').innerText()).toContain('Pending Peonies cannot take online payments yet');
    expect(await page.locator('form, input, button').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Check again' }).count()).toBe(1);
    // The invoice itself is still shown: what is owed, and to whom.
    expect(await page.locator('.amount-due').innerText()).toBe('$90.00');
    await expectAccessible(page);
    await screenshot(page, 'pay-page-not-ready');

    const refused = await t.checkout
      .request(PayWithLinkDocument, { token: sent.token, paymentMethodToken: 'pm_card_visa', idempotencyKey: randomUUID() })
      .catch((error: unknown) => error);
    expect(errorCode(refused)).toBe('PROCESSOR_ACCOUNT_NOT_READY');
  });

  it("walks the sandbox account through the sandbox's onboarding page to ACTIVE, after which the pay page takes the payment", async () => {
    const sent = await shop.sentInvoice({ lines: [{ description: 'Peonies', quantity: 1, unitAmount: '3000' }] });
    const supervised = await shop.supervised();
    const { startProcessorOnboarding } = await supervised.request(StartProcessorOnboardingDocument, {
      returnUrl: sent.url,
      refreshUrl: sent.url,
    });
    expect(startProcessorOnboarding.url.startsWith(`${t.url}/sandbox/v1/accounts/acct_sbx_`)).toBe(true);
    expect(Date.parse(startProcessorOnboarding.expiresAt)).toBeGreaterThan(Date.now());

    const page = await newPage();
    await page.goto(startProcessorOnboarding.url);
    await heading(page, 'Set up your payments account');
    expect(await page.locator('#account-status').innerText()).toContain('Onboarding not complete');
    await expectAccessible(page);
    await screenshot(page, 'sandbox-onboarding');
    // Back where the link said (the checkout's own origin only), once the sandbox told the API.
    await Promise.all([page.waitForURL(sent.url), page.getByRole('button', { name: 'Complete onboarding' }).click()]);
    await eventually(async () => (await accountStatus()) === 'ACTIVE');

    await page.goto(sent.url);
    await page.waitForSelector('button[type=submit]:not([disabled])');
    await fillCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay $30.00' }).click();
    await heading(page, 'Payment successful');
  });

  it('sends the merchant back only to the console or the checkout from the onboarding page', async () => {
    const supervised = await shop.supervised();
    const { startProcessorOnboarding } = await supervised.request(StartProcessorOnboardingDocument, {
      returnUrl: 'https://elsewhere.example/next',
      refreshUrl: 'https://elsewhere.example/next',
    });
    const page = await newPage();
    await page.goto(startProcessorOnboarding.url);
    await heading(page, 'Set up your payments account');
    // Already active: nothing to complete, and no link to an address the page does not know.
    expect(await page.locator('#account-status').innerText()).toContain('Active');
    expect(await page.locator('a[href^="https://elsewhere.example"]').count()).toBe(0);
    expect(await page.locator('form').count()).toBe(0);
  });
});
