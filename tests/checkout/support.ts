import { randomUUID } from 'node:crypto';
import { InvoiceDocument } from '@kometpay/schema/merchant';
import type { Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../support/api.js';
import { accessibilityViolations, launchChromium, openWatchedPage, type TestBrowser, type WatchedPage } from '../support/browser.js';
import { freePort, type RunningCheckout, startCheckout } from '../support/checkout.js';
import { openShop, type Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox } from '../support/smtp.js';

export const BUYER = { name: 'Bloom & Stem', email: 'ap@bloom.example' };

/**
 * The pay page as a customer meets it: the API (emailing over a real SMTP server), the built
 * checkout as its own process and headless Chromium, with Acme Flowers selling to Bloom & Stem.
 * `closePages()` closes what a test opened and answers what the pages' consoles reported.
 */
export class PayPageRig {
  private readonly pages: WatchedPage[] = [];

  private constructor(
    readonly t: TestApi,
    readonly mail: TestMailbox,
    readonly checkout: RunningCheckout,
    readonly browser: TestBrowser,
    readonly shop: Shop,
  ) {}

  static async start(): Promise<PayPageRig> {
    // The API writes the checkout's URL into emails and its CORS header, so the checkout's port comes first.
    const checkoutPort = await freePort();
    const mail = await startSmtpServer();
    const t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: `http://127.0.0.1:${checkoutPort}`, SANDBOX_ACH_SETTLE_SECONDS: '2' });
    const [checkout, browser] = await Promise.all([startCheckout({ port: checkoutPort, apiUrl: t.url }), launchChromium()]);
    return new PayPageRig(t, mail, checkout, browser, await openShop(t, 'Acme Flowers', BUYER));
  }

  /** An invoice of $289.90 in two lines, sent, and the pay link from the email received over SMTP. */
  async sentInvoice(seller = this.shop): Promise<{ id: string; number: string; url: string }> {
    const number = `INV-${randomUUID().slice(0, 6).toUpperCase()}`;
    const lines = [
      { description: 'Red roses, 50 stems', quantity: 4, unitAmount: '6250' },
      { description: 'Eucalyptus, bunch', quantity: 3, unitAmount: '1330' },
    ];
    const { id } = await seller.sentInvoice({ number, dueDate: '2030-06-30', lines });
    const email = await this.mail.waitFor((m) => m.subject?.includes(number) === true);
    return { id, number, url: payLinkIn(email) };
  }

  async invoice(id: string) {
    return (await this.shop.client.request(InvoiceDocument, { id })).invoice!;
  }

  /** A new page, watched for CSP violations, script errors and hydration warnings. */
  newPage(viewport?: { width: number; height: number }): Promise<Page> {
    return openWatchedPage(this.browser, this.pages, viewport);
  }

  /** Opens a pay page and waits until it is interactive (the Pay button is enabled once hydrated). */
  async openPayable(url: string, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await this.newPage(viewport);
    await page.goto(url);
    await page.waitForSelector('button[type=submit]:not([disabled])');
    return page;
  }

  async closePages(): Promise<string[]> {
    const opened = this.pages.splice(0);
    await Promise.all(opened.map(({ page }) => page.close()));
    return opened.flatMap(({ problems }) => problems);
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.checkout?.close();
    await this.t?.close();
    await this.mail?.close();
  }
}

export async function expectAccessible(page: Page) {
  expect(await accessibilityViolations(page)).toEqual([]);
}
