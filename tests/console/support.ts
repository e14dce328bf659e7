import type { Page } from 'playwright-core';
import { createStaff } from '../people/support.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { launchChromium, openWatchedPage, type TestBrowser, type WatchedPage } from '../support/browser.js';
import { freePort, type RunningApp, type RunningCheckout, startCheckout, startSvelteKitApp } from '../support/checkout.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';

export type RunningConsole = RunningApp;

/** The built console, as `startSvelteKitApp` runs it. Needs `npm run build -w @kometpay/console`. */
export const startConsole = (options: { port: number; apiUrl: string; env?: Record<string, string> }) =>
  startSvelteKitApp('console', options);

export const STAFF_PASSWORD = 'counter staff long password';

export interface ConsoleWorld {
  t: TestApi;
  mail: TestMailbox;
  console: RunningConsole;
  checkout: RunningCheckout | null;
  browser: TestBrowser;
  merchant: TestMerchant;
  /** A SUPERVISOR staff member of the merchant, with STAFF_PASSWORD. */
  staffEmail: string;
  /** The pages a test opened; `closePages()` closes them and answers what their consoles reported. */
  pages: WatchedPage[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  closePages(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The real API (in this process, on its own database), the built console (and, if asked, the built
 * checkout) as processes configured as in production, a real SMTP server, Debian's Chromium, and a
 * merchant with a supervisor who signs in.
 */
export async function startConsoleWorld({
  withCheckout = false,
  env = {},
}: {
  withCheckout?: boolean;
  env?: Record<string, string>;
} = {}): Promise<ConsoleWorld> {
  const [consolePort, checkoutPort] = [await freePort(), await freePort()];
  const mail = await startSmtpServer();
  const t = await startTestApi({
    SMTP_URL: mail.url,
    CONSOLE_URL: `http://127.0.0.1:${consolePort}`,
    CHECKOUT_URL: `http://127.0.0.1:${checkoutPort}`,
    // Every sign-in of a test file comes from 127.0.0.1: the limits are the people tests' subject.
    SIGN_IN_MAX_FAILED_PER_ADDRESS: '1000',
    ...env,
  });
  const [consoleServer, checkout, browser] = await Promise.all([
    startConsole({ port: consolePort, apiUrl: t.url }),
    withCheckout ? startCheckout({ port: checkoutPort, apiUrl: t.url }) : null,
    launchChromium(),
  ]);
  const merchant = await t.createMerchant('Console Flowers');
  const staffEmail = `dana-${merchant.id.slice(0, 8)}@console.example`;
  await createStaff(t, merchant, { email: staffEmail, name: 'Dana Reyes', role: 'SUPERVISOR', password: STAFF_PASSWORD });
  const pages: WatchedPage[] = [];
  return {
    t,
    mail,
    console: consoleServer,
    checkout,
    browser,
    merchant,
    staffEmail,
    pages,
    async newPage(viewport) {
      const page = await openWatchedPage(browser, pages, viewport);
      // Shorter than a test's own timeout, so that a wait that fails names its step.
      page.setDefaultTimeout(10_000);
      return page;
    },
    async closePages() {
      const opened = pages.splice(0);
      await Promise.all(opened.map(({ page }) => page.close()));
      return opened.flatMap(({ problems }) => problems);
    },
    async close() {
      await browser?.close();
      await consoleServer?.close();
      await checkout?.close();
      await t?.close();
      await mail?.close();
    },
  };
}

/** Signs in on the console's sign-in page (from wherever the page was sent), and waits for the page after it. */
export async function signIn(page: Page, email: string, password = STAFF_PASSWORD): Promise<void> {
  // Typed before hydration, the fields could be reset by it (a cold console under load answered the sign-in page again).
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/sign-in')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** A new page, signed in, at `path`. */
export async function signedInPage(world: ConsoleWorld, path = '/', viewport?: { width: number; height: number }): Promise<Page> {
  const page = await world.newPage(viewport);
  await page.goto(`${world.console.url}${path}`);
  if (new URL(page.url()).pathname === '/sign-in') await signIn(page, world.staffEmail);
  return page;
}

/** Waits until SvelteKit's client has started on the page (forms enhanced) and its live stream is open. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('html[data-hydrated="true"][data-live="ready"]').waitFor({ state: 'attached', timeout: 10_000 });
}

/** Types a test card into the console's card form (any future expiry, CVC 123). */
export async function fillConsoleCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry month').fill('12');
  await page.getByLabel('Expiry year').fill('2034');
  await page.getByLabel('Security code').fill('123');
}
