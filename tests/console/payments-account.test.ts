import { MerchantProcessorAccountDocument } from '@kometpay/schema/merchant';
import { accessibilityViolations } from '../support/browser.js';
import { eventually } from '../support/payments.js';
import { type ConsoleWorld, hydrated, signedInPage, startConsoleWorld } from './support.js';

/**
 * Settings › Payments account: the merchant's own processor account (here a sandbox account that
 * waits for onboarding), and the way a supervisor starts onboarding from the console.
 */

let world: ConsoleWorld;

beforeAll(async () => {
  world = await startConsoleWorld({ env: { SANDBOX_ACCOUNTS_START_PENDING: 'true' } });
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(() => world?.close());

const status = async () => (await world.merchant.client().request(MerchantProcessorAccountDocument)).merchant.processorAccount.status;

describe('the payments account settings', () => {
  it("shows the account's status, and a supervisor goes through the processor's onboarding and comes back to an active account", async () => {
    expect(await status()).toBe('PENDING_ONBOARDING');
    const page = await signedInPage(world, '/settings/payments-account');
    await page.getByRole('heading', { name: 'Payments account' }).waitFor();
    expect(await page.locator('#account-status').innerText()).toBe('Not set up yet');
    expect(await page.getByText('Off: customers see that they cannot pay online yet').count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    // A supervisor's approval first.
    await page.getByLabel('Supervisor password').fill(world.merchant.supervisorPassword);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${world.console.url}/settings/payments-account`);
    await hydrated(page);
    await page.getByRole('button', { name: 'Set up online payments' }).click();
    const link = page.getByRole('link', { name: 'Continue to the processor' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${world.t.url}/sandbox/v1/accounts/acct_sbx_`));
    expect(await accessibilityViolations(page)).toEqual([]);

    // The processor's pages (the sandbox's), then back to the console.
    await link.click();
    await page.getByRole('heading', { name: 'Set up your payments account' }).waitFor();
    await Promise.all([
      page.waitForURL(`${world.console.url}/settings/payments-account`),
      page.getByRole('button', { name: 'Complete onboarding' }).click(),
    ]);
    await eventually(async () => (await status()) === 'ACTIVE');
    await page.reload();
    expect(await page.locator('#account-status').innerText()).toBe('Active');
    expect(await page.getByRole('button', { name: /Set up online payments|Continue with the processor/ }).count()).toBe(0);
  });
});
